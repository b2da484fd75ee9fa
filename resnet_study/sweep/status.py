"""Where a sweep stands, read from its folder alone: one row per run, for ``resnet-study status``.

Reading never claims, locks, creates or submits anything: a run's state comes from its summary,
its failure note and a probe of its lock that takes the lock shared for an instant on a file that
exists (and creates none). The latest numbers come from the run's ``progress.json``, which the
training loop writes at each logged row, or from ``curves.csv`` for runs made before it existed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ..training.artefacts import CONFIG, CURVES, FINISHED, PROGRESS, SUMMARY
from ..training.runfolder import read_run_file
from .claims import run_status
from .spec import Sweep

STATUS_COLUMNS = ["run", "state", "iteration", "iterations", "train_error", "test_error", "images_per_second",
                  "time_left"]


def status_table(sweep: Sweep) -> pd.DataFrame:
    """One row per run of ``sweep``: state (done, diverged, running, interrupted, failed, queued),
    iteration of iterations, the latest training and test errors, images/s and the time left
    (H:MM:SS, for runs that are training)."""
    rows = []
    for model, seed in sweep.runs():
        run, state = sweep.run_dir(model, seed), run_status(sweep, model, seed)
        summary, progress = read_run_file(run / SUMMARY.file), read_run_file(run / PROGRESS.file)
        latest = progress or _last_row(run / CURVES.file)
        schedule = read_run_file(run / CONFIG.file).get("schedule", {})
        left = progress.get("seconds_left") if state == "running" else None
        rows.append({
            "run": run.name, "state": state,
            "iteration": summary.get("iterations") if state in FINISHED else latest.get("iteration"),
            "iterations": progress.get("iterations", schedule.get("iterations")),
            "train_error": summary.get("final_train_error", latest.get("train_error")),
            "test_error": summary.get("final_test_error", latest.get("test_error")),
            "images_per_second": summary.get("images_per_second", progress.get("images_per_second")),
            "time_left": None if left is None else _clock(left),
        })
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def _last_row(curves: Path) -> dict:
    """The latest iteration, training error and test error of a ``curves.csv``; {} without one."""
    if not curves.exists():
        return {}
    latest = {}
    with open(curves, newline="") as handle:
        for row in csv.DictReader(handle):
            latest.update({"iteration": int(row["iteration"]), "train_error": float(row["train_error"])})
            if row.get("test_error"):
                latest["test_error"] = float(row["test_error"])
    return latest


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def status_line(table: pd.DataFrame, name: str) -> str:
    """``[fig6] 3/9 done, 2 running, 1 failed, 3 queued``: the table's states counted."""
    counts = table.state.value_counts()
    finished = int(sum(counts.get(s, 0) for s in FINISHED))
    others = ", ".join(f"{int(counts[s])} {s}" for s in ("running", "interrupted", "failed", "queued") if s in counts)
    return f"[{name}] {finished}/{len(table)} done" + (f", {others}" if others else "")
