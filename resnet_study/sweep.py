"""Depth sweeps: every (model, seed) of a grid trained once, tidy tables collected from the runs.

Each run lives in ``OUT/runs/<model>-s<seed>/`` and is made by the training engine, so it skips
when finished and resumes when interrupted. A worker claims a run with an exclusive ``flock`` on
``OUT/locks/<run>.lock``: the kernel drops the lock when its holder dies, even by kill -9, so a
dead worker never blocks a run, and any number of workers (shells, GPUs, cluster jobs) can work
on one sweep with every run happening exactly once. A run that fails (bad data, a full disk, a
crashed torchrun) is recorded with its reason in ``OUT/failures/<run>.txt`` and the queue goes
on; a rerun of the sweep tries it again.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .config import make_config, to_assignments
from .errors import StudyError
from .io import atomic_path, check_writable, exclusive_lock, is_locked, read_json, write_csv
from .models import model_info
from .runfolder import FINISHED, read_run_file

RUN_COLUMNS = ["model", "family", "depth", "residual", "shortcut", "seed", "preset", "iterations", "status",
               "final_train_error", "final_test_error", "best_test_error", "wall_seconds", "images_per_second",
               "device", "torch_version", "commit", "dataset", "train_images", "epochs", "test_error_on", "reason"]
WAIT_SECONDS = 2.0  # how often a worker with nothing left to claim looks at its peers' runs


@dataclass
class Sweep:
    """A grid of runs: every model with every seed, one preset plus overrides."""

    out: str
    models: list[str]
    seeds: list[int] = field(default_factory=lambda: [0])
    preset: str = "paper"
    overrides: dict = field(default_factory=dict)  # TrainConfig fields, e.g. data_dir, iterations
    name: str = "sweep"
    nproc_per_run: int = 1  # > 1: each run is a DistributedDataParallel job started with torchrun

    def runs(self) -> list[tuple[str, int]]:
        return [(model, seed) for model in self.models for seed in self.seeds]

    def config(self, model: str, seed: int, device: str | None = None):
        values = dict(self.overrides, model=model, seed=seed)
        if device is not None:
            values["device"] = device
        return make_config(self.preset, values)

    def run_dir(self, model: str, seed: int) -> Path:
        return Path(self.out) / "runs" / f"{model}-s{seed}"

    def check_data(self) -> None:
        """Load (or download, once) the sweep's data: bad data stops here, before anything is written."""
        import warnings

        from .data import image_folder_splits, load_cifar10
        from .engine import resolve_device

        cfg = self.config(*self.runs()[0])
        resolve_device(cfg.device)  # cuda on a machine without one: one sentence, not a failure per run
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # each run states its own subset warning
            if cfg.dataset == "cifar10":
                load_cifar10(cfg.data_dir, holdout=cfg.holdout, allow_download=cfg.download)
            else:
                image_folder_splits(cfg.data_dir, cfg.image_size, classes=cfg.classes)

    def validate(self) -> "Sweep":
        for key, kinds in (("out", (str, os.PathLike)), ("name", str), ("preset", str)):
            if not isinstance(getattr(self, key), kinds):
                raise StudyError(f"{key} must be a name; got {getattr(self, key)!r}")
        if type(self.nproc_per_run) is not int or self.nproc_per_run < 1:
            raise StudyError(f"nproc_per_run must be an integer, 1 or more; got {self.nproc_per_run!r}")
        if not isinstance(self.models, list) or not all(isinstance(m, str) for m in self.models):
            raise StudyError(f"models must be a list of model names, e.g. [cifar_plain20, cifar_resnet20]; "
                             f"got {self.models!r}")
        if not isinstance(self.seeds, list) or not all(type(s) is int for s in self.seeds):
            raise StudyError(f"seeds must be a list of integers, e.g. [0, 1, 2]; got {self.seeds!r}")
        if not self.models:
            raise StudyError("a sweep needs at least one model (--models or a config's models:)")
        if not self.seeds:
            raise StudyError("a sweep needs at least one seed")
        for name, values in (("model", self.models), ("seed", self.seeds)):
            repeated = sorted({str(v) for v in values if values.count(v) > 1})
            if repeated:
                raise StudyError(f"{name} {', '.join(repeated)} is listed more than once; each run must "
                                 f"appear once so that seed means weigh every run equally")
        for model, seed in self.runs():
            self.config(model, seed).validate()
        check_writable(self.out)
        return self


def load_sweep(path: str | Path, **overrides) -> Sweep:
    """A sweep from YAML (keys: name, models, seeds, preset, overrides); ``overrides`` win."""
    path = Path(path)
    if not path.exists():
        raise StudyError(f"sweep config {path} does not exist")
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError) as err:
        raise StudyError(f"sweep config {path} cannot be read ({type(err).__name__}); give a YAML file") from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise StudyError(f"{path} is not valid YAML{line}; fix it or start from experiments/cifar_quick.yaml") from None
    if not isinstance(spec, dict):
        raise StudyError(f"{path} must be a YAML mapping with keys name, models, seeds, preset, overrides")
    if not isinstance(spec.get("overrides") or {}, dict):
        raise StudyError(f"{path}: overrides must be a mapping of config keys to values")
    unknown = set(spec) - {f.name for f in dataclasses.fields(Sweep)} - {"description"}
    if unknown:
        raise StudyError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; keys are name, models, seeds, "
                         f"preset, overrides")
    spec.pop("description", None)
    spec.setdefault("name", path.stem)
    spec["overrides"] = {**(spec.get("overrides") or {}), **overrides.pop("overrides", {})}
    spec.update({k: v for k, v in overrides.items() if v is not None})
    if "models" not in spec:
        raise StudyError(f"{path} lists no models; add models: [cifar_plain20, cifar_resnet20] or give --models")
    return Sweep(**spec)


# ---- claiming and running ------------------------------------------------------------------------
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
    summary = read_run_file(sweep.run_dir(model, seed) / "summary.json")
    if summary and summary.get("status") in FINISHED:
        return summary["status"]
    if is_claimed(sweep, model, seed):
        return "running"
    if failure_path(sweep, model, seed).exists():
        return "failed"
    return "interrupted" if sweep.run_dir(model, seed).exists() else "queued"


def run_one(sweep: Sweep, model: str, seed: int, device: str | None = None, *, progress: bool | None = None,
            log=print) -> dict | None:
    """Claim one run and train it (in this process, or with torchrun when ``nproc_per_run`` > 1).

    Returns its summary (status ``failed`` with a ``reason`` when it could not finish), or None
    when it is finished or another worker holds it.
    """
    if run_status(sweep, model, seed) in FINISHED:
        return None
    with claim(sweep, model, seed) as mine:
        if not mine or run_status(sweep, model, seed) in FINISHED:
            return None
        log(f"start {model}-s{seed}" + (f" on {device}" if device else ""))
        failure_path(sweep, model, seed).unlink(missing_ok=True)
        cfg, run = sweep.config(model, seed, device), sweep.run_dir(model, seed)
        try:
            if sweep.nproc_per_run > 1:
                summary = train_with_torchrun(cfg, run, sweep.nproc_per_run, log)
            else:
                from .engine import train  # here, so that reading and checking a sweep imports no torch

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


def train_with_torchrun(cfg, out: Path, nproc: int, log=print) -> dict:
    """One run as ``torchrun --nproc_per_node nproc``: DistributedDataParallel over nproc processes."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               "-m", "resnet_study.cli", "train", "--model", cfg.model, "--seed", str(cfg.seed), "--out", str(out),
               "--preset", cfg.preset, "--set", *to_assignments(cfg)]
    result = subprocess.run(command, capture_output=True, text=True)
    summary = read_json(out / "summary.json")
    # torchrun exits 1 for a failed child as for a diverged run: only the summary tells them apart.
    if result.returncode not in (0, 1) or summary is None or summary.get("status") not in FINISHED:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise StudyError(f"torchrun for {out.name} failed with exit status {result.returncode}: {tail}")
    log(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else f"{out.name}: finished")
    return summary


def run_array_task(sweep: Sweep, model: str, seed: int) -> str:
    """One run as a cluster job (submitit): the same claim, so a rerun sweep never duplicates it."""
    run_one(sweep, model, seed, progress=False)
    return run_status(sweep, model, seed)


# ---- tables --------------------------------------------------------------------------------------
def collect(sweep: Sweep) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild ``runs.csv``, ``curves.csv``, ``responses.csv`` and ``gradients.csv`` from the run
    folders, atomically; returns the first two."""
    rows, curves = [], []
    stacked = {"responses.csv": [], "gradients.csv": []}
    for model, seed in sweep.runs():
        info, run = model_info(model), sweep.run_dir(model, seed)
        config, summary = read_run_file(run / "config.json"), read_run_file(run / "summary.json")
        cfg = config.get("config", {})
        rows.append({
            "model": model, "family": info.family, "depth": info.depth, "residual": info.residual,
            "shortcut": (cfg.get("shortcut") or info.default_shortcut) if info.residual else "",
            "seed": seed, "preset": cfg.get("preset", sweep.preset),
            "iterations": summary.get("iterations"), "status": run_status(sweep, model, seed),
            **{k: summary.get(k) for k in ("final_train_error", "final_test_error", "best_test_error",
                                           "wall_seconds", "images_per_second")},
            "device": config.get("device"), "torch_version": config.get("torch_version"),
            "commit": config.get("commit"), **_data_columns(config, summary),
            "reason": failure_reason(sweep, model, seed) if summary.get("status") not in FINISHED else None,
        })
        for name, frames in [("curves.csv", curves), *stacked.items()]:
            if (run / name).exists():
                frame = pd.read_csv(run / name)
                for i, (key, value) in enumerate([("model", model), ("depth", info.depth),
                                                  ("residual", info.residual), ("seed", seed)]):
                    frame.insert(i, key, value)
                frames.append(frame)
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS)
    curves = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["model", "depth", "residual", "seed", "iteration"])
    Path(sweep.out).mkdir(parents=True, exist_ok=True)
    write_csv(Path(sweep.out) / "runs.csv", runs)
    write_csv(Path(sweep.out) / "curves.csv", curves)
    for name, frames in stacked.items():
        if frames:
            write_csv(Path(sweep.out) / name, pd.concat(frames, ignore_index=True))
    return runs, curves


def _data_columns(config: dict, summary: dict) -> dict:
    """What a run trained and was tested on: data set, training images, epochs, eval split."""
    data, batch = config.get("dataset") or {}, (config.get("config") or {}).get("batch_size")
    images, iterations = data.get("train_images"), summary.get("iterations")
    epochs = round(iterations * batch / images, 2) if images and batch and iterations else None
    return {"dataset": data.get("name"), "train_images": images, "epochs": epochs,
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


# ---- launching -----------------------------------------------------------------------------------
def _worker_process(sweep: Sweep, device: str | None, threads: int | None) -> None:
    if threads:
        import torch
        torch.set_num_threads(threads)
    log_path = Path(sweep.out) / "logs" / f"worker-{os.getpid()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", buffering=1) as handle:
        work(sweep, device, progress=False, log=lambda line: print(line, file=handle))


def worker_devices(workers: int | None, runs_per_gpu: int) -> list[str | None]:
    """One worker per visible GPU (times ``runs_per_gpu``), or ``workers`` on the CPU."""
    import torch

    gpus = torch.cuda.device_count()
    if gpus:
        count = workers or gpus * runs_per_gpu
        return [f"cuda:{i % gpus}" for i in range(count)]
    return [None] * (workers or 1)


def run_local(sweep: Sweep, workers: int | None, runs_per_gpu: int, log=print) -> None:
    devices = worker_devices(workers, runs_per_gpu)
    started = time.time()
    if len(devices) == 1:
        if work(sweep, devices[0], log=log, report_progress=True) == 0:
            log(progress_line(sweep, started))  # nothing trained: still say where the sweep stands
        return
    cpu_threads = max(1, (os.cpu_count() or 1) // len(devices)) if devices[0] is None else None
    context = mp.get_context("spawn")
    processes = [context.Process(target=_worker_process, args=(sweep, d, cpu_threads)) for d in devices]
    for p in processes:
        p.start()
    log(f"[{sweep.name}] {len(processes)} workers on {', '.join(sorted({d or 'cpu' for d in devices}))}; "
        f"logs in {Path(sweep.out) / 'logs'}")
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


def run_submitit(sweep: Sweep, cluster: str, args: argparse.Namespace, log=print) -> None:
    import submitit

    todo = [(m, s) for m, s in sweep.runs() if run_status(sweep, m, s) not in FINISHED]
    if not todo:
        return
    executor = submitit.AutoExecutor(folder=Path(sweep.out) / "submitit" / "%j", cluster=cluster)
    params = dict(name=f"resnet-study-{sweep.name}", timeout_min=args.timeout_min, gpus_per_node=args.gpus_per_job,
                  cpus_per_task=args.cpus_per_job, slurm_array_parallelism=args.array_parallelism)
    if args.partition:
        params["slurm_partition"] = args.partition
    executor.update_parameters(**params)
    jobs = executor.map_array(run_array_task, [sweep] * len(todo), [m for m, _ in todo], [s for _, s in todo])
    log(f"[{sweep.name}] submitted {len(jobs)} runs as job array {jobs[0].job_id.split('_')[0]} ({executor.cluster})")
    if args.no_wait:
        log("rerun the same command after the jobs finish to collect the tables")
        return
    for job, (model, seed) in zip(jobs, todo):
        log(f"{model}-s{seed}: {job.result()}")


def cpu_estimate(sweep: Sweep) -> str | None:
    """Without a GPU, one sentence on how long the paper's recipe would take here, from three timed
    training steps of the deepest net (a CIFAR net's cost grows with its depth)."""
    import torch

    from .bench import measure_engine

    first = sweep.config(*sweep.runs()[0])
    if (torch.cuda.is_available() or first.device not in ("auto", "cpu") or first.dataset != "cifar10"
            or sweep.preset not in ("paper", "paper_epochs")):
        return None
    todo = [(m, s) for m, s in sweep.runs() if run_status(sweep, m, s) not in FINISHED]
    if not todo or sum(sweep.config(m, s).iterations * first.batch_size for m, s in todo) < 5_000_000:
        return None  # little to train: minutes even on a CPU, not worth a measurement
    deepest = max(sweep.models, key=lambda m: model_info(m).depth)
    rate, trainer = measure_engine(sweep.config(deepest, sweep.seeds[0]), steps=3, warmup=2)
    layer_rate = rate * model_info(deepest).depth  # images/s x layers
    seconds = sum(sweep.config(m, s).resolved(trainer.train_images).iterations * first.batch_size
                  * model_info(m).depth / layer_rate for m, s in todo)
    return (f"this machine has no GPU: at the {rate:,.0f} images/s measured for {deepest} here, the {len(todo)} "
            f"runs of the {sweep.preset} preset would take about {seconds / 3600:,.0f} hours; `make cifar-study` "
            f"(about an hour on 2 cores) or `make cifar-quick` (minutes) show the degradation on a CPU")


def sweep_command(args: argparse.Namespace, overrides: dict) -> int:
    """``resnet-study sweep``: ``overrides`` are the recipe fields its flags set."""
    if args.config:
        sweep = load_sweep(args.config, out=args.out, preset=args.preset, overrides=overrides,
                           models=_split(args.models), seeds=_seeds(args.seeds), nproc_per_run=args.nproc_per_run)
    elif args.models:
        sweep = Sweep(out=args.out, models=_split(args.models), seeds=_seeds(args.seeds) or [0],
                      preset=args.preset or "paper", overrides=overrides, nproc_per_run=args.nproc_per_run or 1)
    else:
        raise StudyError("give --config experiments/NAME.yaml or --models a,b,c")
    if sweep.out is None:
        raise StudyError("give --out (the sweep folder)")
    for flag in ("workers", "runs_per_gpu", "nproc_per_run"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise StudyError(f"--{flag.replace('_', '-')} must be 1 or more; got {getattr(args, flag)}")
    sweep.validate()
    sweep.check_data()  # a missing data set is one sentence for the sweep, not a failure per run
    if estimate := cpu_estimate(sweep):
        print(f"note: {estimate}")
    if args.launcher == "local":
        run_local(sweep, args.workers, args.runs_per_gpu)
    else:
        run_submitit(sweep, "slurm" if args.launcher == "slurm" else "local", args)
    runs, _ = collect(sweep)
    print(runs[["model", "seed", "status", "final_train_error", "final_test_error", "wall_seconds"]]
          .to_string(index=False))
    print(f"tables: {Path(sweep.out) / 'runs.csv'}, {Path(sweep.out) / 'curves.csv'}")
    return 0 if set(runs.status) <= {"done"} else 1


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _seeds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    if not _split(text):
        raise StudyError(f"--seeds takes comma-separated integers, e.g. 0,1,2; got {text!r}")
    try:
        return [int(s) for s in _split(text)]
    except ValueError:
        raise StudyError(f"--seeds takes comma-separated integers; got {text!r}") from None
