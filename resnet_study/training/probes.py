"""Layer responses (paper Fig. 7, section 4.2) and per-layer gradient norms: probes of a net,
which know nothing of runs or files (``evaluate`` applies them to run folders and checkpoints)."""

from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd
import torch
from torch import Tensor, nn

from .device import sum_dtype


def response_layers(model: nn.Module) -> list[tuple[str, nn.BatchNorm2d]]:
    """(conv name, the BN after it) for every 3x3 conv, in forward order.

    Our blocks name a conv's BN after it (``conv2`` -> ``bn2``), as torchvision does.
    """
    modules = dict(model.named_modules())
    layers = []
    for name, module in modules.items():
        if isinstance(module, nn.Conv2d) and module.kernel_size == (3, 3):
            head, _, leaf = name.rpartition(".")
            bn_name = (head + "." if head else "") + leaf.replace("conv", "bn")
            if not isinstance(modules.get(bn_name), nn.BatchNorm2d):
                raise ValueError(f"no BatchNorm2d named {bn_name} after {name}")
            layers.append((name, modules[bn_name]))
    return layers


def _batches(images: Tensor | Iterable, batch_size: int) -> Iterable[Tensor]:
    if isinstance(images, Tensor):
        for start in range(0, len(images), batch_size):
            yield images[start:start + batch_size]
    else:
        for batch in images:
            yield batch[0] if isinstance(batch, (tuple, list)) else batch


@torch.no_grad()
def layer_responses(model: nn.Module, images: Tensor | Iterable, batch_size: int = 256,
                    reduce: Callable[[Tensor], Tensor] | None = None) -> pd.DataFrame:
    """Std of each 3x3 layer's response: the output of its BN, before the addition and ReLU.

    One row per 3x3 conv in forward order: ``layer`` (1-based), ``name`` (module path), ``std``
    over every element for all ``images`` (a tensor, or an iterable of batches or (x, y) pairs).
    The model stays in the mode the caller set; the paper's analysis uses ``model.eval()``.
    Sums are accumulated in float64 (float32 on MPS) inside the hook, before an in-place ReLU can
    alter the output. ``reduce`` (an all-reduce across processes, each of which passed its share of
    the images) sums the (layers, 3) tensor of counts, sums and sums of squares before the std.
    """
    layers = response_layers(model)
    device = next(model.parameters()).device
    sums = torch.zeros(len(layers), 3, dtype=sum_dtype(device), device=device)  # count, sum, sum of squares
    handles = []
    for i, (_, bn) in enumerate(layers):
        def hook(module, inputs, output, i=i):
            x = output.detach().to(sums.dtype)
            sums[i, 0] += x.numel()
            sums[i, 1] += x.sum()
            sums[i, 2] += (x * x).sum()
        handles.append(bn.register_forward_hook(hook))
    try:
        for batch in _batches(images, batch_size):
            model(batch.to(device))
    finally:
        for handle in handles:
            handle.remove()
    if reduce is not None:
        sums = reduce(sums)
    count, total, squares = sums.cpu().unbind(1)
    mean = total / count
    std = (squares / count - mean * mean).clamp_min(0).sqrt()
    return pd.DataFrame({"layer": range(1, len(layers) + 1), "name": [n for n, _ in layers],
                         "std": std.numpy()})


def conv_weights(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Main-path conv weights in forward order (shortcut projections excluded)."""
    return [(name, p) for name, p in model.named_parameters()
            if p.dim() == 4 and "downsample" not in name]


def gradient_norms(model: nn.Module) -> Tensor:
    """L2 norm of each main-path conv weight's gradient, on the device (no host sync)."""
    grads = [p.grad for _, p in conv_weights(model)]
    return torch.stack(torch._foreach_norm(grads)) if grads else torch.zeros(0)
