"""Who trains which run: a run is claimed with an exclusive lock that dies with its holder, and
a failed run leaves its reason in ``OUT/failures/``; a run's status is read from these and its folder."""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_path, exclusive_lock, is_locked
from ..training.artefacts import FINISHED, SUMMARY
from ..training.runfolder import read_run_file
from .spec import Sweep


def lock_path(sweep: Sweep, model: str, seed: int) -> Path:
    return Path(sweep.out) / "locks" / f"{model}-s{seed}.lock"


def claim(sweep: Sweep, model: str, seed: int):
    """A context that yields True while this process holds the run's lock, False when another worker does."""
    return exclusive_lock(lock_path(sweep, model, seed))


def is_claimed(sweep: Sweep, model: str, seed: int) -> bool:
    return is_locked(lock_path(sweep, model, seed))


def failure_path(sweep: Sweep, model: str, seed: int) -> Path:
    return Path(sweep.out) / "failures" / f"{model}-s{seed}.txt"


def record_failure(sweep: Sweep, model: str, seed: int, reason: str) -> None:
    path = failure_path(sweep, model, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(reason + "\n")


def failure_reason(sweep: Sweep, model: str, seed: int) -> str | None:
    path = failure_path(sweep, model, seed)
    return path.read_text().strip() if path.exists() else None


def run_status(sweep: Sweep, model: str, seed: int) -> str:
    summary = read_run_file(sweep.run_dir(model, seed) / SUMMARY.file)
    failed = failure_path(sweep, model, seed).exists()  # beside a finished summary: that run is another recipe's
    if summary and summary.get("status") in FINISHED and not failed:
        return summary["status"]
    if is_claimed(sweep, model, seed):
        return "running"
    if failed:
        return "failed"
    return "interrupted" if sweep.run_dir(model, seed).exists() else "queued"
