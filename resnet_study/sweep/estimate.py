"""Without a GPU, how long the paper's recipe would take here: one sentence from timed steps."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import epochs
from ..data.registry import dataset_info
from ..models import model_info
from ..training.artefacts import FINISHED
from .claims import run_status
from .spec import Sweep


@dataclass
class Estimate:
    hours: float  # the sweep's remaining runs at the measured rate
    text: str  # one sentence for the user


def cpu_estimate(sweep: Sweep) -> Estimate | None:
    """Without a GPU, one sentence on how long the paper's recipe would take here, from three timed
    training steps of the deepest net (a CIFAR net's cost grows with its depth)."""
    import torch

    from ..bench import measure_engine

    first = sweep.config(*sweep.runs()[0])
    if (torch.cuda.is_available() or first.run.device not in ("auto", "cpu")
            or sweep.preset not in dataset_info(first.data.dataset).estimated_presets):
        return None
    todo = [(m, s) for m, s in sweep.runs() if run_status(sweep, m, s) not in FINISHED]
    if not todo or sum(sweep.config(m, s).optim.iterations * first.optim.batch_size for m, s in todo) < 5_000_000:
        return None  # little to train: minutes even on a CPU, not worth a measurement
    deepest = max(sweep.models, key=lambda m: model_info(m).depth)
    rate, _warmup_seconds, trainer = measure_engine(sweep.config(deepest, sweep.seeds[0]), steps=3, warmup=2)
    layer_rate = rate * model_info(deepest).depth  # images/s x layers
    seconds = sum(sweep.config(m, s).resolved(trainer.train_images).optim.iterations * first.optim.batch_size
                  * model_info(m).depth / layer_rate for m, s in todo)
    resolved = sweep.config(deepest, sweep.seeds[0]).resolved(trainer.train_images)
    passes = epochs(resolved.optim.iterations, resolved.optim.batch_size, trainer.train_images)
    subset = (f" (on these {trainer.train_images:,} training images, {resolved.optim.iterations:,} iterations of "
              f"{resolved.optim.batch_size} are {passes:,.0f} epochs; the paper's are 182 of 45,000)"
              if trainer.train_images < 45_000 else "")
    return Estimate(seconds / 3600, (
        f"this machine has no GPU: at the {rate:,.0f} images/s measured for {deepest} here, the {len(todo)} "
        f"runs of the {sweep.preset} preset would take about {seconds / 3600:,.0f} hours{subset}; "
        f"`make cifar-study` (about an hour on 2 cores) or `make cifar-quick` (minutes) show the degradation "
        f"on a CPU"))
