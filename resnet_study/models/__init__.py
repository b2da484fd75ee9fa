"""Paired plain and residual networks: ``create_model("cifar_plain56")``, ``list_models()``."""

from . import cifar, imagenet  # noqa: F401  (register the families)
from ._registry import ModelInfo, create_model, list_models, model_info
from .complexity import count_macs, count_parameters, describe
from .resnet import BasicBlock, Bottleneck, ResNet, ZeroPadShortcut
from .weights import Checkpoint, read_checkpoint

__all__ = [
    "BasicBlock", "Bottleneck", "Checkpoint", "ModelInfo", "ResNet", "ZeroPadShortcut", "count_macs",
    "count_parameters", "create_model", "describe", "list_models", "model_info", "read_checkpoint",
]
