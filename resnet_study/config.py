"""Training configuration: one dataclass, named presets, strict overrides (nanoGPT style)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

from .errors import StudyError


@dataclass
class TrainConfig:
    # Model
    model: str = "cifar_resnet20"
    shortcut: str | None = None  # None: the family's default, "A" on CIFAR (section 4.2)
    # Data (section 4.2)
    data_dir: str = "data"
    download: bool = True  # fetch CIFAR-10 with torchvision when data_dir lacks it
    holdout: int = 0  # training images kept out for validation; 5000 is the paper's 45k/5k split
    normalize: str = "pixel"  # "pixel": per-pixel mean subtraction as the paper; "channel": mean/std
    augment: bool = True  # 4-pixel padding, random 32x32 crop, horizontal flip
    # Optimisation (section 4.2)
    iterations: int = 64_000
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    milestones: tuple[int, ...] = (32_000, 48_000)  # lr divided by 10 at each
    gamma: float = 0.1
    warmup_lr: float = 0.01  # for depth >= warmup_depth: this lr until training error < warmup_error
    warmup_depth: int = 110
    warmup_error: float = 0.8
    # Run
    preset: str = "paper"  # the preset these values started from (a label, set by make_config)
    seed: int = 0
    log_every: int = 100  # iterations per curves.csv row
    eval_every: int = 1000  # iterations between test-error evaluations
    checkpoint_every: int = 2000
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", ...
    amp: bool = True  # bf16 autocast on CUDA (ignored on CPU)
    channels_last: bool = True  # on CUDA
    compile: bool = False  # torch.compile the model

    def validate(self) -> "TrainConfig":
        from .models import model_info

        model_info(self.model)  # ValueError stating the naming rule
        info = model_info(self.model)
        if info.family != "cifar":
            raise StudyError(f"the CIFAR-10 trainer takes cifar_resnet<D> or cifar_plain<D> models; got {self.model}")
        for name in ("iterations", "batch_size", "log_every", "eval_every", "checkpoint_every"):
            if getattr(self, name) <= 0:
                raise StudyError(f"{name.replace('_', '-')} must be a positive integer; got {getattr(self, name)}")
        if self.lr <= 0:
            raise StudyError(f"lr must be positive; got {self.lr}")
        if self.normalize not in ("pixel", "channel"):
            raise StudyError(f"normalize must be 'pixel' or 'channel'; got {self.normalize!r}")
        if self.shortcut not in (None, "A", "B", "C"):
            raise StudyError(f"shortcut must be one of A, B, C; got {self.shortcut!r}")
        if self.holdout < 0:
            raise StudyError(f"holdout must be 0 or more; got {self.holdout}")
        return self

    def to_dict(self) -> dict:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


# The "quick" preset keeps the paper's shape (SGD 0.9, wd 1e-4, batch 128, lr 0.1 divided by 10
# twice, at 50% and 75% of training) on fewer iterations, so plain-20/56 and ResNet-20/56 show the
# degradation on the 5,170-image CIFAR subset in minutes on 2 CPU cores. Measured in
# results/quick_preset.md.
PRESETS: dict[str, dict] = {
    "paper": {},
    "quick": dict(iterations=500, milestones=(250, 375), log_every=25, eval_every=100,
                  checkpoint_every=100),
}


def _convert(text: str, kind, name: str):
    try:
        if kind in (bool, "bool"):
            lowered = text.lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError
            return lowered in ("1", "true", "yes")
        if kind in (int, "int"):
            return int(text)
        if kind in (float, "float"):
            return float(text)
        if "tuple" in str(kind):
            return tuple(int(v) for v in text.split(",") if v.strip())
        if "None" in str(kind) and text.lower() in ("none", ""):
            return None
        return text
    except ValueError:
        raise StudyError(f"{name}={text!r} is not a valid {kind}") from None


def make_config(preset: str = "paper", overrides: dict | None = None) -> TrainConfig:
    """A preset with ``overrides`` (field name -> value, or -> string to convert) applied."""
    if preset not in PRESETS:
        raise StudyError(f"unknown preset {preset!r}; presets are {', '.join(PRESETS)}")
    types = {f.name: f.type for f in fields(TrainConfig)}
    values = dict(PRESETS[preset], preset=preset)
    for key, value in (overrides or {}).items():
        key = key.replace("-", "_")
        if key not in types:
            raise StudyError(f"unknown config key {key!r}; keys are {', '.join(types)}")
        values[key] = _convert(value, types[key], key) if isinstance(value, str) else value
    return dataclasses.replace(TrainConfig(), **values)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["lr=0.05", "milestones=100,200"]`` -> ``{"lr": "0.05", "milestones": "100,200"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise StudyError(f"--set takes key=value pairs; got {item!r}")
        out[key.strip()] = value.strip()
    return out
