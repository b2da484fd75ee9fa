"""``resnet-study``: the command line.

Parsing imports no torch, so ``--help``, ``--version`` and bad input answer at once: every
command reads and checks its input here, then loads the code that trains, sweeps, times or
evaluates. Each ``TrainConfig`` field has a flag, generated from its type hint and comment.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import StudyError
from ..io import write_error
from . import bench, construct, evaluate, models, status, sweep, train, weights

# One module per command, each with ``add_parser(subparsers)``; a new command is a module and an entry.
COMMANDS = [models, train, bench, sweep, status, evaluate, weights, construct]


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors (``--seed x``, a missing ``--model``) in one line, without the usage
    (``train``'s alone runs to twenty lines); exit status 2 as argparse's."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _SubParser(OneLineParser):
    def __init__(self, *args, **kwargs) -> None:  # no prefix matching: --seed is not --seeds
        super().__init__(*args, **dict(kwargs, allow_abbrev=False))


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="resnet-study", description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_SubParser)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except StudyError as err:  # bad input: one sentence
        print(f"resnet-study {args.command}: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a write the file system refused where no ``io.writing`` named the file
        print(f"resnet-study {args.command}: {write_error(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"resnet-study {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return int(result or 0)

