"""A run folder's files, declared once: what the training loop writes, when, and with which columns.

The loop writes through ``RunWriter`` (writer), which takes names and columns from here; the sweep's
tables stack ``STACKED``, ``status`` reads ``SUMMARY``, ``PROGRESS`` and ``CURVES``, and a resumed run
cuts every file of ``LOGS`` back to the rows its checkpoint saw. Adding a file a run writes is one
``Artefact`` here plus the line of the loop that makes its rows. Imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict

When = Literal["start", "logged", "checkpoint", "end", "evaluate"]


@dataclass(frozen=True)
class Artefact:
    """One file of a run folder.

    ``when``: written once when the run starts, at every logged row (curves.csv's rows), with every
    checkpoint, once when the run ends, or by ``resnet-study evaluate``. ``columns``: a CSV's
    header or a JSON object's keys, in order; ``optional`` ones appear only in some runs (a
    validation split's error, a diverged run's iteration). ``counter``: for a file that grows by
    appended rows, the checkpoint's key holding how many rows it saw. ``stacked``: the sweep stacks
    every run's rows into a table of this name. ``only_with``: a config flag without which the loop
    writes no such file (a glob for files it names itself)."""

    name: str
    file: str
    when: When
    columns: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    counter: str | None = None
    stacked: bool = False
    only_with: str | None = None


class Summary(TypedDict):
    """summary.json: how a run ended. Errors are fractions (0.07 is 7%); seconds of wall time."""

    status: Literal["done", "diverged"]
    iterations: int
    final_train_error: float | None
    final_test_error: float | None  # on the test split (or the holdout), from the last evaluation
    best_test_error: float | None
    wall_seconds: float
    images_per_second: float | None  # training images per second, warm (after each session's first logged row)
    diverged_at: NotRequired[int]  # the first iteration whose loss was not finite (the earliest over processes)
    skipped_steps: NotRequired[int]  # fp16: minibatches whose step the loss scaler skipped (not SGD steps)


CONFIG = Artefact("config", "config.json", "start",
                  ("config", "schedule", "model", "dataset", "notes", "device", "cpu_threads", "precision",
                   "torch_version", "python_version", "commit", "started", "resume"))
CURVES = Artefact("curves", "curves.csv", "logged",
                  ("iteration", "epoch", "lr", "train_loss", "train_error", "test_error", "val_error", "skipped_steps"),
                  optional=("val_error", "skipped_steps"), counter="curve_rows", stacked=True)
GRADIENTS = Artefact("gradients", "gradients.csv", "logged", ("iteration", "layer", "name", "grad_norm"),
                     counter="gradient_rows", stacked=True)  # also at iteration 0: the gradients at initialisation
PROGRESS = Artefact("progress", "progress.json", "logged",
                    ("iteration", "iterations", "train_error", "test_error", "images_per_second", "seconds_left",
                     "updated", "skipped_steps"), optional=("skipped_steps",))
EVENTS = Artefact("events", "events.out.tfevents.*", "logged", only_with="tensorboard")
CHECKPOINT = Artefact("checkpoint", "checkpoint.pt", "checkpoint")
PREVIOUS_CHECKPOINT = Artefact("previous checkpoint", "checkpoint.prev.pt", "checkpoint")
RESPONSES = Artefact("responses", "responses.csv", "end", ("layer", "name", "std"), stacked=True)  # Fig. 7, done runs
SUMMARY = Artefact("summary", "summary.json", "end", tuple(Summary.__annotations__),
                   optional=("diverged_at", "skipped_steps"))
EVALUATION = Artefact("evaluation", "evaluation.json", "evaluate")  # with responses.csv, by `resnet-study evaluate`

ARTEFACTS = (CONFIG, CURVES, GRADIENTS, PROGRESS, EVENTS, CHECKPOINT, PREVIOUS_CHECKPOINT, RESPONSES, SUMMARY,
             EVALUATION)
LOGS = tuple(a for a in ARTEFACTS if a.counter)  # grow by appended rows; cut back to the checkpoint's on resume
STACKED = tuple(a for a in ARTEFACTS if a.stacked)  # the sweep's tables, every run's rows stacked
LOCK = ".lock"  # the writer's flock (runfolder.writer_lock)
FINISHED = ("done", "diverged")  # summary statuses of runs that will not train again
