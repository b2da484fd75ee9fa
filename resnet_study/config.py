"""Training configuration: one dataclass, named presets, strict overrides (nanoGPT style).

The comment beside each field is its command-line help; the command line (``cli.flags``) has a
flag for every field, generated from the type hints, and turns strings into typed values before
they reach ``make_config``. This module imports no torch.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import re
import types
import typing
from dataclasses import dataclass, fields

from .errors import StudyError
from .presets import PRESETS


@dataclass
class TrainConfig:
    # Model
    model: str = "cifar_resnet20"  # cifar_resnet<D>, cifar_plain<D> (D = 6n+2), resnet<D>, plain<D>
    shortcut: str | None = None  # A, B or C (section 3.3); none: the family's own, A on CIFAR (section 4.2)
    # Data (section 4.2; ImageFolder subsets: section 3.4)
    dataset: str = "cifar10"  # cifar10, or imagefolder (ImageNet and its subsets)
    data_dir: str = "data"  # CIFAR: the folder holding cifar-10-batches-py/; imagefolder: train/ and val/
    download: bool = True  # fetch CIFAR-10 with torchvision when data_dir lacks it
    holdout: int = 0  # training images kept out for validation; 5000 is the paper's 45k/5k split
    normalize: str = "pixel"  # pixel: per-pixel mean subtraction as the paper; channel: mean/std
    augment: bool = True  # 4-pixel padding, random 32x32 crop, horizontal flip
    image_size: int = 224  # imagefolder: training crop; scale augmentation is scaled by image_size/224
    classes: str | None = None  # imagefolder: wnids to keep (file or commas), e.g. an ImageNet-100 list
    color_augment: bool = True  # imagefolder: AlexNet PCA colour augmentation (section 3.4)
    loader_workers: int = 8  # imagefolder: DataLoader processes decoding JPEGs
    cache: bool = False  # imagefolder: decode every image once into memory, augment in batched tensor ops
    # Optimisation (section 4.2)
    iterations: int = 64_000  # SGD steps
    batch_size: int = 128  # images per step
    lr: float = 0.1  # initial learning rate
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 1e-4  # L2 penalty on every weight
    milestones: tuple[int, ...] = (32_000, 48_000)  # iterations at which the lr is multiplied by gamma
    # The same schedule in epochs, for any training set: when ``epochs`` is set it replaces
    # ``iterations`` and ``epoch_milestones`` replace ``milestones`` (see ``resolved``).
    epochs: float | None = None  # length in epochs of the training set (replaces iterations)
    epoch_milestones: tuple[float, ...] = ()  # lr drops in epochs (replace milestones when epochs is set)
    gamma: float = 0.1  # lr factor at each milestone
    warmup_lr: float = 0.01  # for depth >= warmup_depth: this lr until training error < warmup_error
    warmup_depth: int | None = 110  # none: no warm-up (the paper warms up only CIFAR ResNet-110)
    warmup_error: float = 0.8  # training error that ends the warm-up (section 4.2: about 80%)
    # Run
    preset: str = "paper"  # the preset these values started from (a label, set by make_config)
    seed: int = 0  # initialisation and data order
    log_every: int = 100  # iterations per curves.csv row
    eval_every: int = 1000  # iterations between test-error evaluations
    checkpoint_every: int = 2000  # iterations between checkpoints (a resume restarts from the last)
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    precision: str = "auto"  # auto (bf16 on CUDA >= 8.0 and native-bf16 CPUs, fp16 + scaler on older CUDA, else fp32), bf16, fp16, fp32
    amp: bool = True  # false means fp32 whatever precision says (the switch before precision existed)
    tensorboard: bool = False  # also write TensorBoard scalars into the run folder (pip install tensorboard)
    channels_last: bool = True  # NHWC memory format for the net and its inputs
    compile: bool = False  # torch.compile the model
    compile_mode: str = "default"  # with compile: torch.compile's mode; reduce-overhead: CUDA graphs, one launch a step

    def validate(self) -> "TrainConfig":
        from .data.registry import dataset_info
        from .models import model_info

        info, data = model_info(self.model), dataset_info(self.dataset)  # one sentence for a bad name
        if info.family != data.model_family:
            hint = " (ImageNet nets train with --preset imagenet_subset or imagenet_quick)" if info.family == "imagenet" else ""
            raise StudyError(f"{data.title} takes {data.models} models; got {self.model}{hint}")
        for name in ("iterations", "batch_size", "log_every", "eval_every", "checkpoint_every"):
            if getattr(self, name) <= 0:
                raise StudyError(f"{name.replace('_', '-')} must be a positive integer; got {getattr(self, name)}")
        for name in ("lr", "momentum", "weight_decay", "gamma", "warmup_lr", "warmup_error"):
            if not math.isfinite(getattr(self, name)):
                raise StudyError(f"{name.replace('_', '-')} must be a finite number; got {getattr(self, name)}")
        for name in ("lr", "warmup_lr"):
            if getattr(self, name) <= 0:
                raise StudyError(f"{name.replace('_', '-')} must be positive; got {getattr(self, name)}")
        for name in ("momentum", "weight_decay"):  # torch's SGD rejects negative values with a traceback
            if getattr(self, name) < 0:
                raise StudyError(f"{name.replace('_', '-')} must be 0 or more; got {getattr(self, name)}")
        for name in ("milestones", "epoch_milestones"):
            bad = [m for m in getattr(self, name) if not (math.isfinite(m) and m >= 0)]
            if bad:
                raise StudyError(f"{name.replace('_', '-')} must be finite numbers 0 or more; got {bad[0]}")
        check_device(self.device)
        if self.compile_mode not in COMPILE_MODES:
            raise StudyError(f"compile-mode must be one of {', '.join(COMPILE_MODES)}; got {self.compile_mode!r}")
        if self.compile_mode != "default" and not self.compile:
            raise StudyError(f"compile-mode {self.compile_mode} is a mode of --compile; add --compile")
        if self.precision not in PRECISIONS:
            raise StudyError(f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}")
        if not self.amp and self.precision in ("bf16", "fp16"):
            raise StudyError(f"--no-amp means fp32; drop it to train in {self.precision}")
        if self.tensorboard and importlib.util.find_spec("tensorboard") is None:
            raise StudyError("--tensorboard needs the tensorboard package: pip install 'resnet-study[tensorboard]'")
        if self.image_size <= 0:
            raise StudyError(f"image-size must be a positive integer; got {self.image_size}")
        if self.loader_workers < 0:
            raise StudyError(f"loader-workers must be 0 or more; got {self.loader_workers}")
        if self.dataset == "imagefolder" and self.batch_size < 2 and self.image_size <= 32:
            raise StudyError(f"batch-size 1 cannot train ImageNet nets at image-size {self.image_size}: their last "
                             f"layers see 1x1 maps and batch normalisation needs 2 values per channel")
        if self.normalize not in ("pixel", "channel"):
            raise StudyError(f"normalize must be 'pixel' or 'channel'; got {self.normalize!r}")
        if self.shortcut not in (None, "A", "B", "C"):
            raise StudyError(f"shortcut must be one of A, B, C; got {self.shortcut!r}")
        if self.holdout < 0:
            raise StudyError(f"holdout must be 0 or more; got {self.holdout}")
        if self.epochs is not None and not (math.isfinite(self.epochs) and self.epochs > 0):
            raise StudyError(f"epochs must be a positive finite number; got {self.epochs}")
        return self

    def resolved(self, train_images: int) -> "TrainConfig":
        """This config with an epoch-based schedule turned into iterations of this training set."""
        if self.epochs is None:
            return self
        per_epoch = train_images / min(self.batch_size, train_images)
        return dataclasses.replace(self, iterations=max(1, round(self.epochs * per_epoch)),
                                   milestones=tuple(round(e * per_epoch) for e in self.epoch_milestones))

    @property
    def input_normalization(self) -> str:
        """The normalisation the net's inputs get: the data set's own, else ``normalize``."""
        from .data.registry import dataset_info

        return dataset_info(self.dataset).normalize or self.normalize

    def model_kwargs(self, num_classes: int | None = None) -> dict:
        """``create_model`` options of this run's net: its shortcut option and the data's classes."""
        kwargs = {"shortcut": self.shortcut} if self.shortcut else {}
        return dict(kwargs, num_classes=num_classes) if num_classes else kwargs

    def to_dict(self) -> dict:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


def epochs(iterations: int, batch_size: int, train_images: int) -> float:
    """How many passes over ``train_images`` images ``iterations`` steps of ``batch_size`` make."""
    return iterations * batch_size / train_images


def check_device(name: str) -> None:
    """One sentence unless ``name`` is a device the engine runs on: auto, cpu, cuda, cuda:N or mps."""
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name):
        raise StudyError(f"device must be auto, cpu, cuda[:N] or mps; got {name!r}")


PRECISIONS = ("auto", "bf16", "fp16", "fp32")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")  # torch.compile's
CUDA_GRAPH_MODES = ("reduce-overhead", "max-autotune")  # the modes that capture CUDA graphs
# Keys that were renamed, so that run folders written before still resume: old -> new.
RENAMED = {"workers": "loader_workers"}
# Keys added since run folders were first written, with the value that folders without them meant.
ADDED = {"precision": "auto", "tensorboard": False, "compile_mode": "default"}


def type_name(hint) -> str:
    """``int``, ``float or none``, ``comma-separated ints``: a field's type in words."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    words = [f"comma-separated {typing.get_args(o)[0].__name__}s" if typing.get_origin(o) is tuple else
             "none" if o is type(None) else o.__name__ for o in options]
    return " or ".join(words)


def check_value(value, kind, name: str) -> None:
    """One sentence unless ``value`` (given as a Python value, e.g. from YAML) fits the field's type."""
    options = typing.get_args(kind) if isinstance(kind, types.UnionType) else (kind,)
    for option in options:
        if option is type(None) and value is None:
            return
        if typing.get_origin(option) is tuple and isinstance(value, (list, tuple)) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return
        if option in (int, bool, str) and type(value) is option:
            return
    raise StudyError(f"{name}={value!r} is not a valid {type_name(kind)}")


def to_assignments(cfg: TrainConfig) -> list[str]:
    """``key=value`` strings that ``make_config`` turns back into ``cfg`` (for child processes)."""
    def text(value) -> str:
        if value is None:
            return "none"
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value)
        return str(value).lower() if isinstance(value, bool) else str(value)
    return [f"{key}={text(value)}" for key, value in cfg.to_dict().items()]


def make_config(preset: str = "paper", overrides: dict | None = None) -> TrainConfig:
    """A preset with ``overrides`` (field name -> typed value; the command line converts its
    strings first, ``cli.flags.convert``) applied; one sentence for an unknown key or a wrong type."""
    if not isinstance(preset, str) or preset not in PRESETS:
        raise StudyError(f"unknown preset {preset!r}; presets are {', '.join(PRESETS)}")
    hints = typing.get_type_hints(TrainConfig)
    values = dict(PRESETS[preset], preset=preset)
    given = {}
    for key, value in (overrides or {}).items():
        if not isinstance(key, str):
            raise StudyError(f"config key {key!r} is not a name; keys are {', '.join(hints)}")
        key = key.replace("-", "_")
        if key in RENAMED:
            raise StudyError(f"config key {key!r} is now called {RENAMED[key]!r}")
        if key not in hints:
            raise StudyError(f"unknown config key {key!r}; keys are {', '.join(hints)}")
        if key == "preset" and value != preset:
            raise StudyError(f"preset is a label set by --preset, not a key to override; use --preset {value}")
        check_value(value, hints[key], key)
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
    return dataclasses.replace(TrainConfig(), **{**values, **given})


def saved_config(saved: dict) -> dict:
    """A config dict as a run folder stored it, with today's key names and tuples for lists."""
    renamed = {RENAMED.get(k, k): tuple(v) if isinstance(v, list) else v for k, v in saved.items()}
    return {**ADDED, **renamed}
