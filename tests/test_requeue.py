"""SLURM array tasks as submitit Checkpointables (issue 19): the time-limit signal requeues the
task and the run resumes from its checkpoint to the numbers of an uninterrupted run. Run with
submitit's local executor, which sends the same signal (USR2) as SLURM."""

import os
import signal
import time

import pandas as pd
import pytest

from resnet_study.sweep import Sweep
from resnet_study.training.loop import train

from helpers import QUIET

pytestmark = pytest.mark.usefixtures("quiet_warnings")


def tiny_sweep(cifar_dir, out, iterations):
    return Sweep(out=str(out), models=["cifar_resnet8"], overrides=dict(
        data_dir=str(cifar_dir), iterations=iterations, batch_size=16, log_every=4, eval_every=8,
        checkpoint_every=4, device="cpu", milestones=[iterations - 4]))


def requeued_run(cifar_dir, tmp_path, iterations, timeout_min, signal_delay_s, signal_at_checkpoint, timeouts=3):
    import submitit

    from resnet_study.sweep.requeue import ArrayTask

    sweep = tiny_sweep(cifar_dir, tmp_path / "sweep", iterations)
    executor = submitit.LocalExecutor(tmp_path / "jobs", max_num_timeout=timeouts)
    executor.update_parameters(timeout_min=timeout_min, signal_delay_s=signal_delay_s)
    job = executor.submit(ArrayTask(), sweep, "cifar_resnet8", 0)
    run = sweep.run_dir("cifar_resnet8", 0)
    if signal_at_checkpoint:  # the signal SLURM and the local executor send at the time limit, once a checkpoint exists
        deadline = time.time() + 300
        while time.time() < deadline and not (run / "checkpoint.pt").exists():
            time.sleep(0.1)
        holder = (tmp_path / "sweep" / "locks" / "cifar_resnet8-s0.lock").read_text()  # "process PID on HOST"
        os.kill(int(holder.split()[1]), signal.SIGUSR2)
    assert job.result() == "done"
    log = job.stdout()
    if not signal_at_checkpoint and "Requeued job" not in log:
        pytest.skip("this machine trained the whole run within one time limit")
    assert "Requeued job" in log and "resuming at iteration" in log, log
    reference = tmp_path / "straight"
    train(sweep.config("cifar_resnet8", 0), reference, **QUIET)
    pd.testing.assert_frame_equal(pd.read_csv(run / "curves.csv"), pd.read_csv(reference / "curves.csv"),
                                  check_exact=True)


def test_a_task_signalled_at_its_time_limit_requeues_and_finishes_its_run(cifar_dir, tmp_path):
    requeued_run(cifar_dir, tmp_path, iterations=24, timeout_min=10, signal_delay_s=30, signal_at_checkpoint=True)


@pytest.mark.slow  # waits for real time limits: one to two minutes
def test_a_task_past_a_real_time_limit_requeues_and_finishes_its_run(cifar_dir, tmp_path):
    # 40 s limit, signal 20 s before: each attempt trains for about 20 s less start-up. The run is
    # sized from this machine's own speed to take about 45 s of training: two or three attempts.
    start = time.time()
    train(tiny_sweep(cifar_dir, tmp_path / "probe", 40).config("cifar_resnet8", 0), tmp_path / "probe", **QUIET)
    iterations = max(100, round(40 / (time.time() - start) * 45 / 4) * 4)
    requeued_run(cifar_dir, tmp_path, iterations=iterations, timeout_min=40 / 60, signal_delay_s=20,
                 signal_at_checkpoint=False, timeouts=10)
