"""``resnet-study sweep``: a grid of plain and residual networks, trained once each, with tables.

The command line owns its strings: it turns flags into a checked ``Sweep`` and a ``Cluster`` and
hands those to the sweep package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import StudyError
from .flags import add_config_flags, config_overrides

ASK_HOURS = 3  # from a terminal, a CPU sweep estimated at this long or longer asks before it starts
# Per-run settings a sweep sets for each run itself, and the sweep flag that sets them.
PER_RUN = {"seed": "--seeds", "model": "--models"}


def add_parser(sub) -> None:
    sweep = sub.add_parser("sweep", help="train a grid of plain and residual networks, collect tables")
    sweep.add_argument("--config", help="experiments/NAME.yaml")
    sweep.add_argument("--models", help="comma-separated model names (instead of, or overriding, --config)")
    sweep.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2")
    sweep.add_argument("--out", help="sweep folder (runs/, runs.csv, curves.csv)")
    for name in PER_RUN:  # refused below in one sentence, rather than argparse's "unrecognized"
        sweep.add_argument(f"--{name}", default=None, help=argparse.SUPPRESS)
    sweep.add_argument("--workers", type=int, help="sweep worker processes, each training one run at a time "
                                                   "(default: one per GPU times --runs-per-gpu, else one)")
    sweep.add_argument("--runs-per-gpu", type=int, default=1, help="concurrent runs on each GPU (default 1)")
    sweep.add_argument("--nproc-per-run", type=int, help="processes (GPUs) per run with torchrun/DDP (default 1)")
    sweep.add_argument("--launcher", choices=["local", "slurm", "submitit-local"], default="local",
                       help="local workers, a SLURM job array through submitit, or submitit's local executor")
    sweep.add_argument("--partition", help="SLURM partition")
    sweep.add_argument("--timeout-min", type=int, default=24 * 60, help="SLURM time limit per run (minutes)")
    sweep.add_argument("--gpus-per-job", type=int, default=1)
    sweep.add_argument("--cpus-per-job", type=int, default=4)
    sweep.add_argument("--array-parallelism", type=int, default=64, help="SLURM array tasks at once")
    sweep.add_argument("--no-wait", action="store_true", help="submit and return; rerun to collect")
    sweep.add_argument("--new-recipe", action="store_true",
                       help="--out holds another grid or settings: move its sweep.json, tables and the run folders "
                            "that differ to OUT/previous-N, keep the runs that match, and start this recipe there")
    add_config_flags(sweep)
    sweep.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..sweep import Cluster, collect, cpu_estimate, run_local, run_submitit
    from ..sweep.recipe import check_recipe, set_aside

    sweep = make_sweep(args)
    if not args.new_recipe:
        check_recipe(sweep)  # one recipe per folder: another one is refused before anything is written
    sweep.check_data()  # a missing data set is one sentence for the sweep, not a failure per run
    if estimate := cpu_estimate(sweep):
        print(f"note: {estimate.text}", flush=True)
        if estimate.hours >= ASK_HOURS and sys.stdin.isatty() and not _confirm("start it anyway? [y/N] "):
            print("not started; nothing was written")
            return 0
    if args.new_recipe:
        set_aside(sweep)
    sweep.save()  # OUT/sweep.json: `resnet-study status OUT` lists every run, queued ones too
    if args.launcher == "local":
        run_local(sweep, args.workers, args.runs_per_gpu)
    else:
        run_submitit(sweep, Cluster("slurm" if args.launcher == "slurm" else "local", args.partition,
                                    args.timeout_min, args.gpus_per_job, args.cpus_per_job,
                                    args.array_parallelism, wait=not args.no_wait))
    runs, _ = collect(sweep)
    print(runs[["model", "seed", "status", "final_train_error", "final_test_error", "wall_seconds"]]
          .to_string(index=False))
    print(f"tables: {Path(sweep.out) / 'runs.csv'}, {Path(sweep.out) / 'curves.csv'}")
    return 0 if set(runs.status) <= {"done"} else 1


def make_sweep(args: argparse.Namespace):
    """The checked ``Sweep`` the flags describe; one sentence for a flag that a sweep sets per run."""
    from ..sweep import Sweep, load_sweep

    overrides = config_overrides(args)
    for name, own in PER_RUN.items():
        if getattr(args, name) is not None or name in overrides:
            given = f"--{name}" if getattr(args, name) is not None else f"--set {name}="
            raise StudyError(f"a sweep sets each run's {name} from {own}; drop {given} and give {own}")
    for flag in ("workers", "runs_per_gpu", "nproc_per_run"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise StudyError(f"--{flag.replace('_', '-')} must be 1 or more; got {getattr(args, flag)}")
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
    return sweep.validate()


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


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
