"""Which layout a file is in: the exact set of its tensor names and shapes, never a guess.

``match`` builds the requested net on the meta device with each known layout's options and
compares the names and shapes that layout gives it with the file's. Exactly one net fitting
is a match; layouts that fit and build the same net (ours and chenyaofo's CIFAR option B,
ours and torchvision's basic-block ResNets) are one match. No fit, or fits that build
different nets (a paper-style bottleneck ResNet and torchvision's v1.5 have identical tensors),
is refused in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from ..errors import StudyError
from ._registry import build, model_info, models_of_depth
from .layouts import LAYOUTS, Layout, file_names

Shapes = dict[str, tuple[int, ...]]
_OPTIONAL = "num_batches_tracked"  # absent from files of older torch; load_state_dict fills it in


@dataclass
class Match:
    """The net a file fits: its options and the layouts that name its tensors so."""

    layouts: tuple[Layout, ...]
    kwargs: dict
    names: dict  # the file's name -> (our name, shape), as layouts.file_names gives

    @property
    def layout(self) -> Layout:
        return self.layouts[0]


@dataclass
class _Fit:
    layout: Layout
    kwargs: dict
    names: dict
    net: str  # repr of the net: equal reprs, equal nets
    missing: list
    unexpected: list
    wrong: list

    @property
    def differences(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.wrong)

    def describe(self, name: str, shapes: Shapes) -> str:
        if self.wrong:
            key = self.wrong[0]
            return (f"{key} is {shapes[key]} in the file but {self.names[key][1]} in {name} ({len(self.wrong)} "
                    f"tensors differ in shape)")
        if self.missing:
            return f"{name} has {len(self.missing)} tensors the file lacks, first {self.missing[0]}"
        return f"the file has {len(self.unexpected)} tensors {name} lacks, first {self.unexpected[0]}"


def _options(layout: Layout, residual: bool, shapes: Shapes, kwargs: dict):
    classifier = shapes.get(layout.rename("fc.weight"))
    classes = {"num_classes": classifier[0]} if classifier else {}
    for shortcut in (layout.shortcuts if residual else (None,)):
        yield {**layout.kwargs, **({"shortcut": shortcut} if shortcut else {}), **classes, **kwargs}


@lru_cache(maxsize=256)
def _net(name: str, options: tuple) -> tuple[Shapes, str]:
    """State-dict shapes and repr of ``name`` built with ``options``, on the meta device."""
    with torch.device("meta"):
        net = build(name, **dict(options))
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}, repr(net)


def _fits(shapes: Shapes, name: str, kwargs: dict, layouts) -> list[_Fit]:
    info, fits, seen = model_info(name), [], set()
    for layout in layouts:
        if layout.family not in (None, info.family):
            continue
        for options in _options(layout, info.residual, shapes, kwargs):
            key = tuple(sorted(options.items()))
            if (layout.name, key) in seen:
                continue
            seen.add((layout.name, key))
            ours, net = _net(name, key)
            names = file_names(layout, ours)
            fits.append(_Fit(layout, options, names, net,
                             [k for k in names if k not in shapes and not k.endswith(_OPTIONAL)],
                             [k for k in shapes if k not in names and not k.endswith(_OPTIONAL)],
                             [k for k in names if k in shapes and shapes[k] != names[k][1]]))
    return fits


def _declared(fit: _Fit) -> str:
    options = ", ".join(f"{k}={v!r}" for k, v in fit.layout.kwargs.items())
    return f"{fit.layout.source}'s" + (f" ({options})" if options else " (our defaults)")


def _other_nets(shapes: Shapes, name: str, layouts) -> tuple[list[str], Layout] | None:
    """The nets other than ``name`` that the file fits exactly in one layout, for the refusal to name them."""
    depth = 1 + sum(len(s) == 4 and "downsample" not in k and "shortcut" not in k for k, s in shapes.items())
    found: dict[Layout, list[str]] = {}
    for other in models_of_depth(depth):
        other_info = model_info(other)
        for fit in _fits(shapes, other, {}, layouts):
            if other != name and not fit.differences and fit.layout.residual in (None, other_info.residual):
                found.setdefault(fit.layout, []).append(other)
                break
    return next(((nets, layout) for layout, nets in found.items()), None)


def match(shapes: Shapes, name: str, kwargs: dict, *, file: str, layout: str | None = None) -> Match:
    """The one net ``name`` (with ``kwargs``) that a file of tensor ``shapes`` fits; ``layout``
    restricts the layouts tried. ``StudyError`` naming the closest layout, or the fitting
    layouts and the option that tells them apart, when there is not exactly one."""
    if layout is not None and layout not in LAYOUTS:
        raise StudyError(f"unknown layout {layout!r}; layouts are {', '.join(LAYOUTS)}")
    layouts = [LAYOUTS[layout]] if layout else list(LAYOUTS.values())
    info = model_info(name)
    fits = _fits(shapes, name, kwargs, layouts)
    exact = [f for f in fits if not f.differences and f.layout.residual in (None, info.residual)]
    nets: dict[str, list[_Fit]] = {}
    for fit in exact:
        nets.setdefault(fit.net, []).append(fit)
    if len(nets) == 1:
        group = next(iter(nets.values()))
        return Match(tuple(dict.fromkeys(f.layout for f in group)), group[0].kwargs, group[0].names)
    if len(nets) > 1:
        firsts = [group[0] for group in nets.values()]
        differ = sorted({k for f in firsts for k in f.layout.kwargs} - set(kwargs)) or ["layout"]
        said = " and ".join(_declared(f) for f in firsts)
        raise StudyError(f"{file} fits {name} in {len(firsts)} layouts that build different nets, {said}; "
                         f"say which with {' or '.join(f'{k}=' for k in differ)} or layout=")
    other = _other_nets(shapes, name, layouts)
    if other is not None:
        raise StudyError(f"{file} holds {' or '.join(other[0])} in {other[1].source}'s layout, not {name}")
    if not fits:
        kinds = {"cifar": "CIFAR", "imagenet": "ImageNet"}
        raise StudyError(f"{file} is in {layouts[0].source}'s layout, whose nets are {kinds[layouts[0].family]} nets, "
                         f"but {name} is not")
    closest = min(fits, key=lambda f: f.differences)
    tried = ", ".join(dict.fromkeys(f.layout.name for f in fits))
    raise StudyError(f"{file} does not fit {name} in any layout we know ({tried}); closest is "
                     f"{closest.layout.source}'s, where {closest.describe(name, shapes)}")
