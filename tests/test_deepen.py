"""deepen: the deeper net of section 1's construction computes what the shallow net does."""

import shutil

import numpy as np
import pytest
import torch

from resnet_study.data import load_cifar10
from resnet_study.errors import StudyError
from resnet_study.models import create_model, deepen

from helpers import SHARED_CIFAR, learnable_images, needs_shared_cifar, trained_looking

PUBLISHED = SHARED_CIFAR.parents[1] / "published"
TOLERANCE = 1e-4


def as_input(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 3, 32, 32) -> float, per-channel normalised roughly as CIFAR nets expect."""
    x = torch.from_numpy(images).float() / 255
    return (x - 0.47) / 0.25


@pytest.fixture(scope="module")
def generated() -> torch.Tensor:
    return as_input(learnable_images(16, seed=3)[0])


@pytest.fixture(scope="module")
def real() -> torch.Tensor:
    if not (SHARED_CIFAR / "cifar-10-batches-py").is_dir():
        pytest.skip("../shared/data/cifar10-subset is not beside the checkout")
    with pytest.warns(Warning):  # the subset is not the full data set
        data = load_cifar10(SHARED_CIFAR, allow_download=False)
    return as_input(data.train.images[:32])


def trained_like(name: str, **kwargs) -> torch.nn.Module:
    """A net with non-trivial BN statistics: random affine weights and running stats, then a few
    train-mode forwards so the running stats are also the net's own."""
    torch.manual_seed(0)
    net = trained_looking(create_model(name, **kwargs)).train()
    with torch.no_grad():
        for seed in range(3):
            net(as_input(learnable_images(8, seed)[0]))
    return net.eval()


def assert_same_logits(shallow, deep, x):
    with torch.no_grad():
        expected, got = shallow.eval()(x), deep.eval()(x)
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() < TOLERANCE
    assert expected.std() > 0.1  # the logits carry information, so equality is no accident


@pytest.mark.parametrize("kind", ["plain", "resnet"])
@pytest.mark.parametrize("depth,deeper", [(8, 14), (20, 56)])
def test_deepened_net_computes_the_same_logits(kind, depth, deeper, generated):
    shallow = trained_like(f"cifar_{kind}{depth}")
    deep = deepen(shallow, deeper)
    assert_same_logits(shallow, deep, generated)
    # An ordinary net of the deeper name: its state dict loads strictly.
    create_model(f"cifar_{kind}{deeper}").load_state_dict(deep.state_dict())


@pytest.mark.parametrize("shortcut,pad", [("B", "after"), ("C", "after"), ("A", "both")])
def test_shortcut_option_and_pad_are_kept(shortcut, pad, generated):
    shallow = trained_like("cifar_resnet8", shortcut=shortcut, pad=pad)
    deep = deepen(shallow, 20)
    assert (deep.shortcut, deep.pad) == (shortcut, pad)
    assert_same_logits(shallow, deep, generated)
    create_model("cifar_resnet20", shortcut=shortcut, pad=pad).load_state_dict(deep.state_dict())


def test_copied_blocks_come_first_and_added_blocks_are_identities():
    shallow = trained_like("cifar_plain8")
    deep = deepen(shallow, 20)
    for stage in ("layer1", "layer2", "layer3"):
        copied, *added = getattr(deep, stage)
        assert torch.equal(copied.conv1.weight, getattr(shallow, stage)[0].conv1.weight)
        x = torch.rand(2, copied.conv2.out_channels, 8, 8)  # non-negative, as after a ReLU
        for block in added:
            assert torch.allclose(block.eval()(x), x, atol=1e-6)


def test_residual_added_blocks_are_identities_in_train_mode(generated):
    shallow = trained_like("cifar_resnet14")
    deep = deepen(shallow, 32).train()
    x = torch.rand(4, 16, 32, 32)
    for block in list(deep.layer1)[2:]:
        assert torch.equal(block(x), x)
    assert deep.training and not shallow.training


def test_mode_dtype_and_training_state_follow_the_shallow_net():
    shallow = create_model("cifar_plain8").double().train()
    deep = deepen(shallow, 14)
    assert deep.training and next(deep.parameters()).dtype == torch.float64


@needs_shared_cifar
@pytest.mark.parametrize("kind", ["plain", "resnet"])
def test_same_logits_on_real_images(kind, real):
    shallow = trained_like(f"cifar_{kind}20")
    assert_same_logits(shallow, deepen(shallow, 56), real)


AKAMASTER20 = PUBLISHED / "akamaster" / "resnet20-12fca82f.th"


@pytest.mark.skipif(not AKAMASTER20.is_file(), reason="../shared/published is not beside the checkout")
def test_published_resnet20_deepened_to_56(real):
    shallow = create_model("cifar_resnet20", weights=AKAMASTER20).eval()
    deep = deepen(shallow, 56)
    assert (deep.shortcut, deep.pad) == ("A", "both")
    assert_same_logits(shallow, deep, real)


@pytest.mark.parametrize("kind", ["plain", "resnet"])
def test_published_wooyeolbaek_20_deepened_to_56(kind, real, tmp_path, monkeypatch):
    from resnet_study.models import published_weights

    entry = published_weights("wooyeolbaek", f"cifar_{kind}20")
    shared = PUBLISHED / "wooyeolbaek" / entry.url.split("/")[-2] / "last.pth"
    if not shared.is_file():
        pytest.skip("../shared/published is not beside the checkout")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # a cache of this test's own, by its tag's name
    (tmp_path / "torch" / "hub" / "checkpoints").mkdir(parents=True)
    shutil.copy(shared, tmp_path / "torch" / "hub" / "checkpoints" / entry.file_name)
    shallow = create_model(f"cifar_{kind}20", weights="wooyeolbaek", download=False).eval()
    assert_same_logits(shallow, deepen(shallow, 56), real)


@pytest.mark.parametrize("make,depth,sentence", [
    (lambda: create_model("cifar_plain20"), 20, "not larger"),
    (lambda: create_model("cifar_plain20"), 14, "not larger"),
    (lambda: create_model("cifar_plain20"), 52, r"6n\+2"),
    (lambda: create_model("resnet18"), 56, "ImageNet"),
    (lambda: torch.nn.Linear(3, 3), 56, "Linear"),
])
def test_bad_input_is_one_sentence(make, depth, sentence):
    with pytest.raises(StudyError, match=sentence) as err:
        deepen(make(), depth)
    assert "\n" not in str(err.value)
