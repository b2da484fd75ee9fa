"""``resnet-study bench``: training throughput (images/s, effective FLOP/s) of our step beside a conventional loop."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import StudyError
from ..io import check_writable
from .flags import add_config_flags, run_config


def add_parser(sub) -> None:
    parser = sub.add_parser("bench", help="time training steps: our engine against a conventional loop")
    parser.add_argument("--model", default="cifar_resnet56", help="network to time (default cifar_resnet56)")
    parser.add_argument("--steps", type=int, default=50, help="timed steps (default 50)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="untimed steps first: cuDNN autotuning and --compile's compilation (default 10)")
    parser.add_argument("--engine-only", action="store_true", help="skip the conventional loop")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the engine's warm step: GPU kernel and busy time against the "
                             "unprofiled wall time (kernels are counted on CUDA only)")
    parser.add_argument("--json", help="also write the result to this JSON file")
    add_config_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    cfg = run_config(args, model=args.model)
    if args.steps < 1 or args.warmup < 0:
        raise StudyError(f"--steps must be 1 or more and --warmup 0 or more; got {args.steps} and {args.warmup}")
    if args.json:  # checked before the minutes of timing
        if Path(args.json).is_dir():
            raise StudyError(f"--json {args.json} is a folder; give a file name")
        check_writable(Path(args.json).absolute().parent)
    from ..bench import benchmark, describe
    from ..data import dataset_info
    from ..io import write_json

    if not args.engine_only:
        dataset_info(cfg.data.dataset).check_conventional(cfg)
    result = benchmark(cfg, steps=args.steps, warmup=args.warmup, conventional=not args.engine_only,
                       profile=args.profile)
    print(describe(result))
    if args.json:
        Path(args.json).absolute().parent.mkdir(parents=True, exist_ok=True)
        write_json(args.json, result)
