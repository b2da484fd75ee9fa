"""``resnet-study``: the command line.

Parsing imports no torch, so ``--help``, ``--version`` and bad input answer at once: every
command reads and checks its input here, then loads the code that trains, sweeps, times or
evaluates. Each ``TrainConfig`` field has a flag, generated from its type hint and comment.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import sys
import typing

from . import __version__
from .config import NORMALIZATIONS, PRESETS, TrainConfig, field_help, make_config, parse_assignments, type_name
from .errors import StudyError
from .io import disk_full_error

# Fields that commands set with their own flags (train --model, sweep --models) or that label a run.
OWN_FLAGS = {"model", "seed", "preset"}


# ---- recipe flags ---------------------------------------------------------------------------------
def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """``--preset``, a flag for every other ``TrainConfig`` field, and ``--set KEY=VALUE``."""
    group = parser.add_argument_group(
        "recipe", "A preset's values, changed by the flags given. [brackets]: the type and the paper "
                  "preset's value; other presets set some differently (see README's presets table).")
    group.add_argument("--preset", choices=list(PRESETS),
                       help="recipe preset (default: paper, or the sweep file's)")
    hints, helps = typing.get_type_hints(TrainConfig), field_help()
    for field in dataclasses.fields(TrainConfig):
        if field.name in OWN_FLAGS:
            continue
        flag, hint = "--" + field.name.replace("_", "-"), hints[field.name]
        text = f"{helps.get(field.name, '')} [{type_name(hint)}; paper: {_shown(field.default)}]".replace("%", "%%")
        if hint is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=text)
        else:  # kept as text: make_config converts it by the type hint, with one sentence when it can't
            group.add_argument(flag, default=argparse.SUPPRESS, metavar=field.name.upper(), help=text)
    group.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                       help="override fields as key=value pairs, e.g. --set momentum=0.9 milestones=300,450")


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "empty"
    return str(value).lower() if isinstance(value, bool) else str(value)


def config_overrides(args: argparse.Namespace) -> dict:
    """The fields given with ``--set`` or their own flags (a flag wins over ``--set``)."""
    overrides = parse_assignments(args.set)
    overrides.update({f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                      if f.name not in OWN_FLAGS and hasattr(args, f.name)})
    return overrides


def run_config(args: argparse.Namespace, **fixed) -> TrainConfig:
    """The checked config of one run: ``--preset``, then the flags, then ``fixed`` fields."""
    return make_config(args.preset or "paper", {**config_overrides(args), **fixed}).validate()


# ---- commands -------------------------------------------------------------------------------------
def _models(args: argparse.Namespace) -> None:
    import pandas as pd

    from .models import list_models, model_info

    names = [n.strip() for n in args.names.split(",") if n.strip()] if args.names else list_models()
    if not names:
        raise StudyError(f"--names takes comma-separated model names, e.g. cifar_plain20,cifar_resnet20; "
                         f"got {args.names!r}")
    for name in names:
        model_info(name)  # a bad name is one sentence before any net is built
    from .models import describe

    table = pd.DataFrame([describe(name) for name in names])
    table["parameters"] = table["parameters"].map("{:,}".format)
    table["macs"] = table["macs"].map(lambda m: f"{m / 1e9:.2f} G" if m >= 1e9 else f"{m / 1e6:.1f} M")
    print(table.rename(columns={"macs": "MACs"}).to_string(index=False))


def _train(args: argparse.Namespace) -> int:
    cfg = run_config(args, model=args.model, seed=args.seed)
    from .engine import train

    return 0 if train(cfg, args.out)["status"] == "done" else 1


def _bench(args: argparse.Namespace) -> None:
    from pathlib import Path

    from .io import check_writable

    cfg = run_config(args, model=args.model)
    if args.steps < 1 or args.warmup < 0:
        raise StudyError(f"--steps must be 1 or more and --warmup 0 or more; got {args.steps} and {args.warmup}")
    if args.json:  # checked before the minutes of timing
        if Path(args.json).is_dir():
            raise StudyError(f"--json {args.json} is a folder; give a file name")
        check_writable(Path(args.json).absolute().parent)
    from .bench import benchmark, check_conventional, describe
    from .io import write_json

    if not args.engine_only:
        check_conventional(cfg)
    result = benchmark(cfg, steps=args.steps, warmup=args.warmup, conventional=not args.engine_only)
    print(describe(result))
    if args.json:
        Path(args.json).absolute().parent.mkdir(parents=True, exist_ok=True)
        write_json(args.json, result)


def _sweep(args: argparse.Namespace) -> int:
    from .sweep import sweep_command

    return sweep_command(args, config_overrides(args))


def _responses(args: argparse.Namespace) -> None:
    from .evaluate import run_responses

    frame = run_responses(args.run, device=args.device)
    print(frame.to_string(index=False))
    print(f"written: {args.run}/responses.csv")


def _evaluate(args: argparse.Namespace) -> None:
    from .models import model_info

    if model_info(args.model).family != "cifar":
        raise StudyError(f"evaluate takes CIFAR nets (cifar_resnet<D>, cifar_plain<D>); got {args.model}")
    from .evaluate import describe, evaluate

    result = evaluate(args.model, args.weights, args.data_dir, args.out, normalize=args.normalize,
                      device=args.device)
    print(describe(result))
    print(f"written: {result['out']}/evaluation.json, {result['out']}/responses.csv")


# ---- parser -----------------------------------------------------------------------------------------
class OneLineParser(argparse.ArgumentParser):
    """argparse's errors (``--seed x``, a missing ``--model``) in one line, without the usage
    (``train``'s alone runs to twenty lines); exit status 2 as argparse's."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="resnet-study", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="list networks with parameter and multiply-add counts")
    models.add_argument("--names", help="comma-separated model names (default: the paper's networks)")
    models.set_defaults(func=_models)

    train = sub.add_parser("train", help="train one network; rerunning the command resumes or skips it")
    train.add_argument("--model", required=True, help="e.g. cifar_plain56 or cifar_resnet110")
    train.add_argument("--out", required=True, help="run folder; rerunning resumes or skips")
    train.add_argument("--seed", type=int, default=0, help="initialisation and data order (default 0)")
    add_config_flags(train)
    train.set_defaults(func=_train)

    bench = sub.add_parser("bench", help="time training steps: our engine against a conventional loop")
    bench.add_argument("--model", default="cifar_resnet56", help="network to time (default cifar_resnet56)")
    bench.add_argument("--steps", type=int, default=50, help="timed steps (default 50)")
    bench.add_argument("--warmup", type=int, default=10, help="untimed steps first (default 10)")
    bench.add_argument("--engine-only", action="store_true", help="skip the conventional loop")
    bench.add_argument("--json", help="also write the result to this JSON file")
    add_config_flags(bench)
    bench.set_defaults(func=_bench)

    sweep = sub.add_parser("sweep", help="train a grid of plain and residual networks, collect tables")
    sweep.add_argument("--config", help="experiments/NAME.yaml")
    sweep.add_argument("--models", help="comma-separated model names (instead of, or overriding, --config)")
    sweep.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2")
    sweep.add_argument("--out", help="sweep folder (runs/, runs.csv, curves.csv)")
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
    add_config_flags(sweep)
    sweep.set_defaults(func=_sweep)

    responses = sub.add_parser("responses", help="layer responses (Fig. 7) of a finished run")
    responses.add_argument("--run", required=True, help="a run folder, e.g. runs/cifar-quick/runs/cifar_plain56-s0")
    responses.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    responses.set_defaults(func=_responses)

    evaluate = sub.add_parser("evaluate", help="test error and layer responses (Fig. 7) of a trained checkpoint")
    evaluate.add_argument("--model", required=True, help="e.g. cifar_resnet56")
    evaluate.add_argument("--weights", required=True,
                          help="akamaster .th file, torchvision state dict or a run's checkpoint.pt")
    evaluate.add_argument("--data-dir", required=True, help="folder holding cifar-10-batches-py/")
    evaluate.add_argument("--out", help="folder for evaluation.json and responses.csv "
                                        "(default: evaluations/<model>-<sha256 prefix>)")
    evaluate.add_argument("--normalize", choices=NORMALIZATIONS,
                          help="input normalisation (default: the checkpoint's own: imagenet for akamaster's, "
                               "its config.json's for ours)")
    evaluate.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    evaluate.set_defaults(func=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except StudyError as err:  # bad input: one sentence
        print(f"resnet-study {args.command}: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        print(f"resnet-study {args.command}: {disk_full_error(err.filename or 'the output folder')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"resnet-study {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
