"""How long training will take on this machine, said before it starts: a few timed steps of the
costliest net, scaled to every run by its training FLOPs (issue 26: times a user can trust).

Every CIFAR net of section 4.2 has the same layer shapes, and Fig. 4's ImageNet nets differ in
depth, so one machine runs their training steps at nearly one FLOP rate: timing the costliest net
and dividing each run's FLOPs by that rate gives each run's time. Evaluations (top-1 error every
``eval_every`` iterations) cost a forward pass, a third of a training step's FLOPs per image.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass

import torch

from .bench import time_engine, training_flops_per_image
from .config import TrainConfig
from .training.device import device_name
from .training.loop import Trainer

STEPS, WARMUP = 3, 2  # timed and untimed steps: a few seconds even for ResNet-110 on a laptop
BUSY_SHARE = 0.75  # below this share of the CPU time its threads could have had, the timed steps were crowded


@dataclass(frozen=True)
class TrainingEstimate:
    """Seconds for a list of runs trained one after another here, and the measurement behind them."""

    seconds: float
    model: str  # the net that was timed
    images_per_second: float  # its training step, warm
    gflops: float  # its effective GFLOP/s (bench's count: 6 FLOPs per multiply-add per image)
    precision: str
    device: str  # device_name(): a CPU's model (lscpu) and threads, a GPU's name
    train_images: int  # of the data set (an epochs-based preset's iterations follow from it)
    eval_images: int  # the images test_error is measured on
    cpu_share: float | None = None  # CPU time the timed steps got / (wall time x threads); None on a GPU

    @property
    def busy(self) -> bool:
        """Whether other work shared the cores while the steps were timed (the timed threads got under
        3/4 of their wall time): then each thread waits on the others, and the estimate can be many
        times too long."""
        return self.cpu_share is not None and self.cpu_share < BUSY_SHARE

    def forward_seconds(self, images: float, flops_per_image: float) -> float:
        """Seconds of forward passes (evaluations) over ``images`` of a net of ``flops_per_image``
        training FLOPs: a third of a training step's, at the measured rate."""
        return images * flops_per_image / 3 / (self.gflops * 1e9)

    def measured(self) -> str:
        """The measurement, as a parenthesis: model, images/s, GFLOP/s, precision, device."""
        busy = crowded_note(self.cpu_share) if self.busy else ""
        return (f"{self.model} measured here at {self.images_per_second:,.0f} images/s, {self.gflops:,.1f} GFLOP/s "
                f"effective, {self.precision}, {self.device}{busy}")


def cpu_share(wall: float, cpu: float) -> float:
    """The CPU time this process got since ``wall, cpu = time.perf_counter(), time.process_time()``, over
    the wall time its torch threads could have had: under ``BUSY_SHARE``, other work shared the cores."""
    return (time.process_time() - cpu) / ((time.perf_counter() - wall) * torch.get_num_threads())


def crowded_note(share: float) -> str:
    """The clause an estimate adds when its timing got only ``share`` of the CPU."""
    return (f"; other work shared the CPU while it was timed (its threads got {share:.0%} of it), so the estimate "
            f"may be off")


def duration(seconds: float) -> str:
    """``seconds`` as a person says it: '40 s', '12 minutes', '3.5 hours'."""
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def evaluations(cfg: TrainConfig) -> int:
    """Evaluations a run of ``cfg`` makes: every ``eval_every`` iterations and at its last."""
    iterations, every = cfg.optim.iterations, cfg.run.eval_every
    return iterations // every + (iterations % every != 0)


def estimate_training(configs: list[TrainConfig], steps: int = STEPS, warmup: int = WARMUP) -> TrainingEstimate:
    """Seconds to train ``configs`` one after another on their device, from ``steps`` timed steps
    (after ``warmup`` untimed ones) of the costliest net. All configs read the same data set
    (its image count resolves an epochs-based preset). Raises what ``Trainer.setup`` raises for
    missing data."""
    flops = [training_flops_per_image(cfg) for cfg in configs]
    costliest = max(range(len(configs)), key=flops.__getitem__)
    with tempfile.TemporaryDirectory() as scratch:
        trainer = Trainer(configs[costliest], scratch, progress=False, log=lambda *_: None)
        trainer.setup()
        wall, cpu = time.perf_counter(), time.process_time()
        rate, _ = time_engine(trainer, steps, warmup)
        share = cpu_share(wall, cpu)
    flop_rate = rate * flops[costliest]
    about = trainer.loaders.description  # the images test_error is measured on
    eval_images = about.get(f"{about.get('test_error_on')}_images") or about.get("test_images", 0)
    total = 0.0
    for cfg, per_image in zip(configs, flops):
        cfg = cfg.resolved(trainer.train_images)
        # each evaluation, and Fig. 7's responses at the end, is a forward pass over the eval images
        images = cfg.optim.iterations * cfg.optim.batch_size + (evaluations(cfg) + 1) * eval_images / 3
        total += images * per_image
    return TrainingEstimate(total / flop_rate, configs[costliest].model.name, rate, flop_rate / 1e9,
                            trainer.precision, device_name(trainer.device), trainer.train_images, eval_images,
                            share if trainer.device.type == "cpu" else None)
