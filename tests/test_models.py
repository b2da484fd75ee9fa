"""The model library against the paper's numbers and torchvision's networks."""

import subprocess
import sys

import pytest
import torch
import torchvision

from resnet_study.cli import main
from resnet_study.errors import StudyError
from resnet_study.models import (ZeroPadShortcut, count_macs, count_parameters, create_model,
                                 describe, list_models, model_info)

# Table 6 (option A shortcuts).
CIFAR_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962, 1202: 19_421_274}
# Table 1, multiply-adds at 224x224, in billions.
IMAGENET_GMACS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}


def test_registry_round_trip():
    names = list_models()
    assert {"cifar_resnet56", "cifar_plain56", "cifar_resnet1202", "resnet34", "plain152"} <= set(names)
    assert list_models("cifar_plain*") == [f"cifar_plain{d}" for d in CIFAR_PARAMS]
    for name in names:
        assert model_info(name).name == name
    assert model_info("cifar_plain14").depth == 14  # any 6n+2, not only the listed ones
    assert model_info("plain50").kind == "plain" and model_info("resnet50").residual


@pytest.mark.parametrize("depth,params", CIFAR_PARAMS.items())
def test_cifar_parameters_match_table6(depth, params):
    with torch.device("meta"):
        residual, plain = create_model(f"cifar_resnet{depth}"), create_model(f"cifar_plain{depth}")
    assert count_parameters(residual) == params
    assert count_parameters(plain) == params


@pytest.mark.parametrize("depth,gmacs", IMAGENET_GMACS.items())
def test_imagenet_macs_match_table1(depth, gmacs):
    macs = describe(f"resnet{depth}")["macs"]
    assert abs(macs / 1e9 - gmacs) / gmacs < 0.04


@pytest.mark.parametrize("depth", IMAGENET_GMACS)
def test_imagenet_parameters_equal_torchvision(depth):
    with torch.device("meta"):
        ours = create_model(f"resnet{depth}")
        theirs = getattr(torchvision.models, f"resnet{depth}")()
    assert count_parameters(ours) == count_parameters(theirs)


@pytest.mark.parametrize("name,kwargs", [("resnet18", {}), ("resnet34", {}),
                                         ("resnet50", {"stride_in_1x1": False})])
def test_torchvision_checkpoints_load_and_agree(name, kwargs):
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)().eval()
    ours = create_model(name, **kwargs).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


def test_paper_bottleneck_strides_first_1x1():
    block = create_model("resnet50").layer2[0]
    assert block.conv1.stride == (2, 2) and block.conv2.stride == (1, 1)
    block = create_model("resnet50", stride_in_1x1=False).layer2[0]
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)


@pytest.mark.parametrize("name", [n for n in list_models() if not n.endswith("1202")])
def test_forward_shape_of_paper_nets(name):
    info = model_info(name)
    model = create_model(name, num_classes=7).eval()
    size = 32 if info.family == "cifar" else 64  # global pooling accepts a small ImageNet input
    with torch.no_grad():
        assert model(torch.randn(2, 3, size, size)).shape == (2, 7)


def test_cifar1202_forward_shape():
    with torch.no_grad():
        assert create_model("cifar_resnet1202").eval()(torch.randn(1, 3, 32, 32)).shape == (1, 10)


@pytest.mark.parametrize("name", ["cifar_resnet20", "cifar_plain20", "resnet18", "plain50"])
@pytest.mark.parametrize("shortcut", ["A", "B", "C"])
def test_every_parameter_gets_a_gradient(name, shortcut):
    model = create_model(name, shortcut=shortcut)
    size = 32 if name.startswith("cifar") else 64
    model(torch.randn(4, 3, size, size)).logsumexp(1).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname


def test_option_a_subsamples_and_zero_pads():
    model = create_model("cifar_resnet20")
    shortcut = model.layer2[0].downsample
    assert isinstance(shortcut, ZeroPadShortcut) and model.layer1[0].downsample is None
    x = torch.randn(2, 16, 32, 32)
    y = shortcut(x)
    assert y.shape == (2, 32, 16, 16)
    torch.testing.assert_close(y[:, :16], x[:, :, ::2, ::2])
    assert torch.count_nonzero(y[:, 16:]) == 0


def test_shortcut_options_b_and_c():
    b, c = create_model("cifar_resnet20", shortcut="B"), create_model("cifar_resnet20", shortcut="C")
    assert b.layer1[0].downsample is None and isinstance(b.layer2[0].downsample, torch.nn.Sequential)
    assert all(block.downsample is not None for layer in (c.layer1, c.layer2, c.layer3) for block in layer)
    a = count_parameters(create_model("cifar_resnet20"))
    assert a < count_parameters(b) < count_parameters(c)


@pytest.mark.parametrize("depth", [20, 56])
def test_plain_twin_is_the_residual_net_without_shortcuts(depth):
    torch.manual_seed(3)
    residual = create_model(f"cifar_resnet{depth}")
    torch.manual_seed(3)
    plain = create_model(f"cifar_plain{depth}")
    r, p = residual.state_dict(), plain.state_dict()
    assert list(r) == list(p)
    for key in r:
        torch.testing.assert_close(r[key], p[key])
    x = torch.randn(2, 3, 32, 32)
    assert not torch.allclose(residual.eval()(x), plain.eval()(x))  # only the shortcuts differ


def test_twins_share_main_path_init_with_projection_shortcuts():
    torch.manual_seed(1)
    residual = create_model("resnet18")  # option B: extra downsample parameters
    torch.manual_seed(1)
    plain = create_model("plain18")
    r = residual.state_dict()
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(r[key], value)
    assert set(r) - set(plain.state_dict()) == {k for k in r if "downsample" in k}


def test_cifar_state_dict_in_forward_order():
    keys = [k.rsplit(".", 1)[0] for k in create_model("cifar_resnet20", shortcut="B").state_dict()]
    modules = list(dict.fromkeys(keys))
    assert modules[:2] == ["conv1", "bn1"]
    assert modules[2:6] == ["layer1.0.conv1", "layer1.0.bn1", "layer1.0.conv2", "layer1.0.bn2"]
    assert modules[modules.index("layer2.0.bn2") + 1:][:2] == ["layer2.0.downsample.0", "layer2.0.downsample.1"]
    assert modules[-1] == "fc"


def test_macs_of_cifar_resnet20():
    # 40.6M multiply-adds: 3x3 convs of 16/32/64 filters on 32/16/8 maps plus the classifier.
    assert count_macs(create_model("cifar_resnet20"), (3, 32, 32)) == 40_551_040


@pytest.mark.parametrize("name,rule", [
    ("cifar_resnet21", "6n+2"), ("cifar_plain0", "6n+2"), ("cifar_plain2", "6n+2"),
    ("resnet19", "one of 18, 34, 50, 101, 152"), ("vgg16", "unknown model"), ("resnet", "unknown model"),
])
def test_bad_names_state_the_rule(name, rule):
    with pytest.raises(StudyError, match=rule.replace("+", r"\+")):
        create_model(name)


def test_bad_shortcut():
    with pytest.raises(StudyError, match="shortcut must be one of A, B, C"):
        create_model("cifar_resnet20", shortcut="D")


def test_models_cli_prints_paper_numbers(capsys):
    assert main(["models", "--names", "cifar_plain56,resnet34"]) == 0
    out = capsys.readouterr().out
    assert "853,018" in out and "21,797,672" in out and "3.66 G" in out


def test_models_cli_bad_name_is_one_line_exit_2():
    proc = subprocess.run([sys.executable, "-m", "resnet_study.cli", "models", "--names", "resnet19"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "one of 18, 34, 50, 101, 152" in proc.stderr
