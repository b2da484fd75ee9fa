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


def estimate(cfg, source: str, arms: int, scratch: bool) -> str:
    """One sentence: how long ``construct`` takes here, from timed training steps of the deeper net.
    Its work: ``arms`` trainings, and forward passes of the shallow net, the built net, the net
    trained from scratch (``scratch``) and each trained arm over the training and eval images."""
    import dataclasses

    from ..bench import training_flops_per_image
    from ..estimate import duration, estimate_training

    training = estimate_training([cfg] * arms)
    images = training.train_images + training.eval_images
    shallow = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, name=source))
    seconds = (training.seconds + training.forward_seconds(images, training_flops_per_image(shallow))
               + training.forward_seconds(images * (1 + scratch + arms), training_flops_per_image(cfg)))
    return (f"{arms} arm{'s' if arms > 1 else ''} of {cfg.optim.iterations:,} iterations and the evaluations "
            f"would take about {duration(seconds)} here ({training.measured()})")


def run(args: argparse.Namespace) -> None:
    from ..models.cifar import check_deepening

    check_deepening(args.model, args.source)
    cfg = run_config(args, model=args.model, seed=args.seed)
    from ..training.construct import Construction, describe
    from ..training.device import resolve_device

    construction = Construction(cfg, args.source, args.weights, args.out, scratch=args.scratch, arms=tuple(args.arms))
    if resolve_device(cfg.run.device).type == "cpu":  # a CPU run says how long it takes before it starts
        print(f"note: {estimate(cfg, args.source, len(args.arms), construction.scratch is not None)}", flush=True)
    table = construction.run()
    print(describe(table))
    print(f"written: {args.out}/construct.csv, {args.out}/construct.json, {args.out}/curves.csv")
