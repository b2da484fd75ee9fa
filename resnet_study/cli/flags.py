"""Recipe flags: ``--preset``, a flag for every config key (from its type hint and comment),
``--model-option KEY=VALUE``, ``--set KEY=VALUE`` and ``--config-json FILE``; command-line strings
become typed values here, so that the layers below only ever see typed values."""

from __future__ import annotations

import argparse
import inspect
import re

from ..config import (KEYS, LEGACY, PRESETS, RENAMED, SECTIONS, TrainConfig, key_default, key_type, make_config,
                      option_value, parse_pairs, parse_text, read_config_file, type_name)

# Keys that commands set with their own flags (train --model, sweep --models) or that label a run,
# and the model's options, which --model-option sets.
OWN_FLAGS = {"model", "seed", "preset", "model_options"}


def flag_keys() -> dict:
    """Each key with a flag of its own: key -> (type hint, paper value); the legacy keys last."""
    keys = {k: (key_type(k), key_default(k)) for k in KEYS if k not in OWN_FLAGS}
    return {**keys, **{k: (hint, None if k == "shortcut" else True) for k, (hint, _) in LEGACY.items()}}


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """``--preset``, a flag for every other key, ``--model-option``, ``--set`` and ``--config-json``."""
    group = parser.add_argument_group(
        "recipe", "A preset's values, changed by the flags given. [brackets]: the type and the paper "
                  "preset's value; other presets set some differently (see README's presets table).")
    group.add_argument("--preset", choices=list(PRESETS),
                       help="recipe preset (default: paper, or the sweep file's)")
    helps = field_help()
    for key, (hint, default) in flag_keys().items():
        flag = "--" + key.replace("_", "-")
        text = f"{helps.get(key, '')} [{type_name(hint)}; paper: {_shown(default)}]".replace("%", "%%")
        if hint is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=text)
        else:  # kept as text: converted by the type hint below, with one sentence when it can't be
            group.add_argument(flag, default=argparse.SUPPRESS, metavar=key.upper(), help=text)
    group.add_argument("--model-option", nargs="+", default=[], metavar="KEY=VALUE",
                       help="options passed to the net's builder unchanged, e.g. --model-option shortcut=B pad=both")
    group.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                       help="override fields as key=value pairs, e.g. --set momentum=0.9 milestones=300,450")
    group.add_argument("--config-json", metavar="FILE", default=None,
                       help="start from this config (a run's config.json, or a bare config) instead of a preset")


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "empty"
    return str(value).lower() if isinstance(value, bool) else str(value)


def config_overrides(args: argparse.Namespace) -> dict:
    """The keys given with ``--set``, ``--model-option`` or their own flags (a flag wins over
    ``--set``), typed."""
    overrides = parse_pairs(args.set)
    overrides.update({k: getattr(args, k) for k in flag_keys() if hasattr(args, k)})
    typed = convert(overrides)
    options = {k: option_value(v) for k, v in parse_pairs(args.model_option, "--model-option").items()}
    if options:
        typed["model_options"] = {**typed.get("model_options", {}), **options}
    return typed


def run_config(args: argparse.Namespace, **fixed) -> TrainConfig:
    """The checked config of one run: ``--config-json`` or ``--preset``, then the flags, then ``fixed`` keys."""
    overrides = {**config_overrides(args), **fixed}
    if getattr(args, "config_json", None):
        base = read_config_file(args.config_json).to_dict()
        options = {**base["model_options"], **overrides.pop("model_options", {})}
        return make_config(base["preset"], {**base, **overrides, "model_options": options}).validate()
    return make_config(args.preset or "paper", overrides).validate()


def field_help() -> dict[str, str]:
    """Each field's comment in the config's class bodies: the command line shows it as the flag's help."""
    helps = {k: text for k, (_, text) in LEGACY.items()}
    for kind in SECTIONS.values():
        try:
            source = inspect.getsource(kind)
        except OSError:  # no source (a frozen install): flags without help
            return helps
        helps.update(re.findall(r"^    (\w+): .*?  # (.*)$", source, re.MULTILINE))
    return helps


def convert(overrides: dict) -> dict:
    """String values as their keys' types (``"0.05"`` -> 0.05, ``"100,200"`` -> (100, 200));
    unknown keys pass through for ``make_config`` to refuse."""
    hints = {k: hint for k, (hint, _) in flag_keys().items()} | {"model": str}
    typed = {}
    for key, value in overrides.items():
        name = RENAMED.get(key.replace("-", "_"), key.replace("-", "_"))
        typed[key] = parse_text(value, hints[name], name) if isinstance(value, str) and name in hints else value
    return typed
