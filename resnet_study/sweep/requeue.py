"""SLURM array tasks that requeue themselves: submitit's ``Checkpointable``.

At the time limit (``--timeout-min``) or on preemption, SLURM signals the task (USR2, submitit's
``signal_delay_s`` before the end). submitit then calls ``checkpoint``, which resubmits the same
call, and requeues the task; the requeued task claims the run again and resumes it from its last
checkpoint, as exactly as any resume (the iterations since that checkpoint train again). A task
times out at most ``max_num_timeout`` times (submitit's default, 3) before it fails.
"""

from __future__ import annotations

import submitit

from .claims import run_status
from .spec import Sweep
from .worker import run_one


class ArrayTask(submitit.helpers.Checkpointable):
    """One run of a sweep as a cluster job: the same claim as every worker's, so a requeued task or
    a rerun sweep never trains a run twice. Returns the run's status."""

    def __call__(self, sweep: Sweep, model: str, seed: int) -> str:
        run_one(sweep, model, seed, progress=False)
        return run_status(sweep, model, seed)
