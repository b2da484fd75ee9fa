"""``resnet-study train``: one network into a run folder; rerunning resumes or skips it."""

from __future__ import annotations

import argparse

from .flags import add_config_flags, run_config


def add_parser(sub) -> None:
    parser = sub.add_parser("train", help="train one network; rerunning the command resumes or skips it")
    parser.add_argument("--model", required=True, help="e.g. cifar_plain56 or cifar_resnet110")
    parser.add_argument("--out", required=True, help="run folder; rerunning resumes or skips")
    parser.add_argument("--seed", type=int, default=0, help="initialisation and data order (default 0)")
    add_config_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = run_config(args, model=args.model, seed=args.seed)
    from ..training.loop import train

    return 0 if train(cfg, args.out)["status"] == "done" else 1
