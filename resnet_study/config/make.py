"""Configs from presets and overrides, and from what run folders saved: one ``migrate`` turns
every older key into today's, so that run folders written before still load and resume."""

from __future__ import annotations

from ..errors import StudyError
from ..io import read_json
from ..presets import PRESETS
from .schema import KEYS, TrainConfig, key_type
from .values import check_value

# Keys that were renamed: old -> new. A user who types the old name is told the new one.
RENAMED = {"workers": "loader_workers"}
# Keys added since run folders were first written, with the value that folders without them meant.
ADDED = {"precision": "auto", "tensorboard": False, "model_options": {}, "compile_mode": "default"}
# Keys that still work but mean something said in today's keys (see ``migrate``): key -> (type, help).
LEGACY = {
    "shortcut": (str | None, "A, B or C (section 3.3); none: the family's own, A on CIFAR (section 4.2)"),
    "amp": (bool, "false means fp32 whatever precision says (the switch before precision existed)"),
}


def migrate(values: dict, *, saved: bool = False) -> dict:
    """``values`` (flat keys) in today's keys: ``shortcut`` becomes a model option, ``amp: false``
    becomes ``precision: fp32``; ``saved``: a run folder's, so renamed keys are renamed and keys
    added since take the value they meant (a user is told the new name instead)."""
    out = {}
    for key, value in values.items():
        key = key.replace("-", "_") if isinstance(key, str) else key
        if key in RENAMED and saved:
            key = RENAMED[key]
        out[key] = value
    if saved:
        out = {**ADDED, **out}
    if "shortcut" in out:
        shortcut = out.pop("shortcut")
        check_value(shortcut, LEGACY["shortcut"][0], "shortcut")
        options = dict(out.get("model_options") or {})
        out["model_options"] = {**options, "shortcut": shortcut} if shortcut else options
    if "amp" in out:
        amp = out.pop("amp")
        check_value(amp, bool, "amp")
        precision = out.get("precision", "auto")
        if not amp and precision in ("bf16", "fp16"):
            raise StudyError(f"--no-amp means fp32; drop it to train in {precision}")
        if not amp:
            out["precision"] = "fp32"
    return out


def make_config(preset: str = "paper", overrides: dict | None = None) -> TrainConfig:
    """A preset with ``overrides`` (flat key -> typed value; the command line converts its
    strings first, ``cli.flags.convert``) applied; one sentence for an unknown key or a wrong type."""
    if not isinstance(preset, str) or preset not in PRESETS:
        raise StudyError(f"unknown preset {preset!r}; presets are {', '.join(PRESETS)}")
    values = dict(PRESETS[preset], preset=preset)
    for key in (overrides or {}):
        if not isinstance(key, str):
            raise StudyError(f"config key {key!r} is not a name; keys are {', '.join(KEYS)}")
        if key.replace("-", "_") in RENAMED:
            raise StudyError(f"config key {key!r} is now called {RENAMED[key.replace('-', '_')]!r}")
    given = migrate(overrides or {})
    for key, value in given.items():
        if key not in KEYS:
            raise StudyError(f"unknown config key {key!r}; keys are {', '.join(KEYS)}")
        if key == "preset" and value != preset:
            raise StudyError(f"preset is a label set by --preset, not a key to override; use --preset {value}")
        check_value(value, key_type(key), key)
        given[key] = tuple(value) if isinstance(value, list) else value
    epochs = values.get("epochs")
    if epochs and "epochs" not in given:
        if "iterations" in given and "milestones" not in given:
            # An iteration count replaces the preset's epochs; the lr drops keep their place in the run.
            given["milestones"] = tuple(round(m / epochs * given["iterations"]) for m in values["epoch_milestones"])
        if "iterations" in given:
            given["epochs"] = None
        elif "milestones" in given:
            raise StudyError(f"preset {preset!r} counts in epochs: set epoch_milestones=, or iterations= with "
                             f"milestones=")
    return TrainConfig.from_flat({**values, **given})


def saved_config(saved: dict) -> dict:
    """A config dict as a run folder or checkpoint stored it, in today's flat keys, tuples for lists."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in migrate(saved, saved=True).items()}


def config_from_saved(saved: dict, **changes) -> TrainConfig:
    """The config a run folder saved (any age), with flat keys ``changes``; one sentence for a value
    or key that is no config's."""
    values = {**saved_config(saved), **changes}
    return make_config(values.get("preset", "paper"), values)


def read_config_file(path) -> TrainConfig:
    """A config from a JSON file: a run folder's ``config.json`` (its ``config`` entry) or a bare
    config; this is how a torchrun child gets its run's config. One sentence for a bad file."""
    saved = read_json(path)
    if saved is None:
        raise StudyError(f"{path} does not exist")
    config = saved.get("config", saved) if isinstance(saved, dict) else None
    if not isinstance(config, dict):
        raise StudyError(f"{path} holds no config")
    try:
        return config_from_saved(config)
    except StudyError as err:
        raise StudyError(f"{path}: {err}") from None
