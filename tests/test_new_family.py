"""The README's recipe for a new net family, followed once: a toy wide CIFAR ResNet (a width option),
registered here only, is named, listed, checked and trained through the public entry points, and
nothing else in the package had to learn its name."""

import json

import pytest
import torch

from resnet_study import cli
from resnet_study.config import make_config
from resnet_study.models import create_model, list_models, model_info, register_family, unregister_family
from resnet_study.models.cifar import check_cifar_depth
from resnet_study.models.resnet import BasicBlock, ResNet
from resnet_study.errors import StudyError

pytestmark = pytest.mark.usefixtures("quiet_warnings")


def wide(depth: int, residual: bool, width: int = 1, shortcut: str = "A", pad: str = "after",
         num_classes: int = 10) -> ResNet:
    """A CIFAR net of section 4.2 with ``width`` times its filters (16/32/64 for width 1)."""
    n = (depth - 2) // 6
    return ResNet(BasicBlock, [n, n, n], [16 * width, 32 * width, 64 * width], residual=residual,
                  shortcut=shortcut, pad=pad, stem_width=16 * width, stem_kernel=3, stem_stride=1, stem_pool=False,
                  num_classes=num_classes)


@pytest.fixture
def wide_family():
    entry = register_family("cifar_wideplain", "cifar_wideresnet", wide, family="cifar", paper_depths=(8, 14),
                            input_size=(3, 32, 32), default_shortcut="A", check_depth=check_cifar_depth,
                            options=("width", "shortcut", "pad", "num_classes"))
    yield entry
    unregister_family(entry)


def test_the_registry_answers_every_fact_of_the_new_names(wide_family):
    info = model_info("cifar_wideresnet14")
    assert (info.family, info.depth, info.residual, info.twin, info.label) == \
        ("cifar", 14, True, "cifar_wideplain14", "ResNet-14")
    assert model_info(info.twin).twin == "cifar_wideresnet14" and model_info(info.twin).kind == "plain"
    assert list_models("cifar_wide*") == ["cifar_wideresnet8", "cifar_wideresnet14", "cifar_wideplain8",
                                          "cifar_wideplain14"]
    assert create_model("cifar_wideplain8", width=2).conv1.out_channels == 32
    with pytest.raises(StudyError, match="CIFAR depth must be 6n\\+2"):
        model_info("cifar_wideresnet9")


def test_the_new_nets_take_their_data_familys_images_only(wide_family):
    make_config("quick", {"model": "cifar_wideresnet8"}).validate()
    with pytest.raises(StudyError, match="ImageFolder data takes .* models; got cifar_wideresnet8"):
        make_config("imagenet_quick", {"model": "cifar_wideresnet8"}).validate()


def test_a_new_net_trains_with_its_option_from_the_command_line(wide_family, cifar_dir, tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "cifar_wideresnet8", "--out", str(out), "--model-option", "width=2",
                     "--data-dir", str(cifar_dir), "--device", "cpu", "--iterations", "1", "--batch-size", "16",
                     "--milestones", "1", "--log-every", "1", "--eval-every", "1", "--checkpoint-every", "1"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["model"] == "cifar_wideresnet8" and config["config"]["model_options"] == {"width": 2}
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["net"]["kwargs"]["width"] == 2 and state["model"]["conv1.weight"].shape[0] == 32
    assert json.loads((out / "summary.json").read_text())["status"] == "done"
    # The run folder's config is enough to train the same run again: it is finished, so nothing changes.
    assert cli.main(["train", "--model", "cifar_wideresnet8", "--out", str(out), "--config-json",
                     str(out / "config.json")]) == 0
