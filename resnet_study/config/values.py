"""The value types of config fields: closed sets as ``Literal``, and the checks and words that
the command line, YAML files and saved configs share. Imports no torch."""

from __future__ import annotations

import re
import types
import typing
from typing import Literal

from ..errors import StudyError

Normalize = Literal["pixel", "channel"]
Precision = Literal["auto", "bf16", "fp16", "fp32"]
PRECISIONS = typing.get_args(Precision)
CompileMode = Literal["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"]  # torch.compile's
CUDA_GRAPH_MODES = ("reduce-overhead", "max-autotune")  # the modes that capture CUDA graphs


def epochs(iterations: int, batch_size: int, train_images: int) -> float:
    """How many passes over ``train_images`` images ``iterations`` steps of ``batch_size`` make."""
    return iterations * batch_size / train_images


def check_device(name: str) -> None:
    """One sentence unless ``name`` is a device the engine runs on: auto, cpu, cuda, cuda:N or mps."""
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name):
        raise StudyError(f"device must be auto, cpu, cuda[:N] or mps; got {name!r}")


def _options(hint) -> tuple:
    return typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)


def type_name(hint) -> str:
    """``int``, ``float or none``, ``comma-separated ints``, ``A, B or C``: a field's type in words."""
    words = []
    for option in _options(hint):
        if typing.get_origin(option) is Literal:
            values = typing.get_args(option)
            words.append(", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else values[0])
        elif typing.get_origin(option) is tuple:
            words.append(f"comma-separated {typing.get_args(option)[0].__name__}s")
        elif typing.get_origin(option) is dict or option is dict:
            words.append("KEY=VALUE pairs")
        else:
            words.append("none" if option is type(None) else option.__name__)
    return " or ".join(words)


def check_value(value, kind, name: str) -> None:
    """One sentence unless ``value`` (given as a Python value, e.g. from YAML) fits the field's type."""
    for option in _options(kind):
        if option is type(None) and value is None:
            return
        if typing.get_origin(option) is Literal:
            if value in typing.get_args(option):
                return
            if type(None) not in _options(kind):
                raise StudyError(f"{name} must be one of {', '.join(typing.get_args(option))}; got {value!r}")
        if typing.get_origin(option) is tuple and isinstance(value, (list, tuple)) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return
        if (typing.get_origin(option) is dict or option is dict) and isinstance(value, dict) and all(
                isinstance(k, str) for k in value):
            return
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return
        if option in (int, bool, str) and type(value) is option:
            return
    raise StudyError(f"{name}={value!r} is not a valid {type_name(kind)}")


def parse_text(text: str, hint, name: str):
    """A command-line string as the field's type, read from its type hint; one sentence when it can't be."""
    options = _options(hint)
    if type(None) in options and text.lower() in ("none", "null", ""):
        return None
    kind = next(o for o in options if o is not type(None))
    if typing.get_origin(kind) is Literal:
        check_value(text, kind, name)
        return text
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


def option_value(text: str):
    """A model option's value as written after ``--model-option KEY=``: none, a bool, an int, a float
    or else the text (``B``, ``both``), so that options pass to ``create_model`` typed."""
    lower = text.strip().lower()
    if lower in ("none", "null"):
        return None
    if lower in ("true", "false"):
        return lower == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_pairs(items: list[str], flag: str = "--set") -> dict[str, str]:
    """``["lr=0.05", "milestones=100,200"]`` -> ``{"lr": "0.05", "milestones": "100,200"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise StudyError(f"{flag} takes key=value pairs; got {item!r}")
        out[key.strip()] = value.strip()
    return out
