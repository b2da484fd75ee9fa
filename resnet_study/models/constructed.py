"""The constructed solution of section 1: a deeper net that computes exactly what a shallower one does.

"There exists a solution by construction to the deeper model: the added layers are identity
mapping, and the other layers are copied from the learned shallower model" (He et al. 2015,
section 1). ``deepen`` builds that solution for our CIFAR nets (section 4.2).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import StudyError
from .cifar import FAMILY, check_cifar_depth
from .resnet import BasicBlock, ResNet

CIFAR_WIDTHS = (16, 32, 64)  # section 4.2


def cifar_blocks(net: nn.Module) -> int:
    """Blocks per stage ``n`` of a CIFAR net of depth 6n+2; ``StudyError`` for any other net."""
    if not isinstance(net, ResNet):
        raise StudyError(f"deepen takes a CIFAR plain net or ResNet of this package; got a {type(net).__name__}")
    stages = [getattr(net, f"layer{i + 1}") for i in range(net.num_stages)]
    if net.num_stages != 3 or net.conv1.kernel_size != (3, 3) or not isinstance(stages[0][0], BasicBlock):
        raise StudyError(f"deepen takes a CIFAR net (cifar_plain / cifar_resnet, section 4.2); got an ImageNet "
                         f"net with {net.num_stages} stages and a {net.conv1.kernel_size[0]}x"
                         f"{net.conv1.kernel_size[1]} stem")
    widths = tuple(stage[0].conv1.out_channels for stage in stages)
    if widths != CIFAR_WIDTHS or len({len(stage) for stage in stages}) != 1:
        raise StudyError(f"deepen takes a CIFAR net of three equal stages of 16, 32 and 64 filters; got stages of "
                         f"{[len(s) for s in stages]} blocks and {list(widths)} filters")
    return len(stages[0])


class RunningStatsBatchNorm2d(nn.BatchNorm2d):
    """BN that normalises with its running statistics in train mode too and never updates them;
    gamma and beta still learn. Its state dict is ``nn.BatchNorm2d``'s."""

    def forward(self, x: Tensor) -> Tensor:
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)


def added_blocks(deep: ResNet, depth: int) -> list[BasicBlock]:
    """The blocks ``deepen(net of depth, ...)`` added to ``deep``: the last m - n of each stage."""
    n = (depth - 2) // 6
    return [block for i in range(3) for block in list(getattr(deep, f"layer{i + 1}"))[n:]]


def freeze_bn_statistics(blocks: list[BasicBlock]) -> None:
    """Swap every BN of ``blocks`` for a ``RunningStatsBatchNorm2d`` holding the same tensors, so
    the added layers of a built plain net stay identities in train mode until SGD moves their weights."""
    for block in blocks:
        for name, bn in list(block.named_modules()):
            if type(bn) is nn.BatchNorm2d:
                frozen = RunningStatsBatchNorm2d(bn.num_features, eps=bn.eps, momentum=bn.momentum)
                frozen.load_state_dict(bn.state_dict())
                parent, _, leaf = name.rpartition(".")
                setattr(block.get_submodule(parent) if parent else block, leaf,
                        frozen.to(bn.weight.device, bn.weight.dtype))


@torch.no_grad()
def _identity_bn(bn: nn.BatchNorm2d) -> None:
    # Running mean 0 and variance 1 - eps make eval-mode BN x / sqrt(1) = x exactly.
    bn.running_mean.zero_()
    bn.running_var.fill_(1.0 - bn.eps)
    bn.weight.fill_(1.0)
    bn.bias.zero_()
    bn.num_batches_tracked.zero_()


@torch.no_grad()
def _delta_conv(conv: nn.Conv2d) -> None:
    # The centre tap of a 3x3 (or the only tap of a 1x1) kernel, 1 on the diagonal: y = x per channel.
    conv.weight.zero_()
    centre = conv.kernel_size[0] // 2
    for c in range(conv.out_channels):
        conv.weight[c, c, centre, centre] = 1.0


@torch.no_grad()
def make_identity(block: BasicBlock) -> None:
    """Set a stride-1 block of equal width to the identity on non-negative inputs (section 1).

    Plain block: both convs are delta kernels and both BNs the identity in eval mode, so each ReLU
    sees a non-negative input and passes it unchanged. Residual block: the last BN has gamma 0 and
    beta 0, so F(x) = 0 in eval and train mode and the block is ReLU(x) = x; its convs keep their
    fresh He initialisation, so gradients reach them once gamma moves (as torchvision's
    ``zero_init_residual``). An option C projection on the shortcut is made a delta 1x1 conv with
    an eval-mode identity BN.
    """
    if block.residual:
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()
        if block.downsample is not None:
            _delta_conv(block.downsample[0])
            _identity_bn(block.downsample[1])
        return
    for conv, bn in ((block.conv1, block.bn1), (block.conv2, block.bn2)):
        _delta_conv(conv)
        _identity_bn(bn)


def deepen(net: nn.Module, depth: int) -> ResNet:
    """The net of ``depth`` = 6m+2 layers that computes what ``net`` (6n+2, n < m) does (section 1).

    The paper gives the construction, "the added layers are identity mapping, and the other layers
    are copied from the learned shallower model", but not where the added layers go. Here the copied
    blocks keep their places, first in each stage, and the m - n identity blocks are appended at the
    end of each stage. So the stride-2 first block of each stage, which no identity can replace, is a
    copied one, and the shallow net's state dict is the deep net's with the added blocks left out.

    Args:
        net: a CIFAR ``cifar_plain`` or ``cifar_resnet`` net, trained or not; its input is a
            normalised image batch (N, 3, 32, 32).
        depth: the deeper net's depth 6m+2, larger than ``net``'s.

    Returns:
        ``cifar_plain<depth>`` or ``cifar_resnet<depth>`` with ``net``'s shortcut option, pad
        placement, classes, dtype, device and train/eval mode; its state dict loads into
        ``create_model(name, shortcut=..., pad=...)``. In eval mode its logits (N, classes) equal
        ``net``'s. Identity blocks of a plain net are identities in eval mode only: train-mode BN
        normalises each batch. Added convs of a ResNet are drawn from torch's global generator.

    Raises:
        StudyError: ``net`` is not a CIFAR net of this package, or ``depth`` is not 6m+2 or not
            larger than ``net``'s depth.
    """
    from ._registry import build

    n = cifar_blocks(net)
    check_cifar_depth(depth)
    prefix = FAMILY.residual if net.residual else FAMILY.plain
    if depth <= 6 * n + 2:
        raise StudyError(f"deepen builds a deeper net: depth {depth} is not larger than {prefix}{6 * n + 2}'s")
    deep = build(f"{prefix}{depth}", shortcut=net.shortcut, pad=net.pad, num_classes=net.fc.out_features)
    missing, unexpected = deep.load_state_dict(net.state_dict(), strict=False)
    assert not unexpected and all(int(key.split(".")[1]) >= n for key in missing)
    for block in added_blocks(deep, 6 * n + 2):
        make_identity(block)
    first = next(net.parameters())
    return deep.to(device=first.device, dtype=first.dtype).train(net.training)
