"""Recipe flags: ``--preset``, a flag for every ``TrainConfig`` field (from its type hint and
comment) and ``--set KEY=VALUE``; command-line strings become typed values here, so that the
layers below only ever see typed values."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing

from ..config import RENAMED, PRESETS, TrainConfig, make_config, type_name
from ..errors import StudyError

# Fields that commands set with their own flags (train --model, sweep --models) or that label a run.
OWN_FLAGS = {"model", "seed", "preset"}


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """``--preset``, a flag for every other ``TrainConfig`` field, and ``--set KEY=VALUE``."""
    group = parser.add_argument_group(
        "recipe", "A preset's values, changed by the flags given. [brackets]: the type and the paper "
                  "preset's value; other presets set some differently (see README's presets table).")
    group.add_argument("--preset", choices=list(PRESETS),
                       help="recipe preset (default: paper, or the sweep file's)")
    hints, helps = typing.get_type_hints(TrainConfig), field_help()
    for field in dataclasses.fields(TrainConfig):
        if field.name in OWN_FLAGS:
            continue
        flag, hint = "--" + field.name.replace("_", "-"), hints[field.name]
        text = f"{helps.get(field.name, '')} [{type_name(hint)}; paper: {_shown(field.default)}]".replace("%", "%%")
        if hint is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=text)
        else:  # kept as text: converted by the type hint below, with one sentence when it can't be
            group.add_argument(flag, default=argparse.SUPPRESS, metavar=field.name.upper(), help=text)
    group.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                       help="override fields as key=value pairs, e.g. --set momentum=0.9 milestones=300,450")


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "empty"
    return str(value).lower() if isinstance(value, bool) else str(value)


def config_overrides(args: argparse.Namespace) -> dict:
    """The fields given with ``--set`` or their own flags (a flag wins over ``--set``), typed."""
    overrides = parse_assignments(args.set)
    overrides.update({f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                      if f.name not in OWN_FLAGS and hasattr(args, f.name)})
    return convert(overrides)


def run_config(args: argparse.Namespace, **fixed) -> TrainConfig:
    """The checked config of one run: ``--preset``, then the flags, then ``fixed`` fields."""
    return make_config(args.preset or "paper", {**config_overrides(args), **fixed}).validate()


def field_help() -> dict[str, str]:
    """Each field's comment in TrainConfig's class body: the command line shows it as the flag's help."""
    try:
        source = inspect.getsource(TrainConfig)
    except OSError:  # no source (a frozen install): flags without help
        return {}
    return dict(re.findall(r"^    (\w+): .*?  # (.*)$", source, re.MULTILINE))


def convert(overrides: dict) -> dict:
    """String values as their fields' types (``"0.05"`` -> 0.05, ``"100,200"`` -> (100, 200));
    unknown keys pass through for ``make_config`` to refuse."""
    hints = typing.get_type_hints(TrainConfig)
    typed = {}
    for key, value in overrides.items():
        name = RENAMED.get(key.replace("-", "_"), key.replace("-", "_"))
        typed[key] = _convert(value, hints[name], name) if isinstance(value, str) and name in hints else value
    return typed


def _convert(text: str, hint, name: str):
    """A command-line string as the field's type, read from its type hint."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if type(None) in options and text.lower() in ("none", "null", ""):
        return None
    kind = next(o for o in options if o is not type(None))
    try:
        if kind is bool:
            if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError
            return text.lower() in ("1", "true", "yes")
        if typing.get_origin(kind) is tuple:
            item = typing.get_args(kind)[0]
            return tuple(item(v) for v in text.split(",") if v.strip())
        return kind(text)
    except ValueError:
        raise StudyError(f"{name}={text!r} is not a valid {type_name(hint)}") from None


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["lr=0.05", "milestones=100,200"]`` -> ``{"lr": "0.05", "milestones": "100,200"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise StudyError(f"--set takes key=value pairs; got {item!r}")
        out[key.strip()] = value.strip()
    return out
