"""A net argument of the analyses, read: a published net, one of our run folders, or a net at initialisation.

Forms: ``cifar_plain56.wooyeolbaek`` (timm's ``model.tag``; ``wooyeolbaek:cifar_plain56`` too), a run
folder holding ``checkpoint.pt`` (``runs/cifar-quick/runs/cifar_plain56-s0``), or a bare name
``cifar_resnet20`` for the net at initialisation (drawn from the analysis's seed). Twins differ in one
word: ``cifar_plain56.wooyeolbaek`` and ``cifar_resnet56.wooyeolbaek``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from ..errors import StudyError
from ..models import load_weights, model_info, read_checkpoint
from ..models.published import PUBLISHED, list_weights

PUBLISHED_TWINS = [f"cifar_{kind}{depth}.wooyeolbaek" for depth in (20, 32, 44, 56) for kind in ("plain", "resnet")]


@dataclass(frozen=True)
class NetSpec:
    """One net to analyse.

    Attributes:
        label: how tables name it (``cifar_plain56.wooyeolbaek``, ``cifar_resnet20.init``, a run folder's name).
        model: our registered net, e.g. ``cifar_plain56``; ``depth``, ``residual``: of that net.
        weights: a published tag, a ``checkpoint.pt`` path, or None for the net at initialisation.
        source: whose weights (``wooyeolBaek``, ``akamaster``, ``ours``, ``init``).
    """

    label: str
    model: str
    depth: int
    residual: bool
    weights: str | None
    source: str

    @property
    def trained(self) -> bool:
        return self.weights is not None


def _cifar(model: str, given: str) -> None:
    try:
        info = model_info(model)
    except (StudyError, KeyError, ValueError):
        info = None
    if info is None:
        raise StudyError(f"{given} names no net we know; give cifar_plain<D> or cifar_resnet<D>, optionally "
                         f".akamaster or .wooyeolbaek, or a run folder")
    if info.family != "cifar":
        raise StudyError(f"{given} is an ImageNet net; this analysis takes CIFAR nets (cifar_plain<D>, "
                         f"cifar_resnet<D>) on 32x32 images")


def _spec(model: str, label: str, weights: str | None, source: str) -> NetSpec:
    info = model_info(model)
    return NetSpec(label, model, info.depth, info.residual, weights, source)


def parse_net(text: str) -> NetSpec:
    """``NetSpec`` of a net argument (see the module's docstring); ``StudyError`` in one sentence for
    an ImageNet net, an unknown name or tag, or a folder without ``checkpoint.pt``."""
    path = Path(text)
    if path.is_dir() or "/" in text:
        if not path.is_dir():
            raise StudyError(f"{text} is no folder; give a run folder or a net such as cifar_plain56.wooyeolbaek")
        if not (path / "checkpoint.pt").is_file():
            raise StudyError(f"{path} holds no checkpoint.pt; give a run folder whose training wrote one")
        checkpoint = read_checkpoint(path / "checkpoint.pt")
        model = checkpoint.model or (_run_config(path).get("model") or "")
        _cifar(model, f"{path} (a {model or 'net of unknown name'})")
        return _spec(model, path.name, str(path / "checkpoint.pt"), "ours")
    if ":" in text:
        tag, _, model = text.partition(":")
    else:
        model, _, tag = text.partition(".")
    _cifar(model, model)
    if not tag or tag == "init":
        return _spec(model, f"{model}.init", None, "init")
    if tag not in PUBLISHED:
        raise StudyError(f"{text}: unknown weights tag {tag!r}; tags are {', '.join(PUBLISHED)} (or init)")
    entry = next((e for e in list_weights(tag=tag) if e.model == model), None)
    if entry is None:
        raise StudyError(f"{tag} publishes no {model}; its nets are "
                         f"{', '.join(e.model for e in list_weights(tag=tag))}")
    return _spec(model, entry.name, tag, entry.source)


def _run_config(folder: Path) -> dict:
    from ..io import read_json

    return read_json(folder / "config.json") or {}


def load_net(spec: NetSpec, *, seed: int = 0, download: bool = False) -> tuple[nn.Module, str, Tensor | None, Tensor]:
    """The net of ``spec`` in eval mode on the CPU, with how its inputs are normalised.

    Returns (model, normalize kind, mean or None for "the training images' mean", std); a net at
    initialisation is drawn under ``seed`` with pixel normalisation, as our training uses.
    """
    from ..models import create_model

    if spec.weights is None:
        torch.manual_seed(seed)
        return create_model(spec.model).eval(), "pixel", None, torch.ones(3, 1, 1)
    weights = spec.weights if spec.weights in PUBLISHED else read_checkpoint(spec.weights)
    model, checkpoint = load_weights(spec.model, weights, download=download)
    if checkpoint.normalize is None:
        raise StudyError(f"{spec.label} does not say how its inputs were normalised")
    std = checkpoint.std if checkpoint.std is not None else torch.ones(3, 1, 1)
    return model.eval(), checkpoint.normalize, checkpoint.mean, std


def twin(spec: NetSpec) -> str:
    """The net argument of ``spec``'s twin (same depth, the other family, same weights source)."""
    other = spec.model.replace("plain", "resnet") if not spec.residual else spec.model.replace("resnet", "plain")
    return spec.label.replace(spec.model, other, 1)
