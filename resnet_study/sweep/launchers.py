"""Starting workers: local processes (one per GPU, or CPU workers sharing the cores), or a
SLURM job array through submitit."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import StudyError
from ..training.artefacts import FINISHED
from .claims import run_status
from .spec import Sweep
from .tables import progress_line
from .worker import work


@dataclass
class Cluster:
    """Where and how a job array runs (submitit's parameters)."""

    executor: str = "slurm"  # "slurm", or "local" for submitit's local executor
    partition: str | None = None
    timeout_min: int = 24 * 60
    gpus_per_job: int = 1
    cpus_per_job: int = 4
    array_parallelism: int = 64
    wait: bool = True
    signal_delay_s: int = 120  # the time-limit signal comes this long before the end: time to stop and requeue


def _worker_process(sweep: Sweep, device: str | None, threads: int | None, visible: str | None = None) -> None:
    if visible is not None:  # before CUDA starts in this process or in torchrun's children
        os.environ["CUDA_VISIBLE_DEVICES"] = visible
    if threads:
        import torch
        torch.set_num_threads(threads)
    log_path = Path(sweep.out) / "logs" / f"worker-{os.getpid()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", buffering=1) as handle:
        work(sweep, device, progress=False, log=lambda line: print(line, file=handle))


def worker_slots(workers: int | None, runs_per_gpu: int, nproc_per_run: int = 1,
                 gpus: int | None = None) -> list[tuple[str | None, str | None]]:
    """(device, CUDA_VISIBLE_DEVICES) of each worker. One worker per visible GPU (times
    ``runs_per_gpu``), or ``workers`` on the CPU. A run of ``nproc_per_run`` > 1 processes needs as
    many GPUs: each worker then sees its own ``nproc_per_run`` of them (torchrun's local ranks
    0..n-1), so no GPU trains two processes of different runs unless ``runs_per_gpu`` asks for it.
    ``gpus``: the visible GPU count (default: torch's)."""
    if gpus is None:
        import torch

        gpus = torch.cuda.device_count()
    if not gpus:
        return [(None, None)] * (workers or 1)
    if nproc_per_run == 1:
        return [(f"cuda:{i % gpus}", None) for i in range(workers or gpus * runs_per_gpu)]
    groups = gpus // nproc_per_run
    if not groups:
        raise StudyError(f"--nproc-per-run {nproc_per_run} needs {nproc_per_run} GPUs per run and this machine "
                         f"shows {gpus}; use --nproc-per-run {gpus} or less")
    count = workers or groups * runs_per_gpu
    return [("cuda", ",".join(str((i % groups) * nproc_per_run + k) for k in range(nproc_per_run)))
            for i in range(count)]


def run_local(sweep: Sweep, workers: int | None, runs_per_gpu: int, log=print) -> None:
    slots = worker_slots(workers, runs_per_gpu, sweep.nproc_per_run)
    started = time.time()
    if len(slots) == 1:  # this process: torchrun's children take the GPUs from 0
        if work(sweep, slots[0][0], log=log, report_progress=True) == 0:
            log(progress_line(sweep, started))  # nothing trained: still say where the sweep stands
        return
    cpu_threads = max(1, (os.cpu_count() or 1) // len(slots)) if slots[0][0] is None else None
    context = mp.get_context("spawn")
    processes = [context.Process(target=_worker_process, args=(sweep, device, cpu_threads, visible))
                 for device, visible in slots]
    for p in processes:
        p.start()
    places = sorted({visible and f"GPUs {visible}" or device or "cpu" for device, visible in slots})
    log(f"[{sweep.name}] {len(processes)} workers on {', '.join(places)}; logs in {Path(sweep.out) / 'logs'}")
    try:
        while any(p.is_alive() for p in processes):
            log(progress_line(sweep, started))
            for p in processes:
                p.join(timeout=30 / len(processes))
    finally:
        for p in processes:
            if p.is_alive():
                p.terminate()
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise StudyError(f"{len(failed)} worker(s) failed; see {Path(sweep.out) / 'logs'}")
    log(progress_line(sweep, started))


def run_submitit(sweep: Sweep, cluster: Cluster, log=print) -> None:
    """Submit the runs that are neither finished nor held by a live job as a job array of
    self-requeueing tasks (``requeue.ArrayTask``)."""
    import submitit

    from .requeue import ArrayTask

    statuses = {(m, s): run_status(sweep, m, s) for m, s in sweep.runs()}
    todo = [run for run, status in statuses.items() if status not in (*FINISHED, "running")]
    if running := sum(status == "running" for status in statuses.values()):
        log(f"[{sweep.name}] {running} runs are held by live jobs; not submitting them again")
    if not todo:
        return
    executor = submitit.AutoExecutor(folder=Path(sweep.out) / "submitit" / "%j", cluster=cluster.executor)
    params = dict(name=f"resnet-study-{sweep.name}", timeout_min=cluster.timeout_min,
                  gpus_per_node=cluster.gpus_per_job, cpus_per_task=cluster.cpus_per_job,
                  slurm_array_parallelism=cluster.array_parallelism)
    if cluster.partition:
        params["slurm_partition"] = cluster.partition
    if cluster.executor == "slurm":  # submitit's local executor takes its signal delay only when built directly
        params["slurm_signal_delay_s"] = cluster.signal_delay_s
    executor.update_parameters(**params)
    jobs = executor.map_array(ArrayTask(), [sweep] * len(todo), [m for m, _ in todo], [s for _, s in todo])
    log(f"[{sweep.name}] submitted {len(jobs)} runs as job array {jobs[0].job_id.split('_')[0]} ({executor.cluster})")
    if not cluster.wait:
        log("rerun the same command after the jobs finish to collect the tables")
        return
    for job, (model, seed) in zip(jobs, todo):
        log(f"{model}-s{seed}: {job.result()}")
