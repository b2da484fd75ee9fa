"""``resnet-study evaluate`` (test error and Fig. 7 responses of a trained checkpoint) and
``resnet-study responses`` (Fig. 7 of one of our run folders)."""

from __future__ import annotations

import argparse

from ..data.registry import NORMALIZATIONS
from ..errors import StudyError


def add_parser(sub) -> None:
    responses = sub.add_parser("responses", help="layer responses (Fig. 7) of a finished run")
    responses.add_argument("--run", required=True, help="a run folder, e.g. runs/cifar-quick/runs/cifar_plain56-s0")
    responses.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    responses.set_defaults(func=run_responses)

    evaluate = sub.add_parser("evaluate", help="test error and layer responses (Fig. 7) of a trained checkpoint")
    evaluate.add_argument("--model", help="e.g. cifar_resnet56")
    evaluate.add_argument("--weights", help="a published tag (akamaster, wooyeolbaek), a run's checkpoint.pt or a "
                                            "state dict in a layout we know (see README, Published checkpoints)")
    evaluate.add_argument("--published", help="akamaster, wooyeolbaek or all: every net of the source in torch.hub's "
                                              "cache, into --out with published.csv and responses.csv")
    evaluate.add_argument("--data-dir", required=True, help="folder holding cifar-10-batches-py/")
    evaluate.add_argument("--out", help="folder for evaluation.json and responses.csv "
                                        "(default: evaluations/<model>-<sha256 prefix>)")
    evaluate.add_argument("--normalize", choices=NORMALIZATIONS,
                          help="input normalisation (default: the weights' own: their published entry's, our "
                               "checkpoint's statistics)")
    evaluate.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    evaluate.set_defaults(func=run_evaluate)


def run_responses(args: argparse.Namespace) -> None:
    from ..training.evaluate import run_responses

    frame = run_responses(args.run, device=args.device)
    print(frame.to_string(index=False))
    print(f"written: {args.run}/responses.csv")


def run_evaluate(args: argparse.Namespace) -> None:
    from ..models import model_info

    if args.published:
        run_published(args)
        return
    if not (args.model and args.weights):
        raise StudyError("evaluate needs --model and --weights (a file or a published tag), or --published")
    if model_info(args.model).family != "cifar":
        raise StudyError(f"evaluate takes CIFAR nets (cifar_resnet<D>, cifar_plain<D>); got {args.model}")
    from ..training.evaluate import describe, evaluate

    result = evaluate(args.model, args.weights, args.data_dir, args.out, normalize=args.normalize,
                      device=args.device)
    print(describe(result))
    print(f"written: {result['out']}/evaluation.json, {result['out']}/responses.csv")


def run_published(args: argparse.Namespace) -> None:
    if args.model or args.weights:
        raise StudyError("evaluate takes --published or --model with --weights, not both")
    if not args.out:
        raise StudyError("evaluate --published needs --out, the folder for published.csv and responses.csv")
    from ..training.published import evaluate_published

    evaluate_published(args.published, args.data_dir, args.out, normalize=args.normalize, device=args.device)
    print(f"written: {args.out}/published.csv, {args.out}/responses.csv, {args.out}/<net>.<tag>/evaluation.json")
