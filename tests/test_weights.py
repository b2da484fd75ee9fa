"""Checkpoints others trained: option A's zero placement, akamaster's, torchvision's and our files, ``evaluate``.

Layouts matched by tensors and their refusals: test_layouts.py; published tags: test_published.py."""

import json
import warnings

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torchvision.transforms.functional import normalize

from resnet_study.cli import main
from resnet_study.data import load_cifar10
from resnet_study.training.loop import train
from resnet_study.errors import StudyError
from resnet_study.models import count_parameters, create_model, load_weights

from helpers import tiny_config, save_akamaster, trained_looking


pytestmark = pytest.mark.usefixtures("quiet_warnings")


def outputs(model, x):
    with torch.no_grad():
        return model.eval()(x)


# ---- option A's zero channels --------------------------------------------------------------------
def test_pad_both_is_akamasters_shortcut_and_differs_from_appending():
    x = torch.randn(2, 16, 32, 32)
    after = create_model("cifar_resnet20").layer2[0].downsample(x)
    both = create_model("cifar_resnet20", pad="both").layer2[0].downsample(x)
    planes = 32  # akamaster's LambdaLayer, verbatim
    torch.testing.assert_close(both, F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4), "constant", 0))
    sub = x[:, :, ::2, ::2]
    torch.testing.assert_close(after[:, :16], sub)
    torch.testing.assert_close(both[:, 8:24], sub)
    assert torch.count_nonzero(after[:, 16:]) == 0
    assert torch.count_nonzero(both[:, :8]) == 0 and torch.count_nonzero(both[:, 24:]) == 0
    assert not torch.equal(after, both)


@pytest.mark.parametrize("depth", [8, 20])
def test_pad_changes_no_parameter_and_no_plain_twin(depth):
    for name in (f"cifar_resnet{depth}", f"cifar_resnet{depth + 36}", "resnet34"):
        with torch.device("meta"):
            assert count_parameters(create_model(name, pad="both")) == count_parameters(create_model(name))
    x = torch.randn(2, 3, 32, 32)
    torch.manual_seed(0)
    plain_after = create_model(f"cifar_plain{depth}")
    torch.manual_seed(0)
    plain_both = create_model(f"cifar_plain{depth}", pad="both")
    torch.testing.assert_close(outputs(plain_after, x), outputs(plain_both, x), rtol=0, atol=0)
    with pytest.raises(StudyError, match="pad must be one of after, both"):
        create_model("cifar_resnet20", pad="before")


# ---- akamaster ---------------------------------------------------------------------------------
@pytest.mark.parametrize("compressible", [False, True], ids=["names", "compressible-names"])
def test_akamaster_checkpoint_loads_and_gives_identical_outputs(tmp_path, compressible):
    torch.manual_seed(0)
    theirs = trained_looking(create_model("cifar_resnet20", pad="both"))
    path = save_akamaster(theirs, tmp_path / "resnet20-12fca82f.th", compressible=compressible)
    keys = torch.load(path, weights_only=True)["state_dict"]
    assert "module.layer3.2.bn2.running_var" in keys and "module.layer1.0.bn1.num_batches_tracked" not in keys
    assert ("module.compressible_linear.weight" if compressible else "module.linear.weight") in keys
    ours = create_model("cifar_resnet20", weights=path)
    assert ours.pad == "both" and ours.shortcut == "A"
    x = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(outputs(ours, x), outputs(theirs, x), rtol=0, atol=0)
    appended = create_model("cifar_resnet20", weights=path, pad="after")  # loaded by position, our convention
    assert not torch.allclose(outputs(appended, x), outputs(theirs, x), atol=1e-3)
    _, checkpoint = load_weights("cifar_resnet20", path)
    assert checkpoint.best_prec1 == pytest.approx(91.73) and checkpoint.normalize == "imagenet"
    assert checkpoint.source == "akamaster/pytorch_resnet_cifar10" and checkpoint.mean.flatten().tolist() == \
        pytest.approx([0.485, 0.456, 0.406])


# ---- torchvision and our own checkpoints ---------------------------------------------------------
def test_torchvision_resnet18_state_dict_loads(tmp_path):
    torch.manual_seed(0)
    theirs = trained_looking(torchvision.models.resnet18())
    torch.save(theirs.state_dict(), tmp_path / "resnet18.pth")
    ours = create_model("resnet18", weights=tmp_path / "resnet18.pth")
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(outputs(ours, x), outputs(theirs, x))


@pytest.fixture(scope="module")
def our_run(cifar_dir, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    cfg = tiny_config(cifar_dir, iterations=3, log_every=3, eval_every=3, milestones=(2,), amp=False,
                      channels_last=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(cfg, run, progress=False, log=lambda *_: None)
    return run


def test_our_checkpoint_loads(our_run, tmp_path):
    saved = torch.load(our_run / "checkpoint.pt", weights_only=True)
    model = create_model("cifar_resnet8", weights=our_run / "checkpoint.pt")
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, saved["model"][key], rtol=0, atol=0)
    mean = torch.rand(3, 32, 32)
    saved["net"] = {"model": "cifar_resnet8", "kwargs": {"shortcut": "A", "num_classes": 10}, "normalize": "pixel",
                    "mean": mean, "std": torch.ones(3, 1, 1), "holdout": 32, "precision": "bf16"}
    torch.save(saved, tmp_path / "checkpoint.pt")
    model, checkpoint = load_weights("cifar_resnet8", tmp_path / "checkpoint.pt")
    assert checkpoint.normalize == "pixel" and torch.equal(checkpoint.mean, mean) and checkpoint.holdout == 32
    assert checkpoint.precision == "bf16" and checkpoint.source == "resnet-study"
    with pytest.raises(StudyError,
                       match=r"^checkpoint.pt holds cifar_resnet8 \(its 'net' entry says so\), not cifar_plain8$"):
        create_model("cifar_plain8", weights=tmp_path / "checkpoint.pt")


# ---- refusals: one sentence naming both sides ----------------------------------------------------
@pytest.fixture(scope="module")
def akamaster20(tmp_path_factory):
    torch.manual_seed(0)
    return save_akamaster(create_model("cifar_resnet20", pad="both"), tmp_path_factory.mktemp("ak") / "resnet20.th")


AKAMASTER = "akamaster/pytorch_resnet_cifar10's layout"


@pytest.mark.parametrize("name,sentence", [
    ("cifar_resnet32", f"resnet20.th holds cifar_resnet20 in {AKAMASTER}, not cifar_resnet32"),
    ("cifar_resnet14", f"resnet20.th holds cifar_resnet20 in {AKAMASTER}, not cifar_resnet14"),
    ("cifar_plain20", f"resnet20.th holds cifar_resnet20 in {AKAMASTER}, not cifar_plain20"),
    ("resnet18", f"resnet20.th holds cifar_resnet20 in {AKAMASTER}, not resnet18"),
])
def test_mismatched_net_is_refused_in_one_sentence(akamaster20, name, sentence):
    with pytest.raises(StudyError) as refused:
        create_model(name, weights=akamaster20)
    assert str(refused.value) == sentence


def test_shape_mismatch_names_the_closest_layout_the_tensor_and_both_shapes(tmp_path):
    cifar100 = save_akamaster(create_model("cifar_resnet20", pad="both", num_classes=100), tmp_path / "r20-c100.th")
    assert create_model("cifar_resnet20", weights=cifar100).fc.out_features == 100  # the file's classes by default
    with pytest.raises(StudyError, match=r"^r20-c100.th does not fit cifar_resnet20 in any layout we know \(.*\); "
                                         r"closest is akamaster/pytorch_resnet_cifar10's, where linear.weight is "
                                         r"\(100, 64\) in the file but \(10, 64\) in cifar_resnet20 \(2 tensors "
                                         r"differ in shape\)$"):
        create_model("cifar_resnet20", weights=cifar100, num_classes=10)


@pytest.mark.parametrize("content,sentence", [
    (b"not a checkpoint", "is not a readable PyTorch checkpoint"),
    (None, "no checkpoint file at"),
    ("truncated", "is not a readable PyTorch checkpoint"),
    ("list", "is none of a state dict, a {'state_dict': ...} wrapper or a resnet-study checkpoint.pt"),
])
def test_bad_files_are_one_sentence(akamaster20, cifar_dir, tmp_path, capsys, content, sentence):
    path = tmp_path / "model.th"
    if content == "truncated":
        path.write_bytes(akamaster20.read_bytes()[:5000])
    elif content == "list":
        torch.save([1, 2, 3], path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(StudyError, match=sentence):
        create_model("cifar_resnet20", weights=path)
    code = main(["evaluate", "--model", "cifar_resnet20", "--weights", str(path), "--data-dir", str(cifar_dir),
                 "--out", str(tmp_path / "out"), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and sentence in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# ---- resnet-study evaluate -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def akamaster8(tmp_path_factory):
    torch.manual_seed(0)
    net = trained_looking(create_model("cifar_resnet8", pad="both"))
    return net, save_akamaster(net, tmp_path_factory.mktemp("ak8") / "resnet8.th", best_prec1=88.5)


def test_evaluate_writes_both_files_and_prints_the_error(akamaster8, cifar_dir, tmp_path, capsys):
    net, weights = akamaster8
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", "cifar_resnet8", "--weights", str(weights), "--data-dir", str(cifar_dir),
                 "--out", str(out), "--device", "cpu"]) == 0
    test = load_cifar10(cifar_dir).test
    x = normalize(torch.from_numpy(test.images).float() / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    expected = (outputs(net, x).argmax(1) != torch.from_numpy(test.labels)).double().mean().item()
    result = json.loads((out / "evaluation.json").read_text())
    assert result["error"] == pytest.approx(expected, abs=1e-12) and result["images"] == 200
    assert result["split"] == "test" and result["normalize"] == "imagenet" and result["best_prec1"] == 88.5
    assert result["source"] == "akamaster/pytorch_resnet_cifar10" and len(result["weights_sha256"]) == 64
    assert result["model"] == "cifar_resnet8" and result["torch_version"] == torch.__version__
    responses = pd.read_csv(out / "responses.csv")
    assert responses.layer.tolist() == list(range(1, 8)) and (responses["std"] > 0).all()
    printed = capsys.readouterr().out
    assert f"{100 * expected:.2f}% error on the official test batch, 200 images, imagenet" in printed
    assert "best_prec1 88.50 (11.50% error)" in printed


def test_evaluate_states_the_holdout_and_the_normalisation(cifar_dir_no_test, akamaster8, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", "cifar_resnet8", "--weights", str(akamaster8[1]), "--data-dir",
                 str(cifar_dir_no_test), "--out", str(out), "--normalize", "pixel", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "a holdout of the training images (the folder has no test_batch)" in printed
    assert "this holdout is not a test set" in printed
    result = json.loads((out / "evaluation.json").read_text())
    assert result["split"] == "holdout" and result["images"] == 32 and result["normalize"] == "pixel"


def test_evaluate_our_checkpoint_reproduces_its_test_error(our_run, cifar_dir, tmp_path):
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", "cifar_resnet8", "--weights", str(our_run / "checkpoint.pt"),
                 "--data-dir", str(cifar_dir), "--out", str(out), "--device", "cpu"]) == 0
    result = json.loads((out / "evaluation.json").read_text())
    summary = json.loads((our_run / "summary.json").read_text())
    assert result["normalize"] == "pixel" and result["source"] == "resnet-study" and result["best_prec1"] is None
    assert result["error"] == pytest.approx(summary["final_test_error"], abs=1e-9)
    torch.testing.assert_close(torch.tensor(pd.read_csv(out / "responses.csv")["std"].to_numpy()),
                               torch.tensor(pd.read_csv(our_run / "responses.csv")["std"].to_numpy()))


# ---- normalisation and precision travel with the weights ------------------------------------------
def _with_net(our_run, tmp_path, **net):
    saved = torch.load(our_run / "checkpoint.pt", weights_only=True)
    saved["net"] = {"model": "cifar_resnet8", "kwargs": {"shortcut": "A", "num_classes": 10}, **net}
    torch.save(saved, tmp_path / "checkpoint.pt")
    return tmp_path / "checkpoint.pt"


def test_evaluate_uses_the_checkpoints_statistics_not_the_folders(our_run, cifar_dir, tmp_path):
    """The same test images beside other training images give the same error: the mean travels with the net."""
    from helpers import learnable_images, make_cifar_folder
    from resnet_study.data import write_batch

    mean = torch.from_numpy(load_cifar10(cifar_dir).train.images).double().div(255).mean(0).float()
    weights = _with_net(our_run, tmp_path, normalize="pixel", mean=mean, std=torch.ones(3, 1, 1), precision="bf16")
    other = make_cifar_folder(tmp_path / "other")
    for b in range(1, 6):  # other training images, the same test batch
        write_batch(other / "cifar-10-batches-py" / f"data_batch_{b}", 255 - learnable_images(64, b)[0],
                    learnable_images(64, b)[1])
    results = []
    for folder in (cifar_dir, other):
        out = tmp_path / f"eval-{folder.name}"
        assert main(["evaluate", "--model", "cifar_resnet8", "--weights", str(weights), "--data-dir", str(folder),
                     "--out", str(out), "--device", "cpu"]) == 0
        results.append(json.loads((out / "evaluation.json").read_text()))
    assert results[0]["error"] == results[1]["error"]
    assert results[0]["normalize_statistics"] == "as stated by the checkpoint.pt"
    assert results[0]["run_precision"] == "bf16" and results[0]["precision"] == "fp32"
    assert results[0]["error_at_run_precision"] == pytest.approx(results[0]["error"], abs=0.02)
    out = tmp_path / "override"
    assert main(["evaluate", "--model", "cifar_resnet8", "--weights", str(weights), "--data-dir", str(other),
                 "--out", str(out), "--device", "cpu", "--normalize", "channel"]) == 0
    result = json.loads((out / "evaluation.json").read_text())
    assert result["normalize"] == "channel" and result["normalize_statistics"].startswith("--normalize; statistics")


def test_evaluate_refuses_a_file_that_does_not_say_its_normalisation(cifar_dir, tmp_path, capsys):
    torch.manual_seed(0)
    state = {"module." + k: v for k, v in create_model("cifar_resnet8", shortcut="B").state_dict().items()}
    torch.save({"epoch": 1, "best_acc": 50.0, "state_dict": state}, tmp_path / "model_best.pth.tar")
    argv = ["evaluate", "--model", "cifar_resnet8", "--weights", str(tmp_path / "model_best.pth.tar"),
            "--data-dir", str(cifar_dir), "--out", str(tmp_path / "out"), "--device", "cpu"]
    assert main(argv) == 2
    assert "model_best.pth.tar does not say how its inputs were normalised" in capsys.readouterr().err
    assert main(argv + ["--normalize", "channel"]) == 0
    result = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert result["source"] == "resnet-study or chenyaofo/pytorch-cifar-models" and result["best_prec1"] is None
