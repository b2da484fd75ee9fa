"""The Trainer's state, typed: ``Parts`` (what ``setup()`` builds), ``Progress`` (where the run is:
the one value a checkpoint saves and a resumed run restores) and ``Step`` (what one SGD step returns)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import torch

from ..config import TrainConfig
from ..data.factory import Loaders
from .artefacts import LOGS
from .precision import Precision


@dataclass(frozen=True)
class Parts:
    """A run's device, data, net and optimiser, as ``Trainer.setup()`` builds them."""

    cfg: TrainConfig  # resolved: the schedule in iterations, for this training set's size
    device: torch.device
    loaders: Loaders
    model: torch.nn.Module
    forward: Callable  # the model as trained: wrapped by DistributedDataParallel and torch.compile when asked
    optimizer: torch.optim.Optimizer
    precision: Precision


@dataclass(frozen=True)
class Step:
    """One SGD step on one minibatch; tensors on the device, read by the host only when needed."""

    loss: torch.Tensor  # () mean cross-entropy of the minibatch, in the device's sum dtype
    errors: torch.Tensor  # () misclassified images of the minibatch
    images: int
    gradient_norms: torch.Tensor | None = None  # (conv layers,) L2 norms of the true gradients, when recorded
    skipped: torch.Tensor | None = None  # int64 (): 1 when fp16's loss scaler skipped the step; None without one


@dataclass
class Progress:
    """Where the run is and what it has seen: the loop's counters and the device-side sums of the
    current logging interval. A checkpoint holds it as flat keys (``to_dict``); on resume it comes
    back whole, so a killed run goes on as if it had never stopped."""

    iteration: int = 0
    warm: bool = True  # False while a deep net trains at the warm-up lr (section 4.2)
    stopped: bool = False  # diverged
    interval_images: int = 0  # images behind the loss and error sums of the current logging interval
    rows: dict[str, int] = field(default_factory=dict)  # rows each of artefacts.LOGS holds, by its counter key
    final_train_error: float | None = None
    final_test_error: float | None = None
    best_test_error: float | None = None
    images: int = 0  # images trained in timed intervals (warm: after each session's first logged interval)
    wall_seconds: float = 0.0
    train_seconds: float = 0.0
    warmup_images: int = 0  # images and seconds of each session's first logged interval (cuDNN autotuning,
    warmup_seconds: float = 0.0  # compilation, CUDA-graph capture)
    gradients_due: int | None = None  # norms owed by a step fp16's scaler skipped: 0 at initialisation, -1 later
    metrics: torch.Tensor | None = None  # float64 (2,) (float32 on MPS): loss sum and errors of the interval
    first_bad: torch.Tensor | None = None  # int64 (): first iteration whose loss was not finite, -1 while none was
    skipped: torch.Tensor | None = None  # int64 (): steps fp16's loss scaler skipped (a gradient was not finite)

    @classmethod
    def start(cls, device: torch.device, sum_dtype: torch.dtype, warm: bool = True) -> "Progress":
        """A run at iteration 0, its sums on ``device``."""
        return cls(warm=warm, rows={log.counter: 0 for log in LOGS},
                   metrics=torch.zeros(2, dtype=sum_dtype, device=device),
                   first_bad=torch.full((), -1, dtype=torch.int64, device=device),
                   skipped=torch.zeros((), dtype=torch.int64, device=device))

    def add(self, step: Step, iteration: int) -> None:
        """Sum ``step`` (minibatch ``iteration``) into the interval, on the device (no host sync)."""
        self.metrics += torch.stack([step.loss * step.images, step.errors.to(self.metrics.dtype)])
        bad = (self.first_bad < 0) & ~torch.isfinite(step.loss)
        self.first_bad.copy_(torch.where(bad, iteration + 1, self.first_bad))
        if step.skipped is not None:
            self.skipped += step.skipped

    def skipped_steps(self, scaler) -> dict:
        """{"skipped_steps": n} for a run with fp16's loss ``scaler`` (a host sync), else {}."""
        return {"skipped_steps": int(self.skipped)} if scaler.is_enabled() else {}

    def timed(self, seconds: float, images: int, warm: bool) -> None:
        """Count a logged interval's training time and images, as warm-up or warm."""
        if warm:
            self.train_seconds, self.images = self.train_seconds + seconds, self.images + images
        else:
            self.warmup_seconds, self.warmup_images = self.warmup_seconds + seconds, self.warmup_images + images

    def images_per_second(self) -> float | None:
        """The warm training rate; for a run that never got past its warm-up intervals, theirs."""
        images, seconds = (self.images, self.train_seconds) if self.train_seconds else \
            (self.warmup_images, self.warmup_seconds)
        return round(images / seconds, 1) if seconds else None

    def to_dict(self) -> dict:
        """The checkpoint's flat keys (``curve_rows``, ``gradient_rows``: the logs' counters); tensors on the CPU."""
        counters = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                    if f.name not in ("rows", "metrics", "first_bad", "skipped")}
        return {**counters, **self.rows, "metrics": self.metrics.cpu(), "first_bad": self.first_bad.cpu(),
                "skipped": self.skipped.cpu()}

    @classmethod
    def keys(cls) -> set[str]:
        """The checkpoint keys ``to_dict`` writes."""
        return {f.name for f in dataclasses.fields(cls) if f.name != "rows"} | {log.counter for log in LOGS}

    @classmethod
    def from_dict(cls, state: dict) -> "Progress":
        """``to_dict``'s inverse: a checkpoint's keys (others ignored; a log without a counter has 0 rows)."""
        fields = {f.name for f in dataclasses.fields(cls)} - {"rows"}
        return cls(**{k: v for k, v in state.items() if k in fields},
                   rows={log.counter: int(state.get(log.counter, 0)) for log in LOGS})

    def onto(self, start: "Progress") -> "Progress":
        """This progress with its sums copied into ``start``'s tensors (their device and dtype: a
        checkpoint's float64 sums become float32 on the CPU for MPS, which has none)."""
        skipped = self.skipped if self.skipped is not None else torch.zeros((), dtype=torch.int64)  # older ones
        return dataclasses.replace(self, metrics=start.metrics.copy_(self.metrics.to(start.metrics.dtype)),
                                   first_bad=start.first_bad.copy_(self.first_bad),
                                   skipped=start.skipped.copy_(skipped))
