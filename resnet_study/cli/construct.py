"""``resnet-study construct``: section 1's constructed solution, built from a trained shallower net,
evaluated beside it and beside the deep net trained from scratch, then trained on (two arms)."""

from __future__ import annotations

import argparse

from .flags import add_config_flags, run_config


def add_parser(sub) -> None:
    parser = sub.add_parser("construct", help="section 1's constructed solution: a trained net deepened with "
                                              "identity layers, evaluated, then trained on")
    parser.add_argument("--model", required=True, help="the deeper net, e.g. cifar_plain56")
    parser.add_argument("--from", dest="source", required=True, help="the trained shallower net, e.g. cifar_plain20")
    parser.add_argument("--weights", required=True, help="the shallower net's weights: a published tag "
                                                         "(wooyeolbaek) or a checkpoint file")
    parser.add_argument("--scratch", help="weights of the deeper net trained from scratch, to compare with "
                                          "(default: the same published tag; with a file, none)")
    parser.add_argument("--out", required=True, help="folder for construct.csv and one run folder per arm")
    parser.add_argument("--seed", type=int, default=0, help="added ResNet convs and data order (default 0)")
    parser.add_argument("--arms", nargs="+", choices=["trained_on", "frozen_bn"], default=["trained_on", "frozen_bn"],
                        help="trained_on (a: plain training on), frozen_bn (b: the added layers' BN statistics "
                             "frozen); default both")
    add_config_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..models.cifar import check_deepening

    check_deepening(args.model, args.source)
    cfg = run_config(args, model=args.model, seed=args.seed)
    from ..training.construct import construct, describe

    table = construct(cfg, args.source, args.weights, args.out, scratch=args.scratch, arms=tuple(args.arms))
    print(describe(table))
    print(f"written: {args.out}/construct.csv, {args.out}/construct.json, {args.out}/curves.csv")
