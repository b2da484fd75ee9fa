"""The sweep's tables, rebuilt from its run folders: runs.csv (one row per run), every run's rows of
each stacked artefact (``artefacts.STACKED``: curves.csv, gradients.csv, responses.csv) stacked,
and the one-line progress report."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ..config import epochs, saved_config
from ..io import write_csv
from ..models import model_info
from ..training import artefacts
from ..training.artefacts import CONFIG, CURVES, FINISHED, SUMMARY
from ..training.runfolder import read_run_file
from .claims import failure_reason, run_status
from .recipe import run_difference
from .spec import Sweep

RUNS = "runs.csv"
KEYS = ["model", "depth", "residual", "seed"]  # in front of every stacked row: which run it came from
RUN_COLUMNS = ["model", "family", "depth", "residual", "shortcut", "seed", "preset", "iterations", "status",
               "final_train_error", "final_test_error", "best_test_error", "wall_seconds", "images_per_second",
               "device", "torch_version", "commit", "dataset", "train_images", "epochs", "test_error_on", "reason",
               "diverged_at"]  # the first iteration with a non-finite loss, for a diverged run


def runs_table(sweep: Sweep) -> pd.DataFrame:
    """runs.csv: one row per run of the grid, read from its folder, lock and failure note."""
    rows = []
    for model, seed in sweep.runs():
        info, run = model_info(model), sweep.run_dir(model, seed)
        config, summary = read_run_file(run / CONFIG.file), read_run_file(run / SUMMARY.file)
        status = run_status(sweep, model, seed)
        if status == "failed":
            summary = {}  # a failed run's folder may hold another recipe's numbers: none are this run's
        cfg = saved_config(config.get("config") or {})
        rows.append({
            "model": model, "family": info.family, "depth": info.depth, "residual": info.residual,
            "shortcut": (cfg["model_options"].get("shortcut") or info.default_shortcut) if info.residual else "",
            "seed": seed, "preset": cfg.get("preset", sweep.preset),
            "iterations": summary.get("iterations"), "status": status,
            **{k: summary.get(k) for k in ("final_train_error", "final_test_error", "best_test_error",
                                           "wall_seconds", "images_per_second")},
            "device": config.get("device"), "torch_version": config.get("torch_version"),
            "commit": config.get("commit"), **_data_columns(config, summary),
            "reason": failure_reason(sweep, model, seed) if status not in FINISHED else None,
            "diverged_at": summary.get("diverged_at") if status == "diverged" else None,
        })
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def write_runs(sweep: Sweep) -> pd.DataFrame:
    """Rewrite ``runs.csv`` alone, atomically (the workers do it each time a run ends)."""
    runs = runs_table(sweep)
    write_csv(Path(sweep.out) / RUNS, runs)
    return runs


def stacked_tables(sweep: Sweep) -> dict[str, pd.DataFrame]:
    """Every stacked artefact's table by file name: each run's rows, with model, depth, residual and
    seed in front (curves.csv has its columns even while no run has rows)."""
    stacked = {artefact.file: [] for artefact in artefacts.STACKED}
    for model, seed in sweep.runs():
        info, run = model_info(model), sweep.run_dir(model, seed)
        if run_difference(sweep, model, seed) is not None:
            continue  # another recipe's run (refused by the worker): its rows are not this sweep's
        for name, frames in stacked.items():
            if (run / name).exists():
                frame = pd.read_csv(run / name)
                for i, (key, value) in enumerate(zip(KEYS, [model, info.depth, info.residual, seed])):
                    frame.insert(i, key, value)
                frames.append(frame)
    tables = {name: pd.concat(frames, ignore_index=True) for name, frames in stacked.items() if frames}
    tables.setdefault(CURVES.file, pd.DataFrame(columns=KEYS + ["iteration"]))
    return tables


def write_tables(sweep: Sweep) -> dict[str, pd.DataFrame]:
    """Rebuild runs.csv and every stacked table from the run folders, atomically; returns them by file name."""
    Path(sweep.out).mkdir(parents=True, exist_ok=True)
    tables = {RUNS: write_runs(sweep), **stacked_tables(sweep)}
    for name, frame in tables.items():
        if name != RUNS:
            write_csv(Path(sweep.out) / name, frame)
    return tables


def collect(sweep: Sweep) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``write_tables``, returning runs.csv and curves.csv."""
    tables = write_tables(sweep)
    return tables[RUNS], tables[CURVES.file]


def _data_columns(config: dict, summary: dict) -> dict:
    """What a run trained and was tested on: data set, training images, epochs, eval split."""
    data, batch = config.get("dataset") or {}, (config.get("config") or {}).get("batch_size")
    images, iterations = data.get("train_images"), summary.get("iterations")
    passes = round(epochs(iterations, batch, images), 2) if images and batch and iterations else None
    return {"dataset": data.get("name"), "train_images": images, "epochs": passes,
            "test_error_on": data.get("test_error_on")}


def progress_line(sweep: Sweep, started: float) -> str:
    statuses = [run_status(sweep, m, s) for m, s in sweep.runs()]
    done = sum(s in FINISHED for s in statuses)
    running = statuses.count("running")
    queued = len(statuses) - done - running
    eta = ""
    elapsed = time.time() - started
    if 0 < done < len(statuses):
        eta = f", ETA {time.strftime('%H:%M:%S', time.gmtime(elapsed / done * (len(statuses) - done)))}"
    return f"[{sweep.name}] {done}/{len(statuses)} done, {running} running, {queued} queued{eta}"
