"""CIFAR-10 networks of section 4.2: depth 6n+2, three stages of n two-layer blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import StudyError
from ._registry import register_family

if TYPE_CHECKING:
    from .resnet import ResNet

PAPER_DEPTHS = (20, 32, 44, 56, 110, 1202)  # Table 6


def check_cifar_depth(depth: int) -> None:
    if depth < 8 or (depth - 2) % 6:
        raise StudyError(f"CIFAR depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...); got {depth}")


def check_deepening(model: str, source: str) -> None:
    """One sentence unless ``source`` -> ``model`` deepens a CIFAR net within its family (section 1)."""
    from ._registry import model_info

    deep, shallow = model_info(model), model_info(source)
    for info in (deep, shallow):
        if info.family != "cifar":
            raise StudyError(f"only CIFAR nets (cifar_plain<D>, cifar_resnet<D>) are deepened; {info.name} is an "
                             f"ImageNet net")
    if deep.residual != shallow.residual:
        raise StudyError(f"a net is deepened within its family: {source} is a {shallow.kind} net but {model} is a "
                         f"{deep.kind} net")
    if deep.depth <= shallow.depth:
        raise StudyError(f"deepening builds a deeper net: {model} is not deeper than {source}")


def _cifar_net(depth: int, residual: bool, shortcut: str = "A", pad: str = "after",
               num_classes: int = 10) -> ResNet:
    from .resnet import BasicBlock, ResNet  # torch loads when a net is built, not when a name is read

    check_cifar_depth(depth)
    n = (depth - 2) // 6
    # 16/32/64 filters on 32/16/8 maps, 3x3 stem, no pooling; option A by default (section 4.2).
    return ResNet(BasicBlock, [n, n, n], [16, 32, 64], residual=residual, shortcut=shortcut, pad=pad,
                  stem_width=16, stem_kernel=3, stem_stride=1, stem_pool=False,
                  num_classes=num_classes)


def cifar_resnet(depth: int, **kwargs) -> ResNet:
    """CIFAR ResNet of ``depth`` = 6n+2 layers.

    Args:
        shortcut: ``"A"`` (default, zero-padding), ``"B"`` or ``"C"`` projections.
        pad: option A's zero channels ``"after"`` the input's (default, as fb.resnet.torch) or
            on ``"both"`` sides (as akamaster/pytorch_resnet_cifar10, whose checkpoints need it).
        weights: a checkpoint to load (``create_model(name, weights=PATH)``).
        num_classes: outputs (default 10).
    """
    return _cifar_net(depth, True, **kwargs)


def cifar_plain(depth: int, **kwargs) -> ResNet:
    """CIFAR plain net: ``cifar_resnet(depth)`` without its shortcuts."""
    return _cifar_net(depth, False, **kwargs)


FAMILY = register_family("cifar_plain", "cifar_resnet", _cifar_net, family="cifar", paper_depths=PAPER_DEPTHS,
                         input_size=(3, 32, 32), default_shortcut="A", check_depth=check_cifar_depth,
                         options=("shortcut", "pad", "num_classes"))
