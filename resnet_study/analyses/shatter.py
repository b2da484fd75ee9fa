"""Shattered gradients (Balduzzi et al. 2017): how alike are the input gradients of nearby inputs?

Along a line of ``points`` inputs between two real training images, x(t) = (1 - t) a + t b, take the
gradient of the logit of a's class with respect to the input, and correlate the gradients of inputs
``lag`` steps apart (Pearson, over the 3x32x32 input, averaged along the line). At initialisation a
deep plain net's gradients decorrelate like white noise (Balduzzi's ~2^-L) and a ResNet's like brown
noise (~1/sqrt(L)). Nets at initialisation take their BN statistics from one train-mode pass over
the image set. Gradients are computed at fp32: bf16's rounding would itself decorrelate them.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from .estimate import Work
from .images import ImageSet
from .nets import NetSpec, load_net, parse_net
from .table import ResultsTable, progress

COLUMNS = ["net", "depth", "residual", "source", "trained", "seed", "line", "lag", "correlation"]
KEY = ["net", "seed", "line", "lag"]
CHUNK = 32  # inputs per forward and backward
PROBE, PROBE_BATCH = "forward and backward", CHUNK
FORWARD_SHARE = 0.4  # a forward's time over a forward and backward's (plain-56 on a CPU: 1151 vs 448 images/s)


def input_gradients(model: nn.Module, x: Tensor, label: int, chunk: int = CHUNK) -> Tensor:
    """Gradients (N, C*H*W) of logit ``label`` with respect to each input of x (N, C, H, W), in chunks."""
    grads = []
    for start in range(0, len(x), chunk):
        part = x[start:start + chunk].detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model(part)[:, label].sum(), part)
        grads.append(grad.flatten(1))
    return torch.cat(grads)


def lag_correlations(grads: Tensor, max_lag: int) -> Tensor:
    """Mean Pearson correlation of rows ``lag`` apart, for lag = 1 ... ``max_lag``: a (max_lag,) tensor."""
    g = grads.double()
    g = g - g.mean(1, keepdim=True)
    g = g / g.norm(dim=1, keepdim=True).clamp(min=1e-300)
    return torch.stack([(g[:-lag] * g[lag:]).sum(1).mean() for lag in range(1, max_lag + 1)])


def line_correlations(model: nn.Module, a: Tensor, b: Tensor, label: int, points: int, max_lag: int,
                      chunk: int = CHUNK) -> Tensor:
    """``lag_correlations`` of the input gradients along ``points`` inputs from image a to b (C, H, W)."""
    t = torch.linspace(0, 1, points, device=a.device)[:, None, None, None]
    return lag_correlations(input_gradients(model, (1 - t) * a + t * b, label, chunk), max_lag)


@torch.no_grad()
def set_bn_statistics(model: nn.Module, x: Tensor, batch_size: int = 256) -> None:
    """BN running statistics of a net at initialisation from one train-mode pass over x (cumulative)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the pass's batches
    model.train()
    for start in range(0, len(x), batch_size):
        model(x[start:start + batch_size])
    model.eval()


def run_shatter(specs: list[NetSpec], images: ImageSet, table: ResultsTable, *, init_depths: list[int],
                seeds: list[int], points: int = 256, lines: int = 4, max_lag: int = 32, seed: int = 0,
                precision: str = "fp32", batch_size: int = 256, device: torch.device = torch.device("cpu"),
                log: Callable[[str], None] = print) -> int:
    """Correlations of every net: ``specs`` (trained) under ``seed``, and plain and residual nets of
    each of ``init_depths`` at initialisation under each of ``seeds``. Returns input gradients taken."""
    jobs = _jobs(specs, init_depths, seeds, seed)
    todo = [(spec, s) for spec, s in jobs if not table.has(net=spec.label, seed=s, line=lines - 1, lag=max_lag)]
    bar = progress(len(jobs), len(jobs) - len(todo), "shatter")
    passes = 0
    for spec, s in todo:
        model, normalize, mean, std = load_net(spec, seed=s)
        model = model.to(device)
        x, y = images.normalised(normalize, mean, std, device)
        if not spec.trained:
            set_bn_statistics(model, x, batch_size)
        model.eval()
        for line in range(lines):
            if table.has(net=spec.label, seed=s, line=line, lag=max_lag):
                continue
            corr = line_correlations(model, x[2 * line], x[2 * line + 1], int(y[2 * line]), points, max_lag)
            passes += points
            for lag, value in enumerate(corr.tolist(), start=1):
                table.append(dict(net=spec.label, depth=spec.depth, residual=spec.residual, source=spec.source,
                                  trained=spec.trained, seed=s, line=line, lag=lag, correlation=value))
        bar.update(1)
    bar.close()
    frame = table.frame()
    neighbours = frame[frame.lag == 1].groupby("net", sort=False).correlation.mean()
    log("neighbouring-gradient correlation: " + ", ".join(f"{net} {c:.3f}" for net, c in neighbours.items()))
    return passes


def _jobs(specs: list[NetSpec], init_depths: list[int], seeds: list[int], seed: int) -> list[tuple[NetSpec, int]]:
    """(net, seed): ``specs`` under ``seed``, then plain and residual nets at init of each depth and seed."""
    jobs = [(spec, seed) for spec in specs]
    jobs += [(parse_net(f"cifar_{kind}{d}"), s) for d in init_depths for kind in ("plain", "resnet") for s in seeds]
    return list(dict.fromkeys(jobs))  # a net at init given in --nets is one of the init jobs


def plan(specs: list[NetSpec], image_count: int, table: ResultsTable, *, init_depths: list[int], seeds: list[int],
         points: int = 256, lines: int = 4, max_lag: int = 32, seed: int = 0, **_) -> list[Work]:
    """The work ``run_shatter`` has left, a ``Work`` per (net, seed): the input gradients of each line's
    points, and for a net at initialisation the forward that sets its BN statistics."""
    work = []
    for spec, s in _jobs(specs, init_depths, seeds, seed):
        left = sum(not table.has(net=spec.label, seed=s, line=line, lag=max_lag) for line in range(lines))
        if left:
            statistics = 0 if spec.trained else image_count * FORWARD_SHARE
            work.append(Work(spec.model, left * points, left * points + statistics))
    return work


def probe(model: nn.Module, x: Tensor, y: Tensor, precision: str) -> None:
    """The step ``plan`` counts in: the input gradients of a batch x (N, 3, 32, 32), at fp32 as the run."""
    input_gradients(model, x, int(y[0]))
