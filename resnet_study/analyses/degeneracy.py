"""A degeneracy audit (Orhan & Pitkow 2018, "Skip Connections Eliminate Singularities"), per 3x3 layer
of a trained net, on the ReLU of each layer's BN output (the unit's own ReLU; in a ResNet block's
second layer the addition of the shortcut comes before it, so this is the residual branch's unit):

- ``dead_share``: channels never active on any image and position (elimination singularities);
- ``gamma_near_zero_share``, ``mean_abs_gamma``, ``mean_abs_beta``: collapsed BN scales;
- ``effective_rank``: exp of the entropy of the channel covariance's normalised eigenvalues (Roy &
  Vetterli 2007), and ``rank_share`` = it over the channels (linear-dependence singularities);
- ``max_abs_corr``: the largest |correlation| between two live channels (overlap singularities).

Computed in fp32: "never active" is an exact test that rounding would blur.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..training.probes import response_layers
from .estimate import Work
from .images import ImageSet
from .nets import NetSpec, load_net
from .table import ResultsTable, progress

COLUMNS = ["net", "depth", "residual", "source", "layer", "name", "channels", "images", "dead_share", "active_share",
           "gamma_near_zero_share", "mean_abs_gamma", "mean_abs_beta", "effective_rank", "rank_share", "max_abs_corr"]
KEY = ["net", "layer"]
PROBE = "forward with activation statistics"


class ChannelStats:
    """Sums over (N, H, W) of one layer's post-ReLU activations (C channels), in float64."""

    def __init__(self, channels: int) -> None:
        self.count = 0
        self.active = torch.zeros(channels, dtype=torch.float64)
        self.total = torch.zeros(channels, dtype=torch.float64)
        self.gram = torch.zeros(channels, channels, dtype=torch.float64)

    def add(self, bn_output: Tensor) -> None:
        a = torch.relu(bn_output.detach()).double().transpose(0, 1).reshape(bn_output.shape[1], -1)  # (C, NHW)
        self.count += a.shape[1]
        self.active += (a > 0).sum(1)
        self.total += a.sum(1)
        self.gram += a @ a.T

    def summary(self) -> dict:
        """dead_share, active_share, effective_rank, rank_share, max_abs_corr of the sums so far."""
        mean = self.total / self.count
        cov = self.gram / self.count - torch.outer(mean, mean)
        eig = torch.linalg.eigvalsh(cov).clamp(min=0)
        p = eig / eig.sum() if eig.sum() > 0 else torch.full_like(eig, 1 / len(eig))
        rank = float(torch.exp(-(p[p > 0] * p[p > 0].log()).sum()))
        var = cov.diagonal()
        live = var > 1e-12 * var.max().clamp(min=1e-30)
        corr = cov[live][:, live] / torch.sqrt(torch.outer(var[live], var[live]))
        corr.fill_diagonal_(0)
        channels = len(mean)
        return dict(dead_share=float((self.active == 0).double().mean()),
                    active_share=float((self.active / self.count).mean()),
                    effective_rank=rank, rank_share=rank / channels,
                    max_abs_corr=float(corr.abs().max()) if live.sum() > 1 else float("nan"))


@torch.inference_mode()
def audit(model: torch.nn.Module, x: Tensor, batch_size: int, gamma_near_zero: float) -> list[dict]:
    """One dict per 3x3 layer in forward order (the columns after ``layer``/``name``) for images x."""
    layers = response_layers(model)
    stats = [ChannelStats(bn.num_features) for _, bn in layers]
    handles = [bn.register_forward_hook(lambda m, i, o, s=s: s.add(o)) for (_, bn), s in zip(layers, stats)]
    try:
        for start in range(0, len(x), batch_size):
            model(x[start:start + batch_size])
    finally:
        for handle in handles:
            handle.remove()
    rows = []
    for i, ((name, bn), s) in enumerate(zip(layers, stats)):
        gamma, beta = bn.weight.detach().abs().double(), bn.bias.detach().abs().double()
        rows.append(dict(layer=i + 1, name=name, channels=bn.num_features, images=len(x),
                         gamma_near_zero_share=float((gamma < gamma_near_zero).double().mean()),
                         mean_abs_gamma=float(gamma.mean()), mean_abs_beta=float(beta.mean()), **s.summary()))
    return rows


def run_degeneracy(specs: list[NetSpec], images: ImageSet, table: ResultsTable, *, gamma_near_zero: float = 0.01,
                   seed: int = 0, precision: str = "fp32", batch_size: int = 250,
                   device: torch.device = torch.device("cpu"), log: Callable[[str], None] = print) -> int:
    """Append the audit of every net to ``table``, a net at a time; returns the images passed."""
    passes = 0
    bar = progress(len(specs), sum(table.has(net=s.label, layer=1) for s in specs), "degeneracy")
    for spec in specs:
        if table.has(net=spec.label, layer=1):
            continue
        model, normalize, mean, std = load_net(spec, seed=seed)
        x, _ = images.normalised(normalize, mean, std, device)
        rows = audit(model.to(device).eval(), x, batch_size, gamma_near_zero)
        for row in rows:
            table.append(dict(net=spec.label, depth=spec.depth, residual=spec.residual, source=spec.source, **row))
        passes += len(x)
        bar.update(1)
        dead = sum(r["dead_share"] * r["channels"] for r in rows) / sum(r["channels"] for r in rows)
        log(f"{spec.label}: dead channels {100 * dead:.1f}%, "
            f"mean |gamma| {sum(r['mean_abs_gamma'] for r in rows) / len(rows):.3f}, "
            f"mean rank share {sum(r['rank_share'] for r in rows) / len(rows):.2f}")
    bar.close()
    return passes


def plan(specs: list[NetSpec], image_count: int, table: ResultsTable, **_) -> list[Work]:
    """The work ``run_degeneracy`` has left, a ``Work`` per net: an audit of every image."""
    return [Work(spec.model, image_count, image_count) for spec in dict.fromkeys(specs)
            if not table.has(net=spec.label, layer=1)]


def probe(model: torch.nn.Module, x: Tensor, y: Tensor, precision: str) -> None:
    """The step ``plan`` counts in: the audit of a batch x (N, 3, 32, 32), in fp32 as the run."""
    audit(model, x, len(x), 0.01)
