"""A registry of model families, in the manner of timm's ``register_model``/``create_model``.

A family is a name prefix plus a builder that takes the depth (``cifar_plain`` + ``56``), because
CIFAR depth is any 6n+2; ``list_models`` lists the depths the paper trained. Reading a name
imports no torch: the command line checks names before it loads the nets.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..errors import StudyError

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class Family:
    prefix: str  # "cifar_resnet", "plain", ...
    builder: Callable[..., nn.Module]  # builder(depth, **kwargs)
    dataset: str  # "cifar" or "imagenet"
    residual: bool
    paper_depths: tuple[int, ...]
    input_size: tuple[int, int, int]
    default_shortcut: str
    check_depth: Callable[[int], None]  # raises StudyError stating the depth rule


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str
    depth: int
    residual: bool
    input_size: tuple[int, int, int]
    default_shortcut: str
    paper_depths: tuple[int, ...] = ()  # the depths the paper trained in this family

    @property
    def kind(self) -> str:
        return "residual" if self.residual else "plain"

    @property
    def label(self) -> str:
        """``ResNet-56``, ``plain-56``: the name the paper's figures give the net."""
        return f"{'ResNet' if self.residual else 'plain'}-{self.depth}"


_FAMILIES: dict[str, Family] = {}
_NAME = re.compile(r"^([a-z_]+?)(\d+)$")


def register_family(prefix: str, *, dataset: str, residual: bool, paper_depths: tuple[int, ...],
                    input_size: tuple[int, int, int], default_shortcut: str,
                    check_depth: Callable[[int], None]):
    def decorator(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        _FAMILIES[prefix] = Family(prefix, builder, dataset, residual, paper_depths, input_size,
                                   default_shortcut, check_depth)
        return builder
    return decorator


def _parse(name: str) -> tuple[Family, int]:
    match = _NAME.match(name)
    if match is None or match.group(1) not in _FAMILIES:
        known = ", ".join(f"{p}<depth>" for p in sorted(_FAMILIES))
        raise StudyError(f"unknown model {name!r}; names are {known} (see list_models())")
    family, depth = _FAMILIES[match.group(1)], int(match.group(2))
    family.check_depth(depth)
    return family, depth


def model_info(name: str) -> ModelInfo:
    """What a model name means, without building it; ``StudyError`` for a bad name or depth."""
    family, depth = _parse(name)
    return ModelInfo(name, family.dataset, depth, family.residual, family.input_size,
                     family.default_shortcut, family.paper_depths)


def create_model(name: str, weights=None, **kwargs) -> nn.Module:
    """Build a registered model by name, e.g. ``create_model("cifar_plain56", shortcut="B")``.

    ``weights``: a published tag (``"akamaster"``, ``"wooyeolbaek"``: see ``list_weights()``)
    or a file (our ``checkpoint.pt``, or a state dict in a layout of ``models.layouts``), loaded
    with the options its net needs; ``layout=`` and ``download=`` as ``models.weights.load_weights``.
    """
    if weights is not None:
        from .weights import load_pretrained

        return load_pretrained(name, weights, **kwargs)
    family, depth = _parse(name)
    return family.builder(depth, **kwargs)


def list_models(pattern: str = "*") -> list[str]:
    """The paper's networks whose names match a shell-style ``pattern``, in family/depth order."""
    names = [f"{f.prefix}{d}" for f in _FAMILIES.values() for d in f.paper_depths]
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]
