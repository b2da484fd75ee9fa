"""How long an analysis will take here, said before it starts: its planned work, timed on this machine.

Each analysis module declares the work left as ``Work`` rows (``plan``) and its timed step (``probe``:
a forward, or forward and backward, of one batch as the analysis computes it). One untimed warm-up
batch, then each depth is timed for at least ``MIN_SECONDS`` (plain and residual twins of a depth
cost the same: they differ in additions); the work's images at each depth's measured rate give the
estimate. The random state is left as it was, so a run's draws do not depend on the estimate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..estimate import BUSY_SHARE, cpu_share, crowded_note, duration

MIN_SECONDS = 0.5  # timed per depth at most, and no longer than the work at that depth: a few seconds in all


@dataclass(frozen=True)
class Work:
    """The work an analysis will do on one net (in shatter, one net under one seed).

    Attributes:
        model: the registered net computed, e.g. ``cifar_plain56`` (its speed is what is timed).
        passes: image passes, in the units the analysis's run function returns and ``run.json`` records.
        images: the same work as images through the analysis's ``probe``.
        blocks: for an analysis whose probe times each block (lesion), the images through each block
            besides: a lesion computes the blocks after its first deleted one.
    """

    model: str
    passes: int
    images: float
    blocks: tuple[float, ...] = ()


@dataclass(frozen=True)
class Estimate:
    seconds: float  # the planned work at the measured rates
    passes: int  # the planned image passes
    line: str  # one line for the user


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_image(models: dict[str, float], probe: Callable, images: np.ndarray, labels: np.ndarray, batch: int,
                      precision: str, device: torch.device) -> tuple[dict, float | None]:
    """By depth: seconds per image of ``probe(model, x, y, precision)`` on a batch of ``batch`` images
    (uint8 (N, 3, 32, 32), repeated when fewer), and of each block where the probe returns each
    block's seconds (else an empty array): {depth: (seconds, array)}; and the share of the CPU the
    timing got (None on a GPU). ``models``: net name -> the images planned on it; the first net of
    each depth is timed, for ``MIN_SECONDS`` or its planned images, after one warm-up batch."""
    from ..models import create_model, model_info

    index = np.arange(batch) % len(images)
    x = (torch.from_numpy(images[index]).float() / 255).to(device)
    y = torch.from_numpy(np.asarray(labels)[index]).long().to(device)
    by_depth, planned = {}, {}
    for name, count in models.items():
        depth = model_info(name).depth
        by_depth.setdefault(depth, name)
        planned[depth] = planned.get(depth, 0) + count
    rates, warm = {}, False
    wall, cpu = time.perf_counter(), time.process_time()
    for depth, name in sorted(by_depth.items()):
        with torch.random.fork_rng(devices=[]):
            model = create_model(name).to(device).eval()
        if not warm:
            probe(model, x, y, precision)  # untimed: first-call allocations and kernel choices
            warm = True
        count, blocks, start = 0, 0.0, time.perf_counter()
        while count == 0 or time.perf_counter() - start < MIN_SECONDS and count < planned[depth]:
            blocks = blocks + np.asarray(probe(model, x, y, precision) or [], dtype=float)
            _sync(device)
            count += batch
        rates[depth] = ((time.perf_counter() - start) / count, blocks / count)
    # CPU time the timing got over what its threads could have had (as resnet_study.estimate): under
    # BUSY_SHARE, other work shared the cores and the estimate may be many times too long
    share = cpu_share(wall, cpu)
    return rates, (share if device.type == "cpu" else None)


def estimate(analysis: str, work: list[Work], module, images: np.ndarray, labels: np.ndarray, batch: int,
             precision: str, device: torch.device, where: str, resumed: bool) -> Estimate:
    """The planned ``work`` of ``module`` (its ``probe`` and ``PROBE``, what the probe computes) timed
    here, with one line such as ``estimate: about 12 minutes here (lesion: 1,234,000 image passes of
    4 nets; measured 410 images/s forward on cifar_plain56, fp32, batches of 500, <where: the CPU or GPU>)``."""
    from ..models import model_info

    work = [w for w in work if w.passes]
    passes = sum(w.passes for w in work)
    if not work:
        return Estimate(0.0, 0, f"estimate: nothing left to compute ({analysis}: the table is complete)")
    models = {}
    for w in work:
        models[w.model] = models.get(w.model, 0.0) + w.images
    per_image, share = seconds_per_image(models, module.probe, images, labels, batch, precision, device)
    cost = {}
    for w in work:
        depth = model_info(w.model).depth
        whole, blocks = per_image[depth]
        cost[depth] = cost.get(depth, 0.0) + w.images * whole + float(np.dot(w.blocks, blocks) if w.blocks else 0)
    seconds = sum(cost.values())
    main = max(cost, key=cost.get)  # the depth that takes most of the time, whose rate is shown
    shown = next(w.model for w in work if model_info(w.model).depth == main)
    scope = "here for what is left" if resumed else "here"
    crowded = share is not None and share < BUSY_SHARE and seconds > 60  # a tiny net leaves threads idle anyway
    busy = crowded_note(share) if crowded else ""
    return Estimate(seconds, passes, (
        f"estimate: about {duration(seconds)} {scope} ({analysis}: {passes:,} image passes of "
        f"{len(work)} nets; measured {1 / per_image[main][0]:,.0f} images/s {module.PROBE} on "
        f"{shown}, {precision}, batches of {batch}, {where}{busy})"))

