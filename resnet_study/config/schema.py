"""Training configuration by concern (nanoGPT style): the model, the data, the optimisation, the run.

The comment beside each field is its command-line help; ``KEYS`` names every field by one flat key
(``lr``, ``data_dir``), which ``--set``, YAML sweep files, presets and ``config.json`` use, and
the command line (``cli.flags``) has a flag for every key. This module imports no torch.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import typing
from dataclasses import dataclass, field, fields

from ..errors import StudyError
from .values import CompileMode, Normalize, Precision, check_device


@dataclass(frozen=True)
class ModelConfig:
    name: str = "cifar_resnet20"  # cifar_resnet<D>, cifar_plain<D> (D = 6n+2), resnet<D>, plain<D>
    options: dict = field(default_factory=dict)  # create_model options, passed unchanged (e.g. shortcut, pad)

    def kwargs(self, num_classes: int | None = None) -> dict:
        """``create_model`` options of this run's net: its options and the data's classes."""
        return dict(self.options, num_classes=num_classes) if num_classes else dict(self.options)


@dataclass(frozen=True)
class DataConfig:
    # Section 4.2; ImageFolder subsets: section 3.4
    dataset: str = "cifar10"  # cifar10, or imagefolder (ImageNet and its subsets)
    data_dir: str = "data"  # CIFAR: the folder holding cifar-10-batches-py/; imagefolder: train/ and val/
    download: bool = True  # fetch CIFAR-10 with torchvision when data_dir lacks it
    holdout: int = 0  # training images kept out for validation; 5000 is the paper's 45k/5k split
    normalize: Normalize = "pixel"  # pixel: per-pixel mean subtraction as the paper; channel: mean/std
    augment: bool = True  # 4-pixel padding, random 32x32 crop, horizontal flip
    image_size: int = 224  # imagefolder: training crop; scale augmentation is scaled by image_size/224
    classes: str | None = None  # imagefolder: wnids to keep (file or commas), e.g. an ImageNet-100 list
    color_augment: bool = True  # imagefolder: AlexNet PCA colour augmentation (section 3.4)
    loader_workers: int = 8  # imagefolder: DataLoader processes decoding JPEGs
    cache: bool = False  # imagefolder: decode every image once into memory, augment in batched tensor ops

    @property
    def input_normalization(self) -> str:
        """The normalisation the net's inputs get: the data set's own, else ``normalize``."""
        from ..data.registry import dataset_info

        return dataset_info(self.dataset).normalize or self.normalize


@dataclass(frozen=True)
class OptimConfig:
    # Section 4.2
    iterations: int = 64_000  # SGD steps
    batch_size: int = 128  # images per step
    lr: float = 0.1  # initial learning rate
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 1e-4  # L2 penalty on every weight
    milestones: tuple[int, ...] = (32_000, 48_000)  # iterations at which the lr is multiplied by gamma
    # The same schedule in epochs, for any training set: when ``epochs`` is set it replaces
    # ``iterations`` and ``epoch_milestones`` replace ``milestones`` (see ``TrainConfig.resolved``).
    epochs: float | None = None  # length in epochs of the training set (replaces iterations)
    epoch_milestones: tuple[float, ...] = ()  # lr drops in epochs (replace milestones when epochs is set)
    gamma: float = 0.1  # lr factor at each milestone
    warmup_lr: float = 0.01  # for depth >= warmup_depth: this lr until training error < warmup_error
    warmup_depth: int | None = 110  # none: no warm-up (the paper warms up only CIFAR ResNet-110)
    warmup_error: float = 0.8  # training error that ends the warm-up (section 4.2: about 80%)


@dataclass(frozen=True)
class RunConfig:
    preset: str = "paper"  # the preset these values started from (a label, set by make_config)
    seed: int = 0  # initialisation and data order
    log_every: int = 100  # iterations per curves.csv row
    eval_every: int = 1000  # iterations between test-error evaluations
    checkpoint_every: int = 2000  # iterations between checkpoints (a resume restarts from the last)
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    # auto: bf16 on CUDA >= 8.0 and native-bf16 CPUs, fp16 + scaler on older CUDA, else fp32
    precision: Precision = "auto"  # auto, bf16, fp16 or fp32 (auto: the device's fastest that trains)
    tensorboard: bool = False  # also write TensorBoard scalars into the run folder (pip install tensorboard)
    channels_last: bool = True  # NHWC memory format for the net and its inputs
    compile: bool = False  # torch.compile the model
    compile_mode: CompileMode = "default"  # with compile: torch.compile's mode; reduce-overhead: CUDA graphs


SECTIONS = {"model": ModelConfig, "data": DataConfig, "optim": OptimConfig, "run": RunConfig}
# Flat key -> (section, field): the names --set, YAML, presets and config.json use.
KEYS: dict[str, tuple[str, str]] = {"model": ("model", "name"), "model_options": ("model", "options"),
                                    **{f.name: (s, f.name) for s, kind in list(SECTIONS.items())[1:]
                                       for f in fields(kind)}}


def key_type(key: str):
    """The type hint of a flat key's field."""
    section, name = KEYS[key]
    return typing.get_type_hints(SECTIONS[section])[name]


def key_default(key: str):
    """A flat key's value when no preset or override sets it (the paper's, section 4.2)."""
    section, name = KEYS[key]
    return getattr(SECTIONS[section](), name)


@dataclass(frozen=True)
class TrainConfig:
    """One run's recipe by concern; ``make_config`` builds one from a preset and overrides."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)

    @classmethod
    def from_flat(cls, values: dict) -> "TrainConfig":
        """A config from flat keys (today's names, typed; see ``make.migrate`` for older ones)."""
        parts: dict[str, dict] = {s: {} for s in SECTIONS}
        for key, value in values.items():
            section, name = KEYS[key]
            parts[section][name] = tuple(value) if isinstance(value, list) else value
        return cls(**{s: SECTIONS[s](**parts[s]) for s in SECTIONS})

    def to_dict(self) -> dict:
        """Flat keys -> values, lists for tuples: what config.json and checkpoints store."""
        out = {}
        for key, (section, name) in KEYS.items():
            value = getattr(getattr(self, section), name)
            out[key] = list(value) if isinstance(value, tuple) else dict(value) if isinstance(value, dict) else value
        return out

    def replace(self, **values) -> "TrainConfig":
        """This config with flat keys changed: ``cfg.replace(download=False)``."""
        return TrainConfig.from_flat({**self.to_dict(), **values})

    def resolved(self, train_images: int) -> "TrainConfig":
        """This config with an epoch-based schedule turned into iterations of this training set."""
        optim = self.optim
        if optim.epochs is None:
            return self
        per_epoch = train_images / min(optim.batch_size, train_images)
        return dataclasses.replace(self, optim=dataclasses.replace(
            optim, iterations=max(1, round(optim.epochs * per_epoch)),
            milestones=tuple(round(e * per_epoch) for e in optim.epoch_milestones)))

    def validate(self) -> "TrainConfig":
        """This config, or one sentence naming the first value that cannot train."""
        from ..data.registry import dataset_info
        from ..models import model_info

        info, data = model_info(self.model.name), dataset_info(self.data.dataset)  # one sentence for a bad name
        data.check_model(info)
        optim, run = self.optim, self.run
        for key in ("iterations", "batch_size", "log_every", "eval_every", "checkpoint_every"):
            if self.value(key) <= 0:
                raise StudyError(f"{key.replace('_', '-')} must be a positive integer; got {self.value(key)}")
        for key in ("lr", "momentum", "weight_decay", "gamma", "warmup_lr", "warmup_error"):
            if not math.isfinite(self.value(key)):
                raise StudyError(f"{key.replace('_', '-')} must be a finite number; got {self.value(key)}")
        for key in ("lr", "warmup_lr"):
            if self.value(key) <= 0:
                raise StudyError(f"{key.replace('_', '-')} must be positive; got {self.value(key)}")
        for key in ("momentum", "weight_decay"):  # torch's SGD rejects negative values with a traceback
            if self.value(key) < 0:
                raise StudyError(f"{key.replace('_', '-')} must be 0 or more; got {self.value(key)}")
        for key in ("milestones", "epoch_milestones"):
            bad = [m for m in self.value(key) if not (math.isfinite(m) and m >= 0)]
            if bad:
                raise StudyError(f"{key.replace('_', '-')} must be finite numbers 0 or more; got {bad[0]}")
        check_device(run.device)
        if run.compile_mode != "default" and not run.compile:
            raise StudyError(f"compile-mode {run.compile_mode} is a mode of --compile; add --compile")
        if run.tensorboard and importlib.util.find_spec("tensorboard") is None:
            raise StudyError("--tensorboard needs the tensorboard package: pip install 'resnet-study[tensorboard]'")
        if self.data.loader_workers < 0:
            raise StudyError(f"loader-workers must be 0 or more; got {self.data.loader_workers}")
        if self.data.image_size <= 0:
            raise StudyError(f"image-size must be a positive integer; got {self.data.image_size}")
        if self.data.holdout < 0:
            raise StudyError(f"holdout must be 0 or more; got {self.data.holdout}")
        data.check(self)
        if self.model.options.get("shortcut") not in (None, "A", "B", "C"):
            raise StudyError(f"shortcut must be one of A, B, C; got {self.model.options['shortcut']!r}")
        if optim.epochs is not None and not (math.isfinite(optim.epochs) and optim.epochs > 0):
            raise StudyError(f"epochs must be a positive finite number; got {optim.epochs}")
        return self

    def value(self, key: str):
        """The value of a flat key: ``cfg.value("lr") == cfg.optim.lr``."""
        section, name = KEYS[key]
        return getattr(getattr(self, section), name)
