"""``resnet-study status OUT``: where a sweep stands, one row per run, without changing its folder."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    parser = sub.add_parser("status", help="where a sweep stands, one row per run; changes nothing unless --write")
    parser.add_argument("out", help="the sweep folder (a sweep's --out)")
    parser.add_argument("--write", action="store_true",
                        help="also rebuild OUT/runs.csv and every run's curves.csv (and gradients.csv, responses.csv) "
                             "stacked, from the run folders, atomically; without it status writes nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..sweep.spec import saved_sweep
    from ..sweep.status import status_line, status_table

    sweep = saved_sweep(args.out)
    table = status_table(sweep)
    shown = table.astype(object).map(lambda v: "-" if v is None or pd.isna(v) else f"{v:.4g}" if isinstance(v, float)
                                     else v)
    print(shown.to_string(index=False))
    print(status_line(table, sweep.name))
    if args.write:
        from ..sweep.tables import write_tables

        print("tables: " + ", ".join(str(Path(sweep.out) / name) for name in write_tables(sweep)))
    return 0
