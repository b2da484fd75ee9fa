"""``create_model``: a registered net by name, fresh or with weights (the registry builds, ``weights``
loads; this module sits above both so that neither imports the other)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._registry import build

if TYPE_CHECKING:
    from torch import nn


def create_model(name: str, weights=None, **kwargs) -> nn.Module:
    """Build a registered model by name, e.g. ``create_model("cifar_plain56", shortcut="B")``.

    ``weights``: a published tag (``"akamaster"``, ``"wooyeolbaek"``: see ``list_weights()``)
    or a file (our ``checkpoint.pt``, or a state dict in a layout of ``models.layouts``), loaded
    with the options its net needs; ``layout=`` and ``download=`` as ``models.weights.load_weights``.
    """
    if weights is not None:
        from .weights import load_pretrained  # torch loads when weights are read, not when a name is

        return load_pretrained(name, weights, **kwargs)
    return build(name, **kwargs)
