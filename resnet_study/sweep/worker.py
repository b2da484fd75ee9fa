"""A sweep worker: claim a run, train it (in this process or with torchrun), record how it ended,
and go on until every run is finished or failed, waiting for the runs that live peers hold."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from ..errors import StudyError
from ..io import read_json, write_json
from ..training.artefacts import FINISHED, SUMMARY
from .claims import claim, failure_path, record_failure, run_status
from .recipe import run_difference
from .spec import Sweep
from .tables import progress_line, write_runs

WAIT_SECONDS = 2.0  # how often a worker with nothing left to claim looks at its peers' runs


def run_one(sweep: Sweep, model: str, seed: int, device: str | None = None, *, progress: bool | None = None,
            log=print) -> dict | None:
    """Claim one run and train it (in this process, or with torchrun when ``nproc_per_run`` > 1).

    Returns its summary (status ``failed`` with a ``reason`` when it could not finish), or None
    when it is finished or another worker holds it.
    """
    if (key := run_difference(sweep, model, seed)) is not None:  # as `train` does, before skipping a finished run
        reason = (f"{sweep.run_dir(model, seed)} holds a run with another {key} than this sweep asks for; "
                  f"move it away or give the sweep --new-recipe")
        record_failure(sweep, model, seed, reason)
        log(f"end {model}-s{seed}: failed: {reason}")
        return {"status": "failed", "reason": reason}
    if run_status(sweep, model, seed) in FINISHED:
        return None
    with claim(sweep, model, seed) as mine:
        if not mine or run_status(sweep, model, seed) in FINISHED:
            return None
        summary = _train_claimed(sweep, model, seed, device, progress, log)
    write_runs(sweep)  # runs.csv says how each run ended as soon as it has, while the sweep goes on
    return summary


def _train_claimed(sweep: Sweep, model: str, seed: int, device: str | None, progress: bool | None, log) -> dict:
    log(f"start {model}-s{seed}" + (f" on {device}" if device else ""))
    failure_path(sweep, model, seed).unlink(missing_ok=True)
    cfg, run = sweep.config(model, seed, device), sweep.run_dir(model, seed)
    try:
        if sweep.nproc_per_run > 1:
            summary = train_with_torchrun(cfg, run, sweep.nproc_per_run, log)
        else:
            from ..training.loop import train  # here, so that reading and checking a sweep imports no torch

            summary = train(cfg, run, progress=progress, log=log)
    except Exception as err:  # the queue goes on; the reason lands in runs.csv
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        record_failure(sweep, model, seed, reason)
        log(f"end {model}-s{seed}: failed: {reason}")
        return {"status": "failed", "reason": reason}
    log(f"end {model}-s{seed}: {summary['status']}, final train error {_number(summary['final_train_error'])}, "
        f"test error {_number(summary['final_test_error'])}")
    return summary


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:.4f}"


def work(sweep: Sweep, device: str | None = None, *, progress: bool | None = None, log=print,
         report_progress: bool = False) -> int:
    """Claim and train runs until every run is finished or has failed, waiting for the runs that
    live peers hold (a peer that dies leaves its run to this worker); returns how many this
    worker trained."""
    trained, started, tried = 0, time.time(), set()
    while True:
        for model, seed in sweep.runs():
            if (model, seed) in tried or _failed_since(sweep, model, seed, started):
                continue
            if run_one(sweep, model, seed, device, progress=progress, log=log) is not None:
                trained += 1
                tried.add((model, seed))
                if report_progress:
                    log(progress_line(sweep, started))
        if not any(run_status(sweep, m, s) == "running" for m, s in sweep.runs()):
            return trained
        time.sleep(WAIT_SECONDS)


def _failed_since(sweep: Sweep, model: str, seed: int, started: float) -> bool:
    """Whether a peer of this sweep's workers tried the run and it failed (not to be tried twice)."""
    path = failure_path(sweep, model, seed)
    return path.exists() and path.stat().st_mtime >= started


def child_reason(stderr: str) -> str:
    """Why a torchrun run failed, from its output: the first child's own sentence (``resnet-study
    train: ...``), else the last line of a child's traceback, else the root cause's exit code."""
    lines = [re.sub(r"^\[(default)?rank\d+\]:\s*", "", line).strip() for line in stderr.splitlines()]
    lines = [line for line in lines if line and "ChildFailedError" not in line]
    ours = [line for line in lines if line.startswith("resnet-study ")]
    errors = [line for line in lines if re.match(r"([\w.]+\.)?\w*(Error|Exception)\b", line)]
    exits = [re.match(r"exitcode\s*:\s*(-?\d+)", line) for line in lines]
    codes = [f"a process ended with exit code {m[1]}" for m in exits if m]
    return (ours[:1] or errors[-1:] or codes[-1:] or lines[-1:] or ["no output"])[0]


def train_with_torchrun(cfg, out: Path, nproc: int, log=print) -> dict:
    """One run as ``torchrun --nproc_per_node nproc``: DistributedDataParallel over nproc processes
    (on the GPUs that ``CUDA_VISIBLE_DEVICES`` leaves this worker, see ``launchers.worker_slots``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    request = out.parent / f".{out.name}.request.json"  # the child reads the checked config, not strings
    write_json(request, {"config": cfg.to_dict()})
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               "-m", "resnet_study.cli", "train", "--model", cfg.model.name, "--seed", str(cfg.run.seed),
               "--out", str(out), "--config-json", str(request)]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    finally:
        request.unlink(missing_ok=True)
    summary = read_json(out / SUMMARY.file)
    # torchrun exits 1 for a failed child as for a diverged run: only the summary tells them apart.
    if result.returncode not in (0, 1) or summary is None or summary.get("status") not in FINISHED:
        raise StudyError(f"torchrun for {out.name} failed with exit status {result.returncode}: "
                         f"{child_reason(result.stderr)}")
    log(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else f"{out.name}: finished")
    return summary


