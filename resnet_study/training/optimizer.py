"""The run's optimiser: SGD as section 4.2 sets it, fused on CUDA, and safe under fp16's loss scaler.

torch's fused SGD allocates its momentum buffers uninitialised (``torch.empty_like``) on its first
step and fills them in the kernel. When fp16's ``GradScaler`` skips that step (a gradient
overflowed, routine for a new run), the kernel does nothing and the buffers keep whatever the memory
held; the next step multiplies them by 0.9 and moves the weights to about -1e27. ``make_optimizer``
creates every buffer as zeros before any step, which makes the first real step the textbook one
(``buf = 0.9 * 0 + grad = grad``) whether or not steps before it were skipped.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .runfolder import restore

FUSED_DEVICES = ("cuda",)  # where SGD runs as one fused kernel (MPS and CPUs: torch's foreach path)
PER_DEVICE = ("fused", "foreach", "capturable", "differentiable")  # how a step runs here, not what it computes


def make_optimizer(model: torch.nn.Module, cfg, device: torch.device) -> torch.optim.SGD:
    """SGD with ``cfg.optim``'s momentum (0.9) and weight decay (1e-4) on every parameter (sections 3.4,
    4.2), its momentum buffers zeros from the start (see the module's docstring)."""
    fused = device.type in FUSED_DEVICES
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.optim.lr, momentum=cfg.optim.momentum,
                                weight_decay=cfg.optim.weight_decay, **({"fused": True} if fused else {}))
    zero_momentum(optimizer)
    return optimizer


def zero_momentum(optimizer: torch.optim.Optimizer) -> None:
    """Give every parameter without one a zero momentum buffer (a no-op without momentum)."""
    for group in optimizer.param_groups:
        if group.get("momentum", 0):
            for p in group["params"]:
                state = optimizer.state[p]
                if state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)


def restore_optimizer(optimizer: torch.optim.Optimizer, state: dict, path: Path) -> None:
    """Load ``state`` (from a checkpoint made on any device) into ``optimizer``: its buffers move to
    the parameters' device, and each param group keeps this device's way of stepping (``fused`` and
    the like), which the checkpoint's groups would otherwise replace: a run begun on a CPU and
    resumed on CUDA would step the foreach way while the loss scaler takes the fused path."""
    here = [{key: group[key] for key in PER_DEVICE if key in group} for group in optimizer.param_groups]
    restore(optimizer, state, path)
    for group, keys in zip(optimizer.param_groups, here):
        for key in PER_DEVICE:
            group.pop(key, None)
        group.update(keys)
    zero_momentum(optimizer)  # checkpoints from before this module hold no buffers before the first step
