"""Before a sweep trains on this machine's CPU, how long it will take: one sentence from timed steps."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import epochs
from ..data.registry import dataset_info
from ..training.artefacts import FINISHED
from .claims import run_status
from .spec import Sweep

# Below this much training (FLOPs, bench's count) a sweep takes well under a minute on a laptop's CPU:
# not worth the few seconds a measurement costs (the test suite's sweeps stay below it).
FLOOR_FLOPS = 1e13


@dataclass
class Estimate:
    hours: float  # the sweep's remaining runs at the measured rate
    text: str  # one sentence for the user


def cpu_estimate(sweep: Sweep) -> Estimate | None:
    """Without a GPU, one sentence on how long the sweep's remaining runs take here, one after
    another, from three timed training steps of its costliest net (``estimate.estimate_training``).
    For a preset its data set marks as a GPU's (the paper's 64k iterations), the sentence also
    points to the presets made for a CPU. None on a GPU, for a finished sweep, or below
    ``FLOOR_FLOPS``."""
    import torch

    from ..bench import training_flops_per_image
    from ..estimate import duration, estimate_training

    first = sweep.config(*sweep.runs()[0])
    if torch.cuda.is_available() or first.run.device not in ("auto", "cpu"):
        return None
    todo = [sweep.config(m, s) for m, s in sweep.runs() if run_status(sweep, m, s) not in FINISHED]
    if not todo or (first.optim.epochs is None and sum(
            cfg.optim.iterations * cfg.optim.batch_size * training_flops_per_image(cfg) for cfg in todo) < FLOOR_FLOPS):
        return None
    estimate = estimate_training(todo)
    costliest = next(cfg for cfg in todo if cfg.model.name == estimate.model)
    if sweep.preset not in dataset_info(first.data.dataset).estimated_presets:
        return Estimate(estimate.seconds / 3600, (
            f"the {len(todo)} runs left would take about {duration(estimate.seconds)} here, one after another "
            f"({estimate.measured()})"))
    train_images = estimate.train_images
    resolved = costliest.resolved(train_images)
    passes = epochs(resolved.optim.iterations, resolved.optim.batch_size, train_images)
    subset = (f" (on these {train_images:,} training images, {resolved.optim.iterations:,} iterations of "
              f"{resolved.optim.batch_size} are {passes:,.0f} epochs; the paper's are 182 of 45,000)"
              if train_images < 45_000 else "")
    return Estimate(estimate.seconds / 3600, (
        f"this machine has no GPU: the {len(todo)} runs of the {sweep.preset} preset would take about "
        f"{duration(estimate.seconds)} here ({estimate.measured()}){subset}; `make cifar-study` (about an hour "
        f"on 2 cores) or `make cifar-quick` (minutes) show the degradation on a CPU"))
