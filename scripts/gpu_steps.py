"""Running a check's steps so that a cut call keeps everything it measured (``gpu_check.py``'s engine).

Each step is a command with a time cap, run in its own session (process group) with its output
appended straight to one log file, never to a pipe: a grandchild that inherits the output cannot
hold a finished step open, and a killed step keeps every line it printed (children run with
PYTHONUNBUFFERED). When the step's own process ends, or its cap passes, the whole group is killed
(``os.killpg``), so sweep workers, torchrun's children and compile workers die with it. A step
starts only when its cap fits in the time left; otherwise it is recorded as skipped. The report
is rewritten atomically before and after every step.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

TICK_S = 0.25  # how often a running step's ``watch`` looks at its folder


class Interrupted(Exception):
    """The check itself got SIGTERM or SIGINT (an outer time limit): stop, keep what was measured."""


@dataclass
class Step:
    """One command of the check. ``numbers(work)`` reads what it measured from its folder ``work``
    (after it ends, whatever its status) and ``describe(numbers)`` says it in a few words;
    ``watch(work)`` looks at that folder while it runs; ``skip(report)`` gives a reason not to run
    it, from the steps before it."""

    name: str
    command: list[str]
    cap_s: float
    numbers: Callable[[Path], dict | None] = lambda work: None
    describe: Callable[[dict], str] = lambda numbers: ""
    watch: Callable[[Path], None] | None = None
    skip: Callable[[dict], str | None] = lambda report: None
    env: dict = field(default_factory=dict)


def entry(step: Step) -> dict:
    """The report's record of ``step`` before it runs."""
    return {"name": step.name, "status": "pending", "cap_s": step.cap_s, "command": shlex.join(step.command)}


def run(step: Step, record: dict, work: Path, log: Path, deadline: float, cwd: Path, env: dict) -> None:
    """Run ``step`` in ``work`` (created), within its cap and before ``deadline`` (a monotonic time),
    filling ``record`` in: status (ok, failed, timed out, skipped, interrupted), exit status, seconds,
    the byte range of its output in ``log``, and its numbers."""
    left = deadline - time.monotonic()
    if step.cap_s > left:
        record.update(status="skipped",
                      reason=f"its cap of {step.cap_s:.0f} s does not fit in the {max(left, 0):.0f} s left")
        return
    work.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as handle:
        record["log_bytes"] = [handle.tell()]
        handle.write(f"\n===== {step.name} (cap {step.cap_s:.0f} s): {record['command']}\n")
        handle.flush()
        start = time.monotonic()
        process = subprocess.Popen(step.command, cwd=cwd, env={**env, **step.env, "PYTHONUNBUFFERED": "1"},
                                   stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        code = _wait(process, step, work, start + step.cap_s)
        if code is None:
            record.update(status="timed out",
                          reason=f"still running after its cap of {step.cap_s:.0f} s; its process group was killed")
        else:
            record.update(status="ok", exit_status=0) if code == 0 else record.update(
                status="failed", exit_status=code, reason=f"exit status {code}; its output is in the log")
    except Interrupted:
        record.update(status="interrupted", reason="the check was stopped (SIGTERM or SIGINT) while this step ran")
        raise
    finally:
        record["stragglers_killed"] = kill_group(process)
        record["seconds"] = round(time.monotonic() - start, 1)
        _close(step, record, work, log)


def _wait(process: subprocess.Popen, step: Step, work: Path, until: float) -> int | None:
    """The exit status of the step's own process, or None when ``until`` passes first."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return None
        try:
            return process.wait(timeout=min(TICK_S, left) if step.watch else left)
        except subprocess.TimeoutExpired:
            if step.watch:
                step.watch(work)


def _close(step: Step, record: dict, work: Path, log: Path) -> None:
    try:
        record["result"] = step.numbers(work)
        record["measured"] = step.describe(record["result"]) if record["result"] else ""
    except Exception as error:  # a step's partial output must not stop the check
        record.update(result=None, measured="", numbers_error=f"{type(error).__name__}: {error}")
    with open(log, "a") as handle:
        handle.write(f"===== {step.name}: {record['status']} after {record['seconds']} s\n")
        record["log_bytes"].append(handle.tell())


def kill_group(process: subprocess.Popen) -> bool:
    """Kill the step's process group (its session) and reap its own process; whether anything of
    the group outlived that process (a grandchild the step left behind)."""
    ended = process.poll() is not None
    try:
        os.killpg(process.pid, signal.SIGKILL)
        found = True
    except ProcessLookupError:
        found = False
    process.wait()
    return ended and found


def insert_steps(steps: list[Step], path: Path) -> None:
    """Steps from a JSON list (name, command, cap_s, after), each put after the step it names: the
    test hook that injects failing, hanging and straggling steps into a rehearsal."""
    for spec in json.loads(path.read_text()):
        at = next(i for i, s in enumerate(steps) if s.name == spec["after"]) + 1
        steps.insert(at, Step(spec["name"], spec["command"], spec["cap_s"]))


def stop_on_signals() -> None:
    """SIGTERM and SIGINT raise ``Interrupted`` in the check, which then kills the running step's group."""
    def handler(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
