"""The loaders a run needs: the builders that the data-set registry (``data.registry``) names."""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from .cifar import CifarData, load_cifar10
from .folder_loader import FolderLoader
from .image_cache import ScaleAugmentLoader, decode
from .imagefolder import image_folder_splits, scale_range
from .loader import DeviceLoader, Loader, normalization
from .registry import dataset_info


@dataclass
class Loaders:
    train: Loader
    eval: Loader  # what test_error is measured on
    val: Loader | None  # the holdout, when there is also a test set
    train_images: int
    description: dict
    notes: list[str]
    fingerprint: dict  # image count and a content hash: a resumed run must see the same data


def array_fingerprint(*splits) -> dict:
    """Image count of the first split and sha1 of every split's uint8 images and labels."""
    digest = hashlib.sha1()
    for split in splits:
        digest.update(split.images.tobytes())
        digest.update(split.labels.tobytes())
    return {"images": len(splits[0]), "sha1": digest.hexdigest()}


def listing_fingerprint(root: str | Path, *datasets) -> dict:
    """Image count of the first dataset and sha1 of every file's relative path, size and label
    (hashing the JPEGs themselves would read all of ImageNet at every start)."""
    digest = hashlib.sha1()
    for dataset in datasets:
        for path, label in dataset.samples:
            digest.update(f"{os.path.relpath(path, root)}\t{os.path.getsize(path)}\t{label}\n".encode())
    return {"images": len(datasets[0]), "sha1": digest.hexdigest()}


def cached_folder_loaders(train, val, cfg, device: torch.device, rank: int, world: int):
    """Train and val loaders over images decoded once: training images at the largest scale
    of the augmentation, val images as the evaluation transform makes them (resize, centre crop)."""
    low, high = scale_range(cfg.data.image_size)
    train_split = decode(train, high, loader_workers=cfg.data.loader_workers, desc="decoding train")
    val_split = decode(val, low, cfg.data.image_size, loader_workers=cfg.data.loader_workers, desc="decoding val")
    mean, std = normalization("imagenet", train_split)  # as the DataLoader path (section 3.4)
    common = dict(device=device, seed=cfg.run.seed, channels_last=cfg.run.channels_last, rank=rank, world=world)
    return (ScaleAugmentLoader(train_split, mean, std, cfg.optim.batch_size, size=cfg.data.image_size,
                               color=cfg.data.color_augment, **common),
            DeviceLoader(val_split, mean, std, 250, augment=False, **common))


def make_loaders(cfg, device: torch.device, rank: int = 0, world: int = 1) -> Loaders:
    """The run's loaders, built by its data set's registry entry (``data.registry``)."""
    return dataset_info(cfg.data.dataset).make_loaders(cfg, device, rank, world)


def folder_loaders(cfg, device: torch.device, rank: int = 0, world: int = 1) -> Loaders:
    """ImageFolder data (section 3.4): DataLoader processes decoding JPEGs, or images decoded once."""
    data = cfg.data
    train, val = image_folder_splits(data.data_dir, data.image_size, classes=data.classes, color=data.color_augment)
    description = {"name": f"{Path(data.data_dir).resolve().name} (ImageFolder)", "path": str(data.data_dir),
                   "classes": len(train.classes), "train_images": len(train), "test_images": len(val),
                   "test_error_on": "val", "image_size": data.image_size,
                   "decoding": "once, cached in memory" if data.cache else "every epoch (DataLoader)"}
    fingerprint = listing_fingerprint(data.data_dir, train, val)
    if data.cache:
        return Loaders(*cached_folder_loaders(train, val, cfg, device, rank, world), None, len(train),
                       description, [], fingerprint)
    common = dict(device=device, seed=cfg.run.seed, loader_workers=data.loader_workers, rank=rank, world=world,
                  channels_last=cfg.run.channels_last)
    return Loaders(FolderLoader(train, cfg.optim.batch_size, **common), FolderLoader(val, 250, **common), None,
                   len(train), description, [], fingerprint)


def read_cifar(data, *, allow_download: bool | None = None) -> tuple[CifarData, list[str]]:
    """The CIFAR-10 images ``data`` (a ``DataConfig``) names, and the notes its checksums gave."""
    download = data.download if allow_download is None else allow_download
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = load_cifar10(data.data_dir, holdout=data.holdout, allow_download=download)
    return images, [str(w.message) for w in caught]


def cifar_loaders(cfg, device: torch.device, rank: int = 0, world: int = 1) -> Loaders:
    """CIFAR-10 (section 4.2) on the device: the whole set as uint8 tensors, augmented in tensor ops."""
    data, caught = read_cifar(cfg.data)
    notes = [note for note in caught if "md5" in note]
    mean, std = normalization(cfg.data.normalize, data.train)
    common = dict(mean=mean, std=std, device=device, seed=cfg.run.seed, channels_last=cfg.run.channels_last,
                  rank=rank, world=world)
    _, eval_split = data.eval_split
    val = (DeviceLoader(data.holdout, batch_size=1000, augment=False, **common)
           if data.test is not None and data.holdout is not None else None)
    return Loaders(DeviceLoader(data.train, batch_size=cfg.optim.batch_size, augment=cfg.data.augment, **common),
                   DeviceLoader(eval_split, batch_size=1000, augment=False, **common), val, len(data.train),
                   data.describe(), notes, array_fingerprint(data.train, eval_split))


def prepare_cifar(cfg) -> None:
    """Read (or download, once) CIFAR-10: a bad folder is one sentence."""
    read_cifar(cfg.data)


def prepare_folder(cfg) -> None:
    """List the ImageFolder images: a bad folder is one sentence."""
    image_folder_splits(cfg.data.data_dir, cfg.data.image_size, classes=cfg.data.classes)
