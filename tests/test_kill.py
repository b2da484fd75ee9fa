"""Issue #8's goals through real processes: ``kill -9`` of ``resnet-study train`` at any moment
(inside a checkpoint write, between a CSV row and its checkpoint, during start-up) followed by
the same command ends in the folder of an uninterrupted run (G1); concurrent ``train``s into one
folder and concurrent sweep workers never mix or duplicate a run (G2).

Every process runs with one CPU thread: a checkpoint resumes only with the thread count it was
made with, and the uninterrupted run it is compared with must compute the same numbers.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import torch

from test_resume import assert_same_folder
from test_sweep import sweep_cli

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
ITERATIONS = 60
COMBINATIONS = [(4, 8, 6), (5, 10, 3), (3, 9, 7), (6, 12, 5)]  # (log_every, eval_every, checkpoint_every)
TIMEOUT = 300


def train_command(cifar_dir, out, intervals=(4, 8, 6), iterations=ITERATIONS, *settings):
    log_every, eval_every, checkpoint_every = intervals
    return [sys.executable, "-m", "resnet_study.cli", "train", "--model", "cifar_resnet8", "--out", str(out),
            "--data-dir", str(cifar_dir), "--device", "cpu", "--no-download", "--set", f"iterations={iterations}",
            "batch_size=32", f"milestones={iterations // 2},{iterations * 3 // 4}", f"log_every={log_every}",
            f"eval_every={eval_every}", f"checkpoint_every={checkpoint_every}", *settings]


def start(command, stdout=subprocess.PIPE):
    return subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=ENV)


def finish(proc) -> tuple[str, str]:
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0 and "Traceback" not in err, err
    return out, err


def rows(path: Path) -> int:
    """Complete data rows of a CSV file (0 when it does not exist)."""
    try:
        return max(path.read_bytes().count(b"\n") - 1, 0)
    except FileNotFoundError:
        return 0


def checkpoint_temporaries(out: Path) -> set[str]:
    try:
        return {name for name in os.listdir(out) if name.startswith(".checkpoint.pt.") and name.endswith(".tmp")}
    except FileNotFoundError:
        return set()


def wait_for(proc, condition, timeout=TIMEOUT) -> None:
    """Poll (every millisecond) until ``condition()`` holds or ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


# Where a kill is aimed: a random moment of start-up (imports, data, lock) but no later than the
# moment the process takes the folder (a fast CPU can train the whole run inside a fixed window),
# right after a curves.csv row (before the checkpoint that covers it), the moment a checkpoint's
# temporary file appears (torch.save half done), or a random moment of training.
KILLS = {
    "start-up": lambda proc, out, rng, stale: wait_for(
        proc, _either(_after(rng.uniform(0.3, 4.0)), lambda: holds_lock(out, proc.pid))),
    "row": lambda proc, out, rng, stale: (wait_for(proc, lambda: rows(out / "curves.csv") > stale),
                                          wait_for(proc, _after(rng.uniform(0, 0.03)))),
    "checkpoint write": lambda proc, out, rng, stale: (
        wait_for(proc, lambda: rows(out / "curves.csv") > stale),
        wait_for(proc, lambda: checkpoint_temporaries(out))),
    "training": lambda proc, out, rng, stale: (wait_for(proc, lambda: rows(out / "curves.csv") > stale),
                                               wait_for(proc, _after(rng.uniform(0, 0.4)))),
}


def holds_lock(out: Path, pid: int) -> bool:
    """Whether process ``pid`` has taken the run folder ``out``."""
    try:
        return f"process {pid} " in (out / ".lock").read_text()
    except FileNotFoundError:
        return False


def _either(*conditions):
    return lambda: any(condition() for condition in conditions)


def _after(seconds: float):
    until = time.monotonic() + seconds
    return lambda: time.monotonic() >= until


def landing(out: Path, pid: int) -> str:
    """Where in the run a kill of process ``pid`` left its folder."""
    curves = out / "curves.csv"
    if not holds_lock(out, pid):
        return "in start-up, before taking the folder"
    if checkpoint_temporaries(out):  # a stale one went when the folder was taken
        return "inside a checkpoint write"
    if curves.exists() and not curves.read_bytes().endswith(b"\n"):
        return "inside a CSV append"
    if (out / "summary.json").exists():
        return "after summary.json"
    if not (out / "checkpoint.pt").exists():
        return "between the checkpoint's renames" if (out / "checkpoint.prev.pt").exists() else \
            "before the first checkpoint"
    saved = torch.load(out / "checkpoint.pt", weights_only=True)["curve_rows"]
    return "after a row, before its checkpoint" if rows(curves) > saved else "after a checkpoint"


def kill_and_resume(cifar_dir, tmp_path, intervals, kinds, seed) -> Counter:
    """Run ``intervals``' command killed once per entry of ``kinds``, then to its end; compare
    with an uninterrupted run (trained alongside). Returns where the kills landed."""
    straight = start(train_command(cifar_dir, tmp_path / "straight", intervals), stdout=subprocess.DEVNULL)
    out, command, rng = tmp_path / "killed", train_command(cifar_dir, tmp_path / "killed", intervals), \
        random.Random(seed)
    landed = Counter()
    for kind in kinds:
        stale = rows(out / "curves.csv")  # a resumed run first cuts the rows back to its checkpoint's
        proc = start(command, stdout=subprocess.DEVNULL)
        KILLS[kind](proc, out, rng, stale)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            landed[landing(out, proc.pid)] += 1
        _, err = proc.communicate()
        assert proc.returncode in (-signal.SIGKILL, 0) and "Traceback" not in err, err
    finish(start(command))
    finish(straight)
    assert_same_folder(tmp_path / "straight", out)  # 0 differences
    print(f"\n{intervals}: {sum(landed.values())} kills landed: {dict(landed)}")
    return landed


def test_kill_9_at_any_moment_resumes_to_the_uninterrupted_folder(cifar_dir, tmp_path):
    landed = kill_and_resume(cifar_dir, tmp_path, (4, 8, 6), ["start-up", "row", "checkpoint write", "training"],
                             seed=0)
    assert sum(landed.values()) >= 3


@pytest.mark.slow  # 4 x 8 processes that each import torch
@pytest.mark.parametrize("intervals", COMBINATIONS)
def test_kill_9_six_times_per_interval_combination(cifar_dir, tmp_path, intervals):
    kinds = ["start-up", "row", "checkpoint write", "training", "row", "checkpoint write"]
    landed = kill_and_resume(cifar_dir, tmp_path, intervals, kinds, seed=str(intervals))
    assert sum(landed.values()) >= 5


# ---- concurrent writers --------------------------------------------------------------------------
LONG = 200  # iterations: long enough that two trains started together overlap


@pytest.fixture(scope="module")
def clean_runs(cifar_dir, tmp_path_factory):
    """Uninterrupted runs of the concurrency tests' command, by extra ``--set`` values. The plain
    one starts at once, in the background, beside the first test that asks for it."""
    runs = {}

    def begin(settings):
        out = tmp_path_factory.mktemp("clean") / "run"
        runs[settings] = out, start(train_command(cifar_dir, out, (4, 8, 6), LONG, *settings))

    def clean(*settings):
        if settings not in runs:
            begin(settings)
        out, proc = runs[settings]
        if proc.returncode is None:
            finish(proc)
        return out

    begin(())
    yield clean
    for _, proc in runs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("other", [(), pytest.param(("lr=0.05",), marks=pytest.mark.slow)],
                         ids=["same config", "other lr"])
def test_two_trains_into_one_folder_one_trains_the_other_says_one_sentence(cifar_dir, tmp_path, clean_runs, other):
    out = tmp_path / "run"
    settings = [(), other]
    procs = [start(train_command(cifar_dir, out, (4, 8, 6), LONG, *s)) for s in settings]
    results = [(p.communicate(timeout=TIMEOUT), p.returncode) for p in procs]
    results = [(code, text, err) for (text, err), code in results]
    assert sorted(code for code, _, _ in results) == [0, 2], results
    winner = next(i for i, (code, _, _) in enumerate(results) if code == 0)
    err = results[1 - winner][2]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert str(out) in err and ("being written by process" in err or "different configuration (lr" in err), err
    if "being written by process" in err:
        assert f"process {procs[winner].pid} " in err
    assert "resuming" not in results[winner][1]
    assert_same_folder(clean_runs(*settings[winner]), out)


def test_a_killed_writers_run_is_resumed_by_the_train_started_beside_it(cifar_dir, tmp_path, clean_runs):
    out = tmp_path / "run"
    command = train_command(cifar_dir, out, (4, 8, 6), LONG)
    first = start(command, stdout=subprocess.DEVNULL)
    wait_for(first, lambda: rows(out / "curves.csv") >= 3)  # it holds the folder and has a checkpoint
    second = start(command)
    os.kill(first.pid, signal.SIGKILL)  # while the second imports torch
    first.wait()
    text, _ = finish(second)
    assert "resuming at iteration" in text
    assert_same_folder(clean_runs(), out)


def test_four_concurrent_sweep_workers_train_every_run_once(cifar_dir, tmp_path):
    models = ["cifar_plain8", "cifar_resnet8", "cifar_plain14", "cifar_resnet14"]
    command = sweep_cli(cifar_dir, tmp_path, "--seeds", "0,1", "--no-download", models=",".join(models))
    procs = [start(command) for _ in range(4)]
    outputs = [finish(p)[0] for p in procs]
    starts = [line.split()[1] for text in outputs for line in text.splitlines() if line.startswith("start ")]
    assert sorted(starts) == sorted(f"{m}-s{s}" for m in models for s in (0, 1))
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert sorted(zip(runs.model, runs.seed)) == sorted((m, s) for m in models for s in (0, 1))
    assert (runs.status == "done").all() and (runs.iterations == 12).all()
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert not curves.duplicated(["model", "seed", "iteration"]).any()
    assert len(curves) == 8 * 4  # 12 iterations, a row every 3
