"""Loss landscapes (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets", Fig. 1 and 5).

The loss and error on fixed training images, in eval mode with the trained BN statistics, at
theta + alpha * delta + beta * eta over a grid of (alpha, beta); the grid's axes (beta = 0, alpha = 0)
are the 1-D curves. delta and eta are Gaussian, drawn from one seed in the order of the net's
parameters, so twins (whose tensors have the same names and shapes) get the same draws; each filter
(a conv's output channel, a row of the classifier) is then scaled to the norm of the net's filter
(Li et al., section 4). BN parameters and biases are left at zero. BN makes the loss invariant to
a filter's scale, which is why filters are normalised, and also why the normalisation is imperfect.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from ..io import read_json, write_json
from .estimate import Work
from .images import ImageSet, loss_and_error
from .nets import NetSpec, load_net
from .table import ResultsTable, progress

COLUMNS = ["net", "depth", "residual", "source", "alpha", "beta", "loss", "error", "images"]
KEY = ["net", "alpha", "beta"]
PROBE = "forward"


def raw_direction(model: nn.Module, seed: int, which: int) -> dict[str, Tensor]:
    """Gaussian draws for every weight of ``model`` with more than one dimension (convs, classifier),
    in parameter order from generator (seed, which); zeros for BN parameters and biases."""
    generator = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, which]).generate_state(1)[0]))
    return {name: torch.randn(p.shape, generator=generator) if p.dim() > 1 else torch.zeros(p.shape)
            for name, p in model.named_parameters()}


def filter_normalised(model: nn.Module, raw: dict[str, Tensor]) -> dict[str, Tensor]:
    """``raw`` with each filter scaled to the norm of the matching filter of ``model`` (Li et al., eq. 1)."""
    out = {}
    for name, p in model.named_parameters():
        d = raw[name].to(p.device, torch.float32)
        if p.dim() > 1:
            dims = tuple(range(1, p.dim()))
            norm = torch.linalg.vector_norm
            scale = norm(p.detach().float(), dim=dims, keepdim=True) / norm(d, dim=dims, keepdim=True).clamp(min=1e-12)
            d = d * scale
        out[name] = d
    return out


def directions(model: nn.Module, seed: int) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(delta, eta): the two filter-normalised directions of ``model`` drawn from ``seed``."""
    return (filter_normalised(model, raw_direction(model, seed, 0)),
            filter_normalised(model, raw_direction(model, seed, 1)))


def grid_values(points: int, span: float) -> list[float]:
    """The grid's coordinates on one axis, rounded as the table stores them; 0 is one of them when
    ``points`` is odd."""
    return [round(float(v), 10) for v in np.linspace(-span, span, points)]


def _norm(d: dict[str, Tensor]) -> float:
    return float(torch.sqrt(sum((t.double() ** 2).sum() for t in d.values())))


@torch.no_grad()
def run_landscape(specs: list[NetSpec], images: ImageSet, table: ResultsTable, *, grid: int = 21, span: float = 1.0,
                  seed: int = 0, precision: str = "fp32", batch_size: int = 500,
                  device: torch.device = torch.device("cpu"), log: Callable[[str], None] = print) -> int:
    """Append the loss and error at every grid point of every net to ``table``; the directions' seed
    and norms go into ``directions.json`` beside it. Returns the images evaluated."""
    axis = grid_values(grid, span)
    points = [(a, b) for b in axis for a in axis]
    passes = 0
    for spec in specs:
        todo = [(a, b) for a, b in points if not table.has(net=spec.label, alpha=a, beta=b)]
        if not todo:
            continue
        model, normalize, mean, std = load_net(spec, seed=seed)
        model = model.to(device).eval()
        x, y = images.normalised(normalize, mean, std, device)
        delta, eta = directions(model, seed)
        theta = {name: p.detach().clone() for name, p in model.named_parameters()}
        _record_directions(table.path.parent / "directions.json", spec, seed, theta, delta, eta)
        bar = progress(len(points), len(points) - len(todo), f"landscape {spec.label}")
        for a, b in todo:
            for name, p in model.named_parameters():
                p.copy_(theta[name] + a * delta[name] + b * eta[name])
            loss, error = loss_and_error(model, x, y, batch_size=batch_size, precision=precision)
            table.append(dict(net=spec.label, depth=spec.depth, residual=spec.residual, source=spec.source,
                              alpha=a, beta=b, loss=loss, error=error, images=len(y)))
            passes += len(y)
            bar.update(1)
        bar.close()
    return passes


def plan(specs: list[NetSpec], image_count: int, table: ResultsTable, *, grid: int = 21, span: float = 1.0,
         **_) -> list[Work]:
    """The work ``run_landscape`` has left, a ``Work`` per net: a forward of every image per grid point."""
    axis = grid_values(grid, span)
    todo = {spec: sum(not table.has(net=spec.label, alpha=a, beta=b) for b in axis for a in axis)
            for spec in specs}
    return [Work(spec.model, n * image_count, n * image_count) for spec, n in todo.items()]


def probe(model: nn.Module, x: Tensor, y: Tensor, precision: str) -> None:
    """The step ``plan`` counts in: the loss and error of a batch x (N, 3, 32, 32), labels y (N,)."""
    loss_and_error(model, x, y, batch_size=len(x), precision=precision)


def _record_directions(path, spec: NetSpec, seed: int, theta: dict, delta: dict, eta: dict) -> None:
    saved = read_json(path) or {}
    cos = sum((delta[k].double() * eta[k].double()).sum() for k in delta) / (_norm(delta) * _norm(eta))
    saved[spec.label] = dict(seed=seed, generator="torch.Generator seeded from numpy SeedSequence([seed, 0 or 1])",
                             weights_norm=_norm(theta), delta_norm=_norm(delta), eta_norm=_norm(eta),
                             cosine_delta_eta=float(cos), normalisation="per filter, to the net's filter norm; "
                             "BN parameters and biases zero")
    write_json(path, saved)
