"""Paired plain and residual networks: ``create_model("cifar_plain56")``, ``list_models()``, and
published weights: ``create_model("cifar_plain56", weights="wooyeolbaek")``, ``list_weights()``.

Names, families and ``model_info`` import no torch; the nets, their counts and checkpoint
reading load with it on first use.
"""

from importlib import import_module

from . import cifar, imagenet  # noqa: F401  (register the families)
from ._registry import ModelInfo, family_names, list_models, model_info, register_family, unregister_family
from .create import create_model
from .published import PublishedWeights, list_weights, published_weights

_LAZY = {
    "count_macs": "complexity", "count_parameters": "complexity", "describe": "complexity",
    "BasicBlock": "resnet", "Bottleneck": "resnet", "ResNet": "resnet", "ZeroPadShortcut": "resnet",
    "Checkpoint": "weights", "read_checkpoint": "weights", "load_weights": "weights",
    "LAYOUTS": "layouts", "cache_path": "hub", "fetch": "hub", "is_cached": "hub", "sha256": "hub",
    "deepen": "constructed",
}


def __getattr__(name: str):  # PEP 562: torch-backed names load when first used
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ModelInfo", "PublishedWeights", "create_model", "family_names", "list_models", "list_weights", "model_info",
           "published_weights", "register_family", "unregister_family", *_LAZY]
