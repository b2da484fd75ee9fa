"""A registry of model families, in the manner of timm's ``register_model``/``create_model``.

A family is a pair of twin nets (section 4.1: a plain net and the ResNet made of it by adding
shortcuts), registered once with ``register_family``: two name prefixes and one builder that takes
the depth and whether the net is residual (``cifar_plain`` + ``56``), because CIFAR depth is any
6n+2. ``model_info`` owns every fact a name carries (family, depth, residual, twin, label); no
other module reads a name's letters. ``list_models`` lists the depths the paper trained. Reading
a name imports no torch: the command line checks names before it loads the nets.
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
    """A registered pair of twin nets of one data family."""

    plain: str  # the plain nets' name prefix, e.g. "cifar_plain"
    residual: str  # the ResNets' prefix, e.g. "cifar_resnet"
    builder: Callable[..., nn.Module]  # builder(depth, residual, **options)
    family: str  # the data family whose images the nets take: "cifar", "imagenet"
    paper_depths: tuple[int, ...]  # the depths the paper trained
    input_size: tuple[int, int, int]
    default_shortcut: str  # the shortcut option when none is given (section 3.3)
    check_depth: Callable[[int], None]  # raises StudyError stating the depth rule
    options: tuple[str, ...] = ()  # the builder's options, e.g. ("shortcut", "pad", "num_classes")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str  # the data family: "cifar", "imagenet"
    depth: int
    residual: bool
    input_size: tuple[int, int, int]
    default_shortcut: str
    paper_depths: tuple[int, ...] = ()  # the depths the paper trained in this family
    twin: str = ""  # the other net of the pair: same depth, same layers, with or without shortcuts
    prefix: str = ""  # the name without its depth, e.g. "cifar_resnet"
    options: tuple[str, ...] = ()  # the builder's options

    @property
    def kind(self) -> str:
        return "residual" if self.residual else "plain"

    @property
    def label(self) -> str:
        """``ResNet-56``, ``plain-56``: the name the paper's figures give the net."""
        return f"{'ResNet' if self.residual else 'plain'}-{self.depth}"

    @property
    def in_paper(self) -> bool:
        """Whether the paper trained this depth of this family."""
        return self.depth in self.paper_depths

    @property
    def plain(self) -> str:
        """The plain net of the pair (this net, or its twin)."""
        return self.twin if self.residual else self.name

    @property
    def resnet(self) -> str:
        """The ResNet of the pair (this net, or its twin)."""
        return self.name if self.residual else self.twin


_FAMILIES: dict[str, Family] = {}  # by prefix: each pair under both of its prefixes
_NAME = re.compile(r"^([a-z_]+?)(\d+)$")


def register_family(plain: str, residual: str, builder: Callable[..., nn.Module], *, family: str,
                    paper_depths: tuple[int, ...], input_size: tuple[int, int, int], default_shortcut: str,
                    check_depth: Callable[[int], None], options: tuple[str, ...] = ()) -> Family:
    """Register twin nets: ``{plain}<depth>`` and ``{residual}<depth>``, built by
    ``builder(depth, residual, **options)``; their images are the data family ``family``'s."""
    entry = Family(plain, residual, builder, family, tuple(paper_depths), input_size, default_shortcut,
                   check_depth, tuple(options))
    for prefix in (plain, residual):
        if prefix in _FAMILIES and _FAMILIES[prefix] != entry:
            raise ValueError(f"model prefix {prefix!r} is registered already")
        _FAMILIES[prefix] = entry
    return entry


def unregister_family(entry: Family) -> None:
    """Remove a pair ``register_family`` returned (a test's toy family)."""
    for prefix in (entry.plain, entry.residual):
        _FAMILIES.pop(prefix, None)


def _parse(name: str) -> tuple[Family, bool, int]:
    match = _NAME.match(name) if isinstance(name, str) else None
    if match is None or match.group(1) not in _FAMILIES:
        known = ", ".join(f"{p}<depth>" for p in sorted(_FAMILIES))
        raise StudyError(f"unknown model {name!r}; names are {known} (see list_models())")
    family, depth = _FAMILIES[match.group(1)], int(match.group(2))
    family.check_depth(depth)
    return family, match.group(1) == family.residual, depth


def model_info(name: str) -> ModelInfo:
    """What a model name means, without building it; ``StudyError`` for a bad name or depth."""
    family, residual, depth = _parse(name)
    prefix, other = (family.residual, family.plain) if residual else (family.plain, family.residual)
    return ModelInfo(name, family.family, depth, residual, family.input_size, family.default_shortcut,
                     family.paper_depths, f"{other}{depth}", prefix, family.options)


def family_names(family: str) -> list[str]:
    """``cifar_resnet<D>``, ``cifar_plain<D>``: the names of the data family ``family``'s nets."""
    pairs = {id(f): f for f in _FAMILIES.values() if f.family == family}.values()
    return [f"{prefix}<D>" for f in pairs for prefix in (f.residual, f.plain)]


def build(name: str, **options) -> nn.Module:
    """A fresh registered net: ``build("cifar_plain56", shortcut="B")`` (``create_model`` also loads weights)."""
    family, residual, depth = _parse(name)
    return family.builder(depth, residual, **options)


def models_of_depth(depth: int) -> list[str]:
    """Every registered name of ``depth`` layers that its family builds, e.g. for 20: cifar_resnet20, cifar_plain20."""
    names = []
    for f in {id(f): f for f in _FAMILIES.values()}.values():
        try:
            f.check_depth(depth)
        except StudyError:
            continue
        names += [f"{f.residual}{depth}", f"{f.plain}{depth}"]
    return names


def list_models(pattern: str = "*") -> list[str]:
    """The paper's networks whose names match a shell-style ``pattern``, in family/depth order:
    each pair's ResNets, then its plain nets."""
    pairs = {id(f): f for f in _FAMILIES.values()}.values()
    names = [f"{prefix}{d}" for f in pairs for prefix in (f.residual, f.plain) for d in f.paper_depths]
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]
