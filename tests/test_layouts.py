"""Every file read by declaration: each layout we know, matched by its exact tensor names and shapes,
each refusal in one sentence, wooyeolBaek's conv biases folded exactly (issue 16's five user stories)."""

import re

import pytest
import torch
import torchvision
from torch import nn

from resnet_study.errors import StudyError
from resnet_study.models import create_model, load_weights

from helpers import trained_looking


def outputs(model, x):
    with torch.no_grad():
        return model.eval()(x)


# ---- an independent reference of wooyeolBaek's nets, by their module names -------------------------
class ZeroPadMap(nn.Module):
    def __init__(self, extra):
        super().__init__()
        self.extra = extra

    def forward(self, x):
        return nn.functional.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))


class Block(nn.Module):
    def __init__(self, cin, cout, residual):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(cin, cout, 3, 1 if cin == cout else 2, 1), nn.BatchNorm2d(cout), nn.ReLU(),
                               nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout))
        self.residual, self.pad = residual, ZeroPadMap(cout - cin) if cin != cout else nn.Identity()

    def forward(self, x):
        return torch.relu(self.f(x) + self.pad(x) if self.residual else self.f(x))


class Stage(nn.Module):
    def __init__(self, name, n, cin, cout, residual):
        super().__init__()
        setattr(self, name, nn.Sequential(*[Block(cin if i == 0 else cout, cout, residual) for i in range(n)]))
        self.name = name

    def forward(self, x):
        return getattr(self, self.name)(x)


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 16, 3, 1, 1), nn.BatchNorm2d(16)

    def forward(self, x):
        return torch.relu(self.bn1(self.conv1(x)))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(x.mean((2, 3)))


def wooyeolbaek_net(depth, residual):
    n = (depth - 2) // 6
    net = nn.Sequential()
    net.add_module("conv1", Stem())
    for i, (cin, cout) in enumerate([(16, 16), (16, 32), (32, 64)]):
        net.add_module(f"conv{i + 2}_x", Stage(f"conv{i + 2}_x", n, cin, cout, residual))
    net.add_module("fc", Head())
    torch.manual_seed(depth)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            m.bias.data.uniform_(-0.5, 0.5)  # large biases: a wrong folding shows
    return trained_looking(net)


@pytest.mark.parametrize("name", ["cifar_plain20", "cifar_resnet20", "cifar_resnet8"])
def test_wooyeolbaek_biases_fold_exactly_into_the_next_bn(tmp_path, name):
    theirs = wooyeolbaek_net(int(re.search(r"\d+$", name)[0]), residual="resnet" in name)
    torch.save(theirs.state_dict(), tmp_path / "last.pth")
    ours, checkpoint = load_weights(name, tmp_path / "last.pth")
    assert checkpoint.layout == "wooyeolbaek" and checkpoint.normalize == "pixel" and checkpoint.mean is None
    assert checkpoint.source == "wooyeolBaek/deep-residual-learning" and ours.pad == "both"
    assert not any(key.endswith(".bias") and value.dim() == 1 and "conv" in key
                   for key, value in ours.state_dict().items())
    x = torch.randn(8, 3, 32, 32)
    torch.testing.assert_close(outputs(ours, x), outputs(theirs, x), rtol=0, atol=1e-5)


def test_wooyeolbaek_file_of_another_depth_names_both_kinds_it_could_hold(tmp_path):
    torch.save(wooyeolbaek_net(20, residual=False).state_dict(), tmp_path / "last.pth")
    with pytest.raises(StudyError, match=r"^last.pth holds cifar_resnet20 or cifar_plain20 in "
                                         r"wooyeolBaek/deep-residual-learning's layout, not cifar_plain56$"):
        create_model("cifar_plain56", weights=tmp_path / "last.pth")


# ---- story 2: our own bare state dict round-trips; chenyaofo's names are ours with option B ---------
@pytest.mark.parametrize("name,kwargs", [("cifar_resnet20", {}), ("cifar_plain20", {}),
                                         ("cifar_resnet20", {"shortcut": "C"}), ("resnet18", {}),
                                         ("cifar_resnet14", {"num_classes": 100})])
def test_our_bare_state_dict_round_trips(tmp_path, name, kwargs):
    torch.manual_seed(0)
    net = trained_looking(create_model(name, **kwargs))
    torch.save(net.state_dict(), tmp_path / "net.pt")
    loaded, checkpoint = load_weights(name, tmp_path / "net.pt")
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(outputs(loaded, x), outputs(net, x), rtol=0, atol=0)
    assert checkpoint.normalize is None  # a bare state dict does not say


def test_chenyaofo_layout_loads_and_states_its_normalisation_when_declared(tmp_path):
    torch.manual_seed(0)
    net = trained_looking(create_model("cifar_resnet20", shortcut="B"))
    assert "layer2.0.downsample.0.weight" in net.state_dict()  # their torchvision-style names
    torch.save(net.state_dict(), tmp_path / "cifar10_resnet20-4118986f.pt")
    loaded, checkpoint = load_weights("cifar_resnet20", tmp_path / "cifar10_resnet20-4118986f.pt")
    assert loaded.shortcut == "B" and checkpoint.normalize is None
    assert checkpoint.source == "resnet-study or chenyaofo/pytorch-cifar-models"
    _, declared = load_weights("cifar_resnet20", tmp_path / "cifar10_resnet20-4118986f.pt", layout="chenyaofo")
    assert declared.normalize == "channel"
    assert declared.std.flatten().tolist() == pytest.approx([0.2470, 0.2435, 0.2616], abs=1e-4)


# ---- story 3: a paper-style ResNet-50 and torchvision's v1.5 have the same tensors ------------------
def test_bottleneck_file_is_refused_until_the_stride_is_declared(tmp_path):
    torch.manual_seed(0)
    paper = trained_looking(create_model("resnet50"))
    torch.save(paper.state_dict(), tmp_path / "r50.pt")
    expected = (r"^r50.pt fits resnet50 in 2 layouts that build different nets, resnet-study's \(our defaults\) "
                r"and torchvision's \(stride_in_1x1=False\); say which with stride_in_1x1= or layout=$")
    with pytest.raises(StudyError, match=expected):
        create_model("resnet50", weights=tmp_path / "r50.pt")
    x = torch.randn(1, 3, 64, 64)
    torch.testing.assert_close(outputs(create_model("resnet50", weights=tmp_path / "r50.pt", stride_in_1x1=True), x),
                               outputs(paper, x), rtol=0, atol=0)
    torch.testing.assert_close(outputs(create_model("resnet50", weights=tmp_path / "r50.pt", layout="resnet-study"), x),
                               outputs(paper, x), rtol=0, atol=0)


def test_torchvision_v15_file_loads_as_v15_when_declared(tmp_path):
    torch.manual_seed(0)
    theirs = trained_looking(torchvision.models.resnet50())
    torch.save(theirs.state_dict(), tmp_path / "resnet50.pth")
    x = torch.randn(1, 3, 64, 64)
    for declared in ({"stride_in_1x1": False}, {"layout": "torchvision"}):
        ours, checkpoint = load_weights("resnet50", tmp_path / "resnet50.pth", **declared)
        torch.testing.assert_close(outputs(ours, x), outputs(theirs, x))
    assert checkpoint.normalize == "imagenet" and checkpoint.source == "torchvision"


# ---- story 4: a {"state_dict": ...} wrapper is not akamaster's unless its tensors are --------------
def test_bearpaw_wrapper_is_matched_by_its_tensors_not_its_keys(tmp_path):
    torch.manual_seed(0)
    net = trained_looking(create_model("cifar_resnet20", shortcut="B"))
    state = {"module." + k: v for k, v in net.state_dict().items()}
    torch.save({"epoch": 164, "best_acc": 92.1, "state_dict": state, "optimizer": {}}, tmp_path / "model_best.pth.tar")
    loaded, checkpoint = load_weights("cifar_resnet20", tmp_path / "model_best.pth.tar")
    assert checkpoint.layout == "resnet-study" and "akamaster" not in checkpoint.source
    assert checkpoint.normalize is None and checkpoint.best_prec1 is None and loaded.shortcut == "B"
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(outputs(loaded, x), outputs(net, x), rtol=0, atol=0)


def test_unknown_layout_and_a_file_of_no_layout_are_one_sentence(tmp_path):
    torch.save({"encoder.weight": torch.zeros(3, 3)}, tmp_path / "other.pt")
    expected = (r"^other.pt does not fit cifar_resnet20 in any layout we know \(resnet-study, akamaster, .*\); "
                r"closest is .*, where cifar_resnet20 has \d+ tensors the file lacks, first .*$")
    with pytest.raises(StudyError, match=expected):
        create_model("cifar_resnet20", weights=tmp_path / "other.pt")
    with pytest.raises(StudyError, match=r"^unknown layout 'timm'; layouts are resnet-study, akamaster"):
        create_model("cifar_resnet20", weights=tmp_path / "other.pt", layout="timm")
    with pytest.raises(StudyError, match=r"^other.pt is in torchvision's layout, whose nets are ImageNet nets, but "
                                         r"cifar_resnet20 is not$"):
        create_model("cifar_resnet20", weights=tmp_path / "other.pt", layout="torchvision")
