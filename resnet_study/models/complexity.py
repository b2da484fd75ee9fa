"""Parameter and multiply-add counts, as the paper reports them (Table 1, Table 6)."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ._registry import build, model_info


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_size: tuple[int, int, int]) -> int:
    """Multiply-adds of one forward pass on one image (convolutions and the classifier).

    Counted by torch's FlopCounterMode, which reports 2 FLOPs per multiply-add.
    """
    device = next(model.parameters()).device
    x = torch.zeros(1, *input_size, device=device)
    counter = FlopCounterMode(display=False)
    was_training = model.training
    model.eval()
    with counter, torch.no_grad():
        model(x)
    model.train(was_training)
    return counter.get_total_flops() // 2


def describe(name: str, **kwargs) -> dict:
    """One row of the ``resnet-study models`` table; built on the meta device, so it is fast."""
    info = model_info(name)
    with torch.device("meta"):
        model = build(name, **kwargs)
    return {
        "name": name,
        "depth": info.depth,
        "kind": info.kind,
        "shortcut": getattr(model, "shortcut", info.default_shortcut) if info.residual else "-",
        "parameters": count_parameters(model),
        "macs": count_macs(model, info.input_size),
    }
