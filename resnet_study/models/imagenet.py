"""ImageNet networks of Table 1: 18/34 layers with basic blocks, 50/101/152 with bottlenecks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import StudyError
from ._registry import register_family

if TYPE_CHECKING:
    from .resnet import ResNet

# Table 1: block type and blocks per stage (conv2_x .. conv5_x).
STAGES = {
    18: ("BasicBlock", [2, 2, 2, 2]),
    34: ("BasicBlock", [3, 4, 6, 3]),
    50: ("Bottleneck", [3, 4, 6, 3]),
    101: ("Bottleneck", [3, 4, 23, 3]),
    152: ("Bottleneck", [3, 8, 36, 3]),
}


def check_imagenet_depth(depth: int) -> None:
    if depth not in STAGES:
        raise StudyError(f"ImageNet depth must be one of {', '.join(map(str, STAGES))}; got {depth}")


def _imagenet_net(depth: int, residual: bool, shortcut: str = "B", stride_in_1x1: bool = True,
                  pad: str = "after", num_classes: int = 1000) -> ResNet:
    from . import resnet as blocks  # torch loads when a net is built, not when a name is read

    check_imagenet_depth(depth)
    block, layers = STAGES[depth]
    return blocks.ResNet(getattr(blocks, block), layers, [64, 128, 256, 512], residual=residual, shortcut=shortcut,
                  stride_in_1x1=stride_in_1x1, pad=pad, num_classes=num_classes)


def resnet(depth: int, **kwargs) -> ResNet:
    """ImageNet ResNet-``depth`` (Table 1), torchvision's state-dict names.

    Args:
        shortcut: ``"B"`` (default: projections where the shape changes, as the paper's deeper
            nets), ``"A"`` (zero-padding, as Table 2 / Fig. 4) or ``"C"``.
        stride_in_1x1: bottleneck stride in the first 1x1 conv as the paper (default); ``False``
            is torchvision's "V1.5" placement in the 3x3 conv.
        pad: where option A puts its zero channels, ``"after"`` (default) or ``"both"``.
        weights: a checkpoint to load, e.g. a torchvision state dict.
        num_classes: outputs (default 1000).
    """
    return _imagenet_net(depth, True, **kwargs)


def plain(depth: int, **kwargs) -> ResNet:
    """ImageNet plain net: ``resnet(depth)`` without its shortcuts."""
    return _imagenet_net(depth, False, **kwargs)


FAMILY = register_family("plain", "resnet", _imagenet_net, family="imagenet", paper_depths=tuple(STAGES),
                         input_size=(3, 224, 224), default_shortcut="B", check_depth=check_imagenet_depth,
                         options=("shortcut", "stride_in_1x1", "pad", "num_classes"))
