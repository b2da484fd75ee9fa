"""``resnet-study weights``: the published weights we know, and which are in torch.hub's cache."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    weights = sub.add_parser("weights", help="published weights: net, tag, source, stated error, cached or not")
    weights.add_argument("--tag", help="akamaster or wooyeolbaek (default: both)")
    weights.set_defaults(func=run_weights)


def weights_table(tag: str | None = None):
    """One row per published file: net, tag, source, stated test error (%), cached, and where."""
    import pandas as pd

    from ..models import cache_path, is_cached, list_weights

    return pd.DataFrame([{
        "net": e.model, "tag": e.tag, "source": e.source,
        "stated_error": "-" if e.stated_error is None else f"{e.stated_error:.2f}%",
        "cached": "yes" if is_cached(e) else "no",
        "file": str(cache_path(e)) if is_cached(e) else e.url,
    } for e in list_weights(tag=tag)])


def run_weights(args: argparse.Namespace) -> None:
    print(weights_table(args.tag).to_string(index=False))
