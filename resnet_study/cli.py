"""``resnet-study``: the command line. Each subcommand lives beside the code it runs."""

from __future__ import annotations

import argparse
import errno
import sys

from .io import disk_full_error


def _models(args: argparse.Namespace) -> None:
    import pandas as pd

    from .models import describe, list_models

    names = args.names.split(",") if args.names else list_models()
    rows = [describe(name.strip()) for name in names if name.strip()]
    table = pd.DataFrame(rows)
    table["parameters"] = table["parameters"].map("{:,}".format)
    table["macs"] = table["macs"].map(lambda m: f"{m / 1e9:.2f} G" if m >= 1e9 else f"{m / 1e6:.1f} M")
    print(table.rename(columns={"macs": "MACs"}).to_string(index=False))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resnet-study", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="list networks with parameter and multiply-add counts")
    models.add_argument("--names", help="comma-separated model names (default: the paper's networks)")
    models.set_defaults(func=_models)

    from . import analysis, bench, engine, evaluate, sweep  # each adds its own subcommand

    engine.add_train_parser(sub)
    bench.add_bench_parser(sub)
    sweep.add_sweep_parser(sub)
    analysis.add_responses_parser(sub)
    evaluate.add_evaluate_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except ValueError as err:  # StudyError, and bad model names, carry one sentence
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
