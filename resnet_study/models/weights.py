"""Checkpoints in our networks: akamaster's ``.th`` files, torchvision state dicts, our ``checkpoint.pt``.

``create_model(name, weights=PATH)`` reads the file with ``read_checkpoint``, which maps its
tensor names to ours and says which model options its net was built with (akamaster's option A
puts its zero channels on both sides), builds the net with those options and loads it with
``load_checkpoint``, which checks every tensor's shape first.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from ..errors import StudyError

AKAMASTER = "akamaster/pytorch_resnet_cifar10"
TORCHVISION = "torchvision"
OURS = "resnet-study"

# akamaster's names -> ours: DataParallel's prefix, a later version's "compressible_" prefix,
# their classifier and their shortcut (option B's projection; option A has no tensors).
_AKAMASTER_NAMES = [(r"^module\.", ""), (r"compressible_", ""), (r"^linear\.", "fc."),
                    (r"\.shortcut\.", ".downsample.")]


@dataclass
class Checkpoint:
    """A checkpoint file, its tensors under our names, and what is known of how it was trained."""

    path: Path
    source: str  # AKAMASTER, TORCHVISION or OURS
    state_dict: dict[str, Tensor]
    model_kwargs: dict = field(default_factory=dict)  # options its net needs, e.g. {"pad": "both"}
    normalize: str = "imagenet"  # input normalisation it was trained with (see data.normalization)
    model: str | None = None  # the network it holds, where the file says
    family: str | None = None  # "cifar" or "imagenet", where that is known
    residual: bool | None = None  # whether it holds a residual net, where that is known
    best_prec1: float | None = None  # akamaster's stored best test accuracy (%)
    holdout: int = 0  # training images our run kept out for validation


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read any of the three formats; ``StudyError`` in one sentence for anything else."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"no checkpoint file at {path}")
    try:
        with warnings.catch_warnings():  # garbage can look like a newer pickle protocol: a warning
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # unpickling, zip and EOF errors all mean "not a checkpoint we can read"
        raise StudyError(f"{path} is not a readable PyTorch checkpoint ({type(err).__name__})") from None
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        return _akamaster(path, data)
    if isinstance(data, dict) and isinstance(data.get("model"), dict) and "optimizer" in data:
        return _ours(path, data)
    if isinstance(data, dict) and data and all(isinstance(v, Tensor) for v in data.values()):
        return _with_classes(Checkpoint(path, TORCHVISION, dict(data), {"stride_in_1x1": False}, family="imagenet",
                                        residual=True))
    raise StudyError(f"{path} is none of an akamaster .th file, a torchvision state dict or a resnet-study "
                     f"checkpoint.pt")


def _with_classes(checkpoint: Checkpoint) -> Checkpoint:
    classifier = checkpoint.state_dict.get("fc.weight")
    if classifier is not None:
        checkpoint.model_kwargs.setdefault("num_classes", classifier.shape[0])
    return checkpoint


def _tensors_only(path: Path, state: dict, key: str) -> None:
    if not all(isinstance(v, Tensor) for v in state.values()):
        raise StudyError(f"{path} has a {key!r} entry that holds values other than tensors; it is no checkpoint "
                         f"of a net")


def _akamaster(path: Path, data: dict) -> Checkpoint:
    _tensors_only(path, data["state_dict"], "state_dict")
    state = {}
    for key, value in data["state_dict"].items():
        for pattern, ours in _AKAMASTER_NAMES:
            key = re.sub(pattern, ours, key)
        state[key] = value
    shortcut = "B" if any(".downsample." in key for key in state) else "A"
    best = data.get("best_prec1")
    if best is not None and not (isinstance(best, (int, float)) or isinstance(best, Tensor) and best.numel() == 1):
        raise StudyError(f"{path} has a best_prec1 that is not a number: {best!r}")
    return _with_classes(Checkpoint(path, AKAMASTER, state, {"shortcut": shortcut, "pad": "both"}, "imagenet",
                                    family="cifar", residual=True, best_prec1=None if best is None else float(best)))


def _ours(path: Path, data: dict) -> Checkpoint:
    """Our checkpoint.pt: its ``net`` entry says how the net was built and fed (older checkpoints
    lack it; the training layer, which knows run folders, reads their config.json instead)."""
    _tensors_only(path, data["model"], "model")
    net = data.get("net") if isinstance(data.get("net"), dict) else {}
    kwargs = {k: v for k, v in (net.get("kwargs") or {}).items() if k == "shortcut"}
    return _with_classes(Checkpoint(path, OURS, data["model"], kwargs, net.get("normalize", "pixel"),
                                    model=net.get("model"), holdout=net.get("holdout", 0)))


_FAMILY_NAMES = {"cifar": "a CIFAR", "imagenet": "an ImageNet"}


def check_kind(checkpoint: Checkpoint, name: str) -> None:
    """``StudyError`` naming the file and the net when the file says it holds another kind of net."""
    from ._registry import model_info

    file, info = checkpoint.path.name, model_info(name)
    if checkpoint.model is not None and checkpoint.model != name:
        raise StudyError(f"{file} holds {checkpoint.model} (its config.json says so), not {name}")
    if checkpoint.family is not None and checkpoint.family != info.family:
        raise StudyError(f"{file} holds {_FAMILY_NAMES[checkpoint.family]} net ({checkpoint.source}) but "
                         f"{name} is {_FAMILY_NAMES[info.family]} net")
    if checkpoint.residual and not info.residual:
        raise StudyError(f"{file} holds a residual net ({checkpoint.source}) but {name} is a plain net")


def check_shapes(checkpoint: Checkpoint, model: nn.Module, name: str) -> None:
    """``StudyError`` naming the file and the net unless every tensor has its place and shape."""
    file, state, expected = checkpoint.path.name, checkpoint.state_dict, model.state_dict()
    # BN's step counter is absent from checkpoints of older torch versions; load_state_dict fills it in.
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    wrong = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if wrong:
        key = wrong[0]
        raise StudyError(f"{file} does not fit {name}: {key} is {tuple(state[key].shape)} in the file but "
                         f"{tuple(expected[key].shape)} in {name} ({len(wrong)} tensors differ in shape)")
    if missing:
        raise StudyError(f"{file} does not fit {name}: {name} has {len(missing)} tensors the file lacks, "
                         f"first {missing[0]}")
    if unexpected:
        raise StudyError(f"{file} does not fit {name}: the file has {len(unexpected)} tensors {name} lacks, "
                         f"first {unexpected[0]}")


def load_pretrained(name: str, weights: str | Path | Checkpoint, **kwargs) -> nn.Module:
    """``create_model(name, weights=...)``: the net the file needs (``kwargs`` override), loaded."""
    from ._registry import create_model

    checkpoint = weights if isinstance(weights, Checkpoint) else read_checkpoint(weights)
    check_kind(checkpoint, name)
    model = create_model(name, **{**checkpoint.model_kwargs, **kwargs})
    check_shapes(checkpoint, model, name)
    model.load_state_dict(checkpoint.state_dict)
    return model
