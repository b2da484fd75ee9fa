"""The loaders a run needs, chosen by ``cfg.dataset``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from .cifar import load_cifar10
from .folder_loader import FolderLoader
from .imagefolder import image_folder_splits
from .loader import DeviceLoader, normalization


@dataclass
class Loaders:
    train: object  # DeviceLoader or FolderLoader
    eval: object  # what test_error is measured on
    val: object | None  # the holdout, when there is also a test set
    train_images: int
    description: dict
    notes: list[str]


def make_loaders(cfg, device: torch.device, rank: int = 0, world: int = 1) -> Loaders:
    channels_last = cfg.channels_last
    if cfg.dataset == "imagefolder":
        train, val = image_folder_splits(cfg.data_dir, cfg.image_size, classes=cfg.classes, color=cfg.color_augment)
        common = dict(device=device, seed=cfg.seed, workers=cfg.workers, rank=rank, world=world,
                      channels_last=channels_last)
        from pathlib import Path

        description = {"name": f"{Path(cfg.data_dir).resolve().name} (ImageFolder)", "path": str(cfg.data_dir), "classes": len(train.classes),
                       "train_images": len(train), "test_images": len(val), "test_error_on": "val",
                       "image_size": cfg.image_size}
        return Loaders(FolderLoader(train, cfg.batch_size, **common), FolderLoader(val, 250, **common), None,
                       len(train), description, [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_cifar10(cfg.data_dir, holdout=cfg.holdout, allow_download=cfg.download)
    notes = [str(w.message) for w in caught if "md5" in str(w.message)]
    mean, std = normalization(cfg.normalize, data.train)
    common = dict(mean=mean, std=std, device=device, seed=cfg.seed, channels_last=channels_last, rank=rank,
                  world=world)
    _, eval_split = data.eval_split
    val = (DeviceLoader(data.holdout, batch_size=1000, augment=False, **common)
           if data.test is not None and data.holdout is not None else None)
    return Loaders(DeviceLoader(data.train, batch_size=cfg.batch_size, augment=cfg.augment, **common),
                   DeviceLoader(eval_split, batch_size=1000, augment=False, **common), val, len(data.train),
                   data.describe(), notes)
