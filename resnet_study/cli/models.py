"""``resnet-study models``: the paper's networks with parameter and multiply-add counts."""

from __future__ import annotations

import argparse

from ..errors import StudyError


def add_parser(sub) -> None:
    parser = sub.add_parser("models", help="list networks with parameter and multiply-add counts")
    parser.add_argument("--names", help="comma-separated model names (default: the paper's networks)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    import pandas as pd

    from ..models import list_models, model_info

    names = [n.strip() for n in args.names.split(",") if n.strip()] if args.names else list_models()
    if not names:
        raise StudyError(f"--names takes comma-separated model names, e.g. cifar_plain20,cifar_resnet20; "
                         f"got {args.names!r}")
    for name in names:
        model_info(name)  # a bad name is one sentence before any net is built
    from ..models import describe

    table = pd.DataFrame([describe(name) for name in names])
    table["parameters"] = table["parameters"].map("{:,}".format)
    table["macs"] = table["macs"].map(lambda m: f"{m / 1e9:.2f} G" if m >= 1e9 else f"{m / 1e6:.1f} M")
    print(table.rename(columns={"macs": "MACs"}).to_string(index=False))
