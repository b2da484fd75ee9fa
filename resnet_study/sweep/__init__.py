"""Depth sweeps: every (model, seed) of a grid trained once, tidy tables collected from the runs.

Each run lives in ``OUT/runs/<model>-s<seed>/`` and is made by the training loop, so it skips
when finished and resumes when interrupted. A worker claims a run with an exclusive lock on
``OUT/locks/<run>.lock`` that the kernel drops when its holder dies, even by kill -9, so any number
of workers (shells, GPUs, cluster jobs) can share one sweep with every run happening exactly once.
A run that fails is recorded with its reason in ``OUT/failures/<run>.txt`` and the queue goes on;
a rerun of the sweep tries it again. Nothing here imports torch until a run trains.

spec (``Sweep``, ``load_sweep``), claims (locks, failures, ``run_status``), worker (``run_one``,
``work``), launchers (local processes, submitit), tables (``write_tables``, ``collect``), estimate
(``cpu_estimate``).
"""

from .claims import claim, lock_path, run_status
from .estimate import cpu_estimate
from .launchers import Cluster, run_local, run_submitit
from .spec import Sweep, load_sweep
from .tables import RUN_COLUMNS, collect, progress_line, write_tables
from .worker import run_one, work

__all__ = ["Cluster", "RUN_COLUMNS", "Sweep", "claim", "collect", "cpu_estimate", "load_sweep", "lock_path",
           "progress_line", "run_local", "run_one", "run_status", "run_submitit", "work", "write_tables"]
