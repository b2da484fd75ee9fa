"""A fixed, seeded set of training images of a CIFAR folder, normalised for one net, and the batched
loss and error of a net on them.

On the shared subset every image is a *training* image of the published nets (they trained on all
of CIFAR-10's training images, or on 45,000 of them): the analyses probe the nets where they fit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import Split, load_cifar10, normalization
from ..errors import StudyError
from ..training.precision import autocast, device_precision


@dataclass
class ImageSet:
    """``count`` training images of ``folder`` drawn by ``seed``, as uint8 (N, 3, 32, 32) with labels,
    and every training image of the folder (for the per-pixel mean a net's normalisation needs)."""

    folder: str
    seed: int
    images: np.ndarray
    labels: np.ndarray
    train: Split

    def __len__(self) -> int:
        return len(self.labels)

    def normalised(self, normalize: str, mean: Tensor | None, std: Tensor, device: torch.device | str = "cpu"
                   ) -> tuple[Tensor, Tensor]:
        """(x, y): float32 images (N, 3, 32, 32) normalised as the net was trained, and int64 labels."""
        if mean is None:
            mean, std = normalization(normalize, self.train)
        x = (torch.from_numpy(self.images).float() / 255 - mean) / std
        return x.to(device), torch.from_numpy(self.labels).long().to(device)


def fixed_images(data_dir: str | Path, count: int, seed: int = 0) -> ImageSet:
    """``count`` training images of the CIFAR folder ``data_dir``, chosen by ``seed`` without
    replacement; the same arguments give the same images. ``StudyError`` when the folder has fewer."""
    if count < 1:
        raise StudyError(f"--images must be at least 1; got {count}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a subset: its size is stated in every README
        data = load_cifar10(data_dir, allow_download=False)
    train = data.train if data.holdout is None else Split(np.concatenate([data.train.images, data.holdout.images]),
                                                          np.concatenate([data.train.labels, data.holdout.labels]))
    if count > len(train):
        raise StudyError(f"{data_dir} has {len(train):,} training images; --images {count:,} asks for more")
    index = np.sort(np.random.default_rng(seed).permutation(len(train))[:count])
    return ImageSet(str(data.path), seed, train.images[index], np.asarray(train.labels)[index], train)


def choose_precision(requested: str, device: torch.device) -> str:
    """``auto``: the device's fastest precision (bf16 on CPUs with native bf16 and recent GPUs)."""
    return device_precision(requested, device)


@torch.inference_mode()
def loss_and_error(model: nn.Module, x: Tensor, y: Tensor, *, batch_size: int = 500,
                   precision: str = "fp32") -> tuple[float, float]:
    """Mean cross-entropy (nats) and top-1 error (fraction) of ``model`` on (x, y), in the mode the
    caller set, batched, under ``precision``'s autocast; sums in float64."""
    loss, wrong = 0.0, 0
    with autocast(precision, x.device):
        for start in range(0, len(y), batch_size):
            logits = model(x[start:start + batch_size]).float()
            target = y[start:start + batch_size]
            loss += F.cross_entropy(logits, target, reduction="sum").double().item()
            wrong += int((logits.argmax(1) != target).sum())
    return loss / len(y), wrong / len(y)
