"""Weights into our nets, read by declaration: ``create_model(name, weights=TAG_OR_PATH)``.

A tag (``"akamaster"``, ``"wooyeolbaek"``) names a published entry (``models.published``),
which declares the file's layout, options and normalisation; the file comes from torch.hub's
cache. Our ``checkpoint.pt`` declares its net in its ``"net"`` entry. Any other file is a state
dict, bare or in a ``{"state_dict": ...}`` wrapper, whose layout ``models.match`` finds by the
exact set of its tensor names and shapes, or refuses in one sentence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from ..errors import StudyError
from .layouts import AKAMASTER, AKAMASTER_COMPRESSIBLE, OURS, to_ours
from .match import Match, match
from .published import PUBLISHED, PublishedWeights, published_weights

NORMALIZATIONS = ("pixel", "channel", "imagenet")
PRECISIONS = ("fp32", "bf16", "fp16")
OURS_SOURCE = OURS.source


@dataclass
class Checkpoint:
    """A weights file: its tensors, what it declares, and (after ``load_weights``) what it matched.

    ``normalize`` is ``"pixel"``, ``"channel"`` or ``"imagenet"`` with ``mean``/``std`` in [0, 1]
    pixel units ((3, 32, 32) or (3, 1, 1)); ``mean`` None means "the mean of the training images
    evaluated with"; ``normalize`` None means the file does not say.
    """

    path: Path
    state_dict: dict[str, Tensor]  # the file's names, less DataParallel's "module." prefix
    container: str  # "state dict", "state_dict wrapper" or "checkpoint.pt"
    layout: str | None = None  # declared layout; else matched
    model: str | None = None  # declared net
    model_kwargs: dict = field(default_factory=dict)  # declared options
    normalize: str | None = None
    mean: Tensor | None = None
    std: Tensor | None = None
    holdout: int = 0  # training images our run kept out
    precision: str | None = None  # our run's training precision
    extra: dict = field(default_factory=dict)  # the wrapper's other entries (best_prec1, epoch, ...)
    entry: PublishedWeights | None = None
    source: str | None = None  # who wrote it, once known
    best_prec1: float | None = None  # akamaster's stored best test accuracy (%)


def _load_file(path: Path):
    if not path.is_file():
        raise StudyError(f"no checkpoint file at {path}")
    try:
        with warnings.catch_warnings():  # garbage can look like a newer pickle protocol: a warning
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # unpickling, zip and EOF errors all mean "not a checkpoint we can read"
        raise StudyError(f"{path} is not a readable PyTorch checkpoint ({type(err).__name__})") from None


def _tensors(path: Path, state, key: str) -> dict[str, Tensor]:
    if not isinstance(state, dict) or not state or not all(isinstance(v, Tensor) for v in state.values()):
        raise StudyError(f"{path} has a {key!r} entry that is not a dict of tensors; it is no checkpoint of a net")
    if all(k.startswith("module.") for k in state):  # DataParallel's wrapper, not part of any layout
        state = {k[len("module."):]: v for k, v in state.items()}
    return dict(state)


def _net_entry(path: Path, net: dict) -> dict:
    """Our checkpoint.pt's ``"net"``: model, kwargs, normalize, mean, std, holdout, precision."""
    if not isinstance(net.get("model"), str) or not isinstance(net.get("kwargs", {}), dict):
        raise StudyError(f"{path} has a 'net' entry without a model name and kwargs")
    if net.get("normalize") not in (None, *NORMALIZATIONS) or net.get("precision") not in (None, *PRECISIONS):
        raise StudyError(f"{path} has a 'net' entry with normalize {net.get('normalize')!r} and precision "
                         f"{net.get('precision')!r}; they must be one of {', '.join(NORMALIZATIONS)} and "
                         f"{', '.join(PRECISIONS)}")
    for key in ("mean", "std"):
        if net.get(key) is not None and not isinstance(net[key], Tensor):
            raise StudyError(f"{path} has a 'net' entry whose {key} is not a tensor")
    return dict(layout=OURS.name, model=net["model"], model_kwargs=dict(net.get("kwargs", {})),
                normalize=net.get("normalize"), mean=net.get("mean"), std=net.get("std"),
                holdout=int(net.get("holdout", 0)), precision=net.get("precision"), source=OURS_SOURCE)


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read a weights file: our ``checkpoint.pt``, a ``{"state_dict": ...}`` wrapper (akamaster's,
    bearpaw's, ...) or a bare state dict. ``StudyError`` in one sentence for anything else."""
    path = Path(path)
    data = _load_file(path)
    if isinstance(data, dict) and isinstance(data.get("model"), dict) and "optimizer" in data:
        declared = _net_entry(path, data["net"]) if isinstance(data.get("net"), dict) else \
            dict(layout=OURS.name, source=OURS_SOURCE)  # older: the caller passes the options
        return Checkpoint(path, _tensors(path, data["model"], "model"), "checkpoint.pt", **declared)
    if isinstance(data, dict) and "state_dict" in data:
        extra = {k: v for k, v in data.items() if k != "state_dict"}
        return Checkpoint(path, _tensors(path, data["state_dict"], "state_dict"), "state_dict wrapper", extra=extra)
    if isinstance(data, dict) and data and all(isinstance(v, Tensor) for v in data.values()):
        return Checkpoint(path, _tensors(path, data, "state dict"), "state dict")
    raise StudyError(f"{path} is none of a state dict, a {{'state_dict': ...}} wrapper or a resnet-study "
                     f"checkpoint.pt")


def _published(entry: PublishedWeights, download: bool) -> Checkpoint:
    from .hub import fetch

    checkpoint = read_checkpoint(fetch(entry, download))
    checkpoint.layout, checkpoint.model, checkpoint.entry = entry.layout, entry.model, entry
    checkpoint.model_kwargs = entry.kwargs
    checkpoint.normalize, checkpoint.std = entry.normalize, torch.tensor(entry.std)[:, None, None]
    checkpoint.mean = None if entry.mean is None else torch.tensor(entry.mean)[:, None, None]
    return checkpoint


def _stated(checkpoint: Checkpoint, found: Match) -> None:
    """What the matched layouts say of the file: its source, and its normalisation where they agree."""
    checkpoint.source = checkpoint.source or " or ".join(dict.fromkeys(layout.source for layout in found.layouts))
    if checkpoint.normalize is None and checkpoint.container != "checkpoint.pt":
        said = {(layout.normalize, layout.mean, layout.std) for layout in found.layouts}
        if len(said) == 1 and found.layout.normalize is not None and found.layout is not OURS:
            checkpoint.normalize = found.layout.normalize
            checkpoint.std = torch.tensor(found.layout.std)[:, None, None]
            if found.layout.mean is not None:
                checkpoint.mean = torch.tensor(found.layout.mean)[:, None, None]
    best = checkpoint.extra.get("best_prec1")
    if found.layout in (AKAMASTER, AKAMASTER_COMPRESSIBLE) and best is not None:
        if not (isinstance(best, (int, float)) or isinstance(best, Tensor) and best.numel() == 1):
            raise StudyError(f"{checkpoint.path} has a best_prec1 that is not a number: {best!r}")
        checkpoint.best_prec1 = float(best)


def load_weights(name: str, weights: str | Path | Checkpoint, *, layout: str | None = None, download: bool = True,
                 **kwargs) -> tuple[nn.Module, Checkpoint]:
    """Net ``name`` with ``weights`` loaded, and the file as read (source, normalisation, ...).

    Args:
        weights: a published tag (``"akamaster"``, ``"wooyeolbaek"``), a path, or a ``Checkpoint``.
        layout: the file's tensor layout (``layouts.LAYOUTS``), for a file that fits several.
        download: fetch a published file missing from torch.hub's cache (else one sentence).
        kwargs: options of the net; they override the file's.
    """
    if isinstance(weights, str) and weights in PUBLISHED:
        checkpoint = _published(published_weights(weights, name), download)
    else:
        checkpoint = weights if isinstance(weights, Checkpoint) else read_checkpoint(weights)
    file = checkpoint.path.name
    if checkpoint.model is not None and checkpoint.model != name:
        said = "its published entry" if checkpoint.entry else "its 'net' entry"
        raise StudyError(f"{file} holds {checkpoint.model} ({said} says so), not {name}")
    found = match({k: tuple(v.shape) for k, v in checkpoint.state_dict.items()}, name,
                  {**checkpoint.model_kwargs, **kwargs}, file=file, layout=layout or checkpoint.layout)
    _stated(checkpoint, found)
    checkpoint.layout, checkpoint.model, checkpoint.model_kwargs = found.layout.name, name, found.kwargs
    from ._registry import build

    model = build(name, **found.kwargs)
    model.load_state_dict(to_ours(found.layout, found.names, checkpoint.state_dict))
    return model, checkpoint


def load_pretrained(name: str, weights, **kwargs) -> nn.Module:
    """``create_model(name, weights=...)``: see ``load_weights``."""
    return load_weights(name, weights, **kwargs)[0]
