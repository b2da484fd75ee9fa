"""Paired plain and residual networks: ``create_model("cifar_plain56")``, ``list_models()``."""

from . import cifar, imagenet  # noqa: F401  (register the families)
from ._registry import ModelInfo, create_model, list_models, model_info
from .complexity import count_macs, count_parameters, describe
from .resnet import BasicBlock, Bottleneck, ResNet, ZeroPadShortcut

__all__ = [
    "BasicBlock", "Bottleneck", "ModelInfo", "ResNet", "ZeroPadShortcut", "count_macs",
    "count_parameters", "create_model", "describe", "list_models", "model_info",
]
