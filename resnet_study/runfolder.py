"""The run folder's lock, checkpoint and append-only logs.

One process writes a run folder at a time: it holds an flock on ``.lock``. ``curves.csv`` and
``gradients.csv`` grow by appended rows; the checkpoint records how many rows each held when it
was taken, so a resumed run first cuts them back to that, and the folder always tells the
story of one uninterrupted run.
"""

from __future__ import annotations

import csv
from contextlib import contextmanager
from pathlib import Path

import torch

from .errors import StudyError
from .io import atomic_path, disk_space_sentences, exclusive_lock, lock_holder, remove_stale_temporaries

CHECKPOINT, PREVIOUS_CHECKPOINT = "checkpoint.pt", "checkpoint.prev.pt"
CHECKPOINT_KEYS = {"iteration", "model", "optimizer", "metrics", "first_bad", "torch_rng", "config", "data",
                   "cpu_threads", "curve_rows", "gradient_rows", "interval_images"}


@contextmanager
def writer_lock(folder: Path):
    """Hold ``folder``'s lock while the block runs; one sentence when another process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(folder / ".lock") as mine:
        if not mine:
            raise StudyError(f"{folder} is being written by {lock_holder(folder / '.lock')}; wait for it to "
                             f"finish or choose another --out")
        remove_stale_temporaries(folder)
        yield


class RowLog:
    """A CSV file that grows by whole appended rows (constant cost per row)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns

    def append(self, rows: list[dict]) -> None:
        with disk_space_sentences(self.path), open(self.path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, self.columns, lineterminator="\n")
            if handle.tell() == 0:
                writer.writeheader()
            writer.writerows(rows)

    def truncate(self, rows: int) -> None:
        """Keep the header and the first ``rows`` rows: what the checkpoint being resumed saw."""
        if rows == 0:
            self.path.unlink(missing_ok=True)
            return
        lines = self.path.read_bytes().splitlines(keepends=True) if self.path.exists() else []
        complete = [line for line in lines[:rows + 1] if line.endswith(b"\n")]
        if len(complete) < rows + 1:
            raise StudyError(f"{self.path} holds {max(len(complete) - 1, 0)} rows but the checkpoint was taken "
                             f"after {rows}; delete the run folder to start the run over")
        with open(self.path, "r+b") as handle:
            handle.truncate(sum(len(line) for line in complete))


def save_checkpoint(folder: Path, state: dict) -> None:
    """Write ``checkpoint.pt``; the one it replaces becomes ``checkpoint.prev.pt``."""
    target = folder / CHECKPOINT
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:  # a file object, so a full disk raises OSError(ENOSPC)
            torch.save(state, handle)
        if target.exists():
            target.replace(folder / PREVIOUS_CHECKPOINT)


def load_checkpoint(folder: Path, device: torch.device, warn) -> dict | None:
    """The newest readable checkpoint of ``folder`` (None when it has none); falls back to the
    previous one, with a warning, when the newest is damaged."""
    problems = []
    for path in (folder / CHECKPOINT, folder / PREVIOUS_CHECKPOINT):
        if not path.exists():
            continue
        try:
            state = torch.load(path, map_location=device, weights_only=True)
        except Exception as err:  # truncated zip, bad pickle, wrong magic: all mean "damaged"
            problems.append(f"{path.name}: {type(err).__name__}")
            continue
        if not isinstance(state, dict) or not CHECKPOINT_KEYS <= set(state):
            problems.append(f"{path.name}: not a checkpoint of this version")
            continue
        if problems:
            warn(f"warning: {folder / CHECKPOINT} is unreadable ({problems[0]}); resuming from "
                 f"{path.name} at iteration {state['iteration']}")
        return state
    if problems:
        raise StudyError(f"{folder / CHECKPOINT} is corrupt or truncated ({'; '.join(problems)}); delete the "
                         f"checkpoint files to start the run over")
    return None
