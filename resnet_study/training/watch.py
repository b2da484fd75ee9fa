"""What a run shows while it trains: ``progress.json``'s record (which ``resnet-study status`` reads)
at every logged row and, with ``--tensorboard``, TensorBoard scalars in the run folder.

TensorBoard's events follow ``curves.csv``: when a run (re)starts, after the checkpoint has cut
``curves.csv`` back, the old event files are deleted, a new writer opens with ``purge_step=0`` (so
a TensorBoard that already read them drops their points) and writes the rows ``curves.csv`` kept.
A resumed run's scalars are therefore those of an uninterrupted one.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from .artefacts import EVENTS as EVENTS_FILES

EVENTS = EVENTS_FILES.file
# curves.csv column -> TensorBoard tag (the step is the iteration)
TAGS = {"train_loss": "train/loss", "train_error": "train/error", "test_error": "eval/test_error",
        "val_error": "eval/val_error", "lr": "lr", "skipped_steps": "train/skipped_steps"}


def progress_record(row: dict, progress, iterations: int, batch: int) -> dict:
    """progress.json after the logged ``row``: iteration of ``iterations``, the latest errors, the
    images/s of timed training and the seconds left at that rate (``batch`` images per iteration)."""
    rate = progress.images_per_second()  # warm, after the session's first logged interval
    return {"iteration": progress.iteration, "iterations": iterations, "train_error": row["train_error"],
            "test_error": progress.final_test_error, "images_per_second": rate,
            "seconds_left": round((iterations - progress.iteration) * batch / rate, 1) if rate else None,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **({"skipped_steps": row["skipped_steps"]} if "skipped_steps" in row else {})}


class RunWatch:
    """The run folder's live views; only the process that writes the folder makes one."""

    def __init__(self, out: Path, tensorboard: bool) -> None:
        self.out, self.tensorboard, self.writer = Path(out), tensorboard, None

    def start(self, curves: Path) -> None:
        """Open TensorBoard's writer (when asked for) and write the rows ``curves`` holds."""
        if not self.tensorboard:
            return
        from torch.utils.tensorboard import SummaryWriter

        old = sorted(self.out.glob(EVENTS))
        for path in old:
            path.unlink()
        self.writer = SummaryWriter(str(self.out), purge_step=0 if old else None)
        if curves.exists():
            with open(curves, newline="") as handle:
                for row in csv.DictReader(handle):
                    self._scalars(row)
        self.writer.flush()

    def row(self, row: dict) -> None:
        """A logged row's scalars, flushed so that TensorBoard shows them."""
        if self.writer is not None:
            self._scalars(row)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _scalars(self, row: dict) -> None:
        step = int(row["iteration"])
        for column, tag in TAGS.items():
            value = row.get(column)
            if value not in (None, ""):
                self.writer.add_scalar(tag, float(value), step)
