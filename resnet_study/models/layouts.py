"""Tensor layouts: the names and shapes each source's code gives our nets' tensors.

A ``Layout`` maps each of our state-dict names to the name the source's code uses for it
(``file_names``); reading a file is the inverse, plus folding conv biases into BN statistics
where the source's convs have them (``to_ours``). Layouts are data in the manner of timm's
pretrained configs: which options of our net reproduce theirs (``kwargs``, ``shortcuts``) and
how their inputs were normalised, where the file's authors say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from torch import Tensor

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Layout:
    """How one source names our nets' tensors.

    Attributes:
        name: what ``layout=`` takes, e.g. ``"akamaster"``.
        source: the code that writes such files.
        family: ``"cifar"``, ``"imagenet"``, or None for both.
        rename: our tensor name -> the file's.
        kwargs: our net's options that reproduce their nets, e.g. ``{"pad": "both"}``.
        shortcuts: the shortcut options their code builds (section 3.3).
        residual: True when their code builds residual nets only; None when both kinds.
        conv_bias: whether every conv has a bias (folded into the next BN on reading).
        normalize, mean, std: their input normalisation (``"imagenet"``, ``"channel"``,
            ``"pixel"``), None where a file in this layout does not say.
    """

    name: str
    source: str
    family: str | None
    rename: Callable[[str], str]
    kwargs: dict = field(default_factory=dict)
    shortcuts: tuple[str, ...] = ("A", "B", "C")
    residual: bool | None = None
    conv_bias: bool = False
    normalize: str | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __hash__(self) -> int:
        return hash(self.name)


def _same(name: str) -> str:
    return name


def _akamaster(name: str) -> str:
    # Their classifier is "linear" and their option-B projection "shortcut".
    return re.sub(r"^fc\.", "linear.", name).replace(".downsample.", ".shortcut.")


def _akamaster_compressible(name: str) -> str:
    # Their later resnet.py: compressible_conv1, ..., compressible_linear.
    return re.sub(r"(^|\.)(conv\d+|linear)\.(weight|bias)$", r"\1compressible_\2.\3", _akamaster(name))


_WOOYEOLBAEK_BLOCK = {"conv1": "f.0", "bn1": "f.1", "conv2": "f.3", "bn2": "f.4"}


def _wooyeolbaek(name: str) -> str:
    # Their modules: stem Conv1(conv1, bn1), stages conv2_x..conv4_x of blocks whose main path is a
    # Sequential f = (conv, BN, ReLU, conv, BN), classifier FC(fc).
    if name.startswith(("conv1.", "bn1.")):
        return "conv1." + name
    if name.startswith("fc."):
        return "fc." + name
    match = re.match(r"layer(\d+)\.(\d+)\.(conv1|bn1|conv2|bn2)\.(.+)$", name)
    if match is None:
        return name
    stage = f"conv{int(match[1]) + 1}_x"
    return f"{stage}.{stage}.{match[2]}.{_WOOYEOLBAEK_BLOCK[match[3]]}.{match[4]}"


OURS = Layout("resnet-study", "resnet-study", None, _same)
AKAMASTER = Layout("akamaster", "akamaster/pytorch_resnet_cifar10", "cifar", _akamaster, {"pad": "both"},
                   ("A", "B"), residual=True, normalize="imagenet", mean=IMAGENET_MEAN, std=IMAGENET_STD)
AKAMASTER_COMPRESSIBLE = Layout("akamaster-compressible", "akamaster/pytorch_resnet_cifar10", "cifar",
                                _akamaster_compressible, {"pad": "both"}, ("A", "B"), residual=True,
                                normalize="imagenet", mean=IMAGENET_MEAN, std=IMAGENET_STD)
# Their inputs: /255 minus the per-pixel mean of their 45k training images, which they do not publish.
WOOYEOLBAEK = Layout("wooyeolbaek", "wooyeolBaek/deep-residual-learning", "cifar", _wooyeolbaek, {"pad": "both"},
                     ("A",), conv_bias=True, normalize="pixel", std=(1.0, 1.0, 1.0))
# ResNet "v1.5": a bottleneck strides in its 3x3 conv; identical names and shapes to the paper's.
TORCHVISION = Layout("torchvision", "torchvision", "imagenet", _same, {"stride_in_1x1": False}, ("B",),
                     residual=True, normalize="imagenet", mean=IMAGENET_MEAN, std=IMAGENET_STD)
# torchvision's names on the CIFAR net with option B; CIFAR-10 channel statistics (their README).
CHENYAOFO = Layout("chenyaofo", "chenyaofo/pytorch-cifar-models", "cifar", _same, {}, ("B",), residual=True,
                   normalize="channel", mean=(0.49139968, 0.48215827, 0.44653124),
                   std=(0.24703233, 0.24348505, 0.26158768))

LAYOUTS = {layout.name: layout for layout in
           (OURS, AKAMASTER, AKAMASTER_COMPRESSIBLE, WOOYEOLBAEK, TORCHVISION, CHENYAOFO)}


def _is_conv(name: str, shape: tuple[int, ...]) -> bool:
    return name.endswith(".weight") and len(shape) == 4


def file_names(layout: Layout, ours: dict[str, tuple[int, ...]]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """The file's name of each tensor of a net with state-dict shapes ``ours``: {file name: (our name,
    shape)}."""
    names = {}
    for name, shape in ours.items():
        names[layout.rename(name)] = (name, shape)
        if layout.conv_bias and _is_conv(name, shape):
            names[layout.rename(name[:-len("weight")] + "bias")] = (name[:-len("weight")] + "bias", shape[:1])
    return names


def _next_bn(conv: str) -> str:
    """Our name of the BN that follows conv ``conv`` (``layer1.0.conv2`` -> ``layer1.0.bn2``)."""
    if conv.endswith("downsample.0"):
        return conv[:-1] + "1"
    return re.sub(r"conv(\d+)$", r"bn\1", conv)


def to_ours(layout: Layout, names: dict[str, tuple[str, tuple[int, ...]]],
            state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The file's tensors ``state`` under our names. A conv bias b before a BN in eval mode is that
    BN's running mean lowered by b, exactly: BN(Wx + b) = gamma (Wx - (mu - b)) / sigma + beta."""
    ours = {names[key][0]: value for key, value in state.items()}
    if layout.conv_bias:
        for name in [n for n in ours if n.endswith(".bias") and ours[n[:-len("bias")] + "weight"].dim() == 4]:
            bn = _next_bn(name[:-len(".bias")]) + ".running_mean"
            ours[bn] = ours[bn] - ours.pop(name).to(ours[bn].dtype)
    return ours
