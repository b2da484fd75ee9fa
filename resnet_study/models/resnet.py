"""Plain and residual networks built from one skeleton (He et al. 2015).

Reading order as torchvision's ``resnet.py``: helpers, shortcuts, blocks, the network, the
builders. A plain twin is the residual network with ``residual=False``: the same layers in the
same order with the same names and initialisation, and no shortcut connections. The residual
networks keep torchvision's state-dict names, so its checkpoints load unchanged.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn
import torch.nn.functional as F

from ..errors import StudyError

SHORTCUTS = ("A", "B", "C")
PADS = ("after", "both")


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class ZeroPadShortcut(nn.Module):
    """Option A (section 3.3): identity with stride-``stride`` subsampling, new channels zero.

    ``pad="after"`` appends the zero channels (fb.resnet.torch); ``"both"`` puts half before and
    half after the input's channels (akamaster/pytorch_resnet_cifar10).
    """

    def __init__(self, extra_channels: int, stride: int, pad: str = "after") -> None:
        super().__init__()
        self.extra_channels = extra_channels
        self.stride = stride
        self.pad = pad

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        # Section 3.3 (A) says only "extra zero entries padded"; where they go is a convention.
        before = self.extra_channels // 2 if self.pad == "both" else 0
        return F.pad(x, (0, 0, 0, 0, before, self.extra_channels - before))

    def extra_repr(self) -> str:
        return f"extra_channels={self.extra_channels}, stride={self.stride}, pad={self.pad!r}"


def make_shortcut(option: str, in_planes: int, out_planes: int, stride: int,
                  pad: str = "after") -> nn.Module | None:
    """The shortcut of one residual block; ``None`` is the parameter-free identity.

    Options as section 3.3 / Table 3: A zero-pads where the shape changes (``pad`` says where
    the zero channels go), B projects (1x1 conv + BN) only there, C projects on every shortcut.
    """
    if option not in SHORTCUTS:
        raise StudyError(f"shortcut must be one of {', '.join(SHORTCUTS)}; got {option!r}")
    changes_shape = stride != 1 or in_planes != out_planes
    if option == "A":
        return ZeroPadShortcut(out_planes - in_planes, stride, pad) if changes_shape else None
    if option == "B" and not changes_shape:
        return None
    return nn.Sequential(conv1x1(in_planes, out_planes, stride), nn.BatchNorm2d(out_planes))


class BasicBlock(nn.Module):
    """Two 3x3 convs (Fig. 2 left / Fig. 5 left). Adds the shortcut only when ``residual``."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1, residual: bool = True,
                 shortcut: str = "B", stride_in_1x1: bool = True, pad: str = "after") -> None:
        super().__init__()
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.residual = residual
        self.downsample = make_shortcut(shortcut, in_planes, planes, stride, pad) if residual else None

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            # Out of place, so hooks on bn2 see the response before the addition (Fig. 7).
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1, 3x3, 1x1 convs (Fig. 5 right). The paper strides the first 1x1 conv
    (``stride_in_1x1=True``); torchvision's "V1.5" strides the 3x3 conv instead."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1, residual: bool = True,
                 shortcut: str = "B", stride_in_1x1: bool = True, pad: str = "after") -> None:
        super().__init__()
        out_planes = planes * self.expansion
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = conv1x1(in_planes, planes, stride_1x1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride_3x3)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, out_planes)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.relu = nn.ReLU(inplace=True)
        self.residual = residual
        self.downsample = make_shortcut(shortcut, in_planes, out_planes, stride, pad) if residual else None

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class ResNet(nn.Module):
    """Stem, stages of blocks, global average pooling, fully connected classifier.

    Both families share this skeleton; they differ in data only. The ImageNet stem is a 7x7/2
    conv and a 3x3/2 max pool (Table 1); the CIFAR stem a 3x3 conv and no pooling (section 4.2).

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: blocks per stage, e.g. ``[3, 4, 6, 3]``.
        widths: filters per stage (before the block's expansion).
        residual: ``False`` builds the plain twin.
        shortcut: ``"A"``, ``"B"`` or ``"C"`` (section 3.3).
        pad: where option A puts its zero channels, ``"after"`` or ``"both"``.
        stem_width, stem_kernel, stem_stride, stem_pool: the first layer.
        stride_in_1x1: where a bottleneck strides (paper: ``True``).
        num_classes: outputs of the classifier.
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int],
                 widths: Sequence[int], *, residual: bool = True, shortcut: str = "B",
                 stem_width: int = 64, stem_kernel: int = 7, stem_stride: int = 2,
                 stem_pool: bool = True, stride_in_1x1: bool = True, pad: str = "after",
                 num_classes: int = 1000) -> None:
        super().__init__()
        init_seed = int(torch.randint(2**62, (), device="cpu"))  # drawn before any layer exists
        if shortcut not in SHORTCUTS:
            raise StudyError(f"shortcut must be one of {', '.join(SHORTCUTS)}; got {shortcut!r}")
        if pad not in PADS:
            raise StudyError(f"pad must be one of {', '.join(PADS)}; got {pad!r}")
        self.residual = residual
        self.shortcut = shortcut
        self.pad = pad
        self.conv1 = nn.Conv2d(3, stem_width, kernel_size=stem_kernel, stride=stem_stride,
                               padding=stem_kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if stem_pool else nn.Identity()
        in_planes = stem_width
        for i, (blocks, width) in enumerate(zip(layers, widths)):
            stride = 1 if i == 0 else 2  # Downsample by stride 2 at the start of stages 2+ (Table 1, 4.2).
            stage = []
            for j in range(blocks):
                stage.append(block(in_planes, width, stride if j == 0 else 1, residual=residual,
                                   shortcut=shortcut, stride_in_1x1=stride_in_1x1, pad=pad))
                in_planes = width * block.expansion
            self.add_module(f"layer{i + 1}", nn.Sequential(*stage))
        self.num_stages = len(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_planes, num_classes)
        if self.fc.weight.device.type != "meta":  # a net on the meta device has shapes only: nothing to draw
            init_weights(self, init_seed)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


@torch.no_grad()
def init_weights(model: nn.Module, seed: int) -> None:
    """He (kaiming) normal convs as the paper (section 3.4, ref. [13]; fan_out as torchvision),
    BN at 1/0. Drawn from ``seed``, main path first and shortcut projections last, so plain and
    residual twins built under the same global seed start from identical main-path weights."""
    modules = list(model.named_modules())
    main = [m for name, m in modules if "downsample" not in name]
    projections = [m for name, m in modules if "downsample" in name]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _init_modules(main + projections)


def _init_modules(modules: list[nn.Module]) -> None:
    for m in modules:
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            m.reset_parameters()
