"""A device-resident CIFAR loader in the manner of airbench: the whole split lives on the device
as uint8, and crop and flip run there in a few batched tensor ops. No DataLoader processes, no PIL.

Every batch is a pure function of (seed, iteration), so a resumed run sees exactly the data
an uninterrupted run would.
"""

from __future__ import annotations

from typing import Iterator, Protocol

import torch
from torch import Tensor

from .registry import NORMALIZATIONS
from ..errors import StudyError
from .cifar import Split
from .imagefolder import IMAGENET_MEAN, IMAGENET_STD


class Loader(Protocol):
    """What the engine asks of a loader; ``DeviceLoader`` (CIFAR), ``ScaleAugmentLoader``
    (ImageFolder decoded once) and ``FolderLoader`` (ImageFolder decoded per batch) provide it.

    Every minibatch is a function of (seed, iteration) alone: a loader built afresh after a
    resume returns the batches an uninterrupted run would have seen, in any order of calls.
    """

    global_batch: int  # images per step, summed over the processes of a distributed run

    def batch(self, iteration: int) -> tuple[Tensor, Tensor]:
        """Training minibatch ``iteration`` (0-based; epochs follow one another without end):
        this process's share of the images, normalised, augmented and on the device, with labels."""

    def eval_batches(self, batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
        """This process's share of the split, each image once, in order, without augmentation."""


def _mix(seed: int, *salt: int) -> int:
    value = seed
    for s in salt:
        value = (value * 1_000_003 + s) % (2**63 - 1)
    return value


class DeviceLoader:
    """Minibatches of one split on ``device``, each epoch a fresh permutation.

    Args:
        split: uint8 images and labels.
        mean, std: normalisation (3, 32, 32) or (3, 1, 1) tensors, in [0, 1] pixel units.
        batch_size: images per step; the last partial batch of an epoch is dropped.
        augment: 4-pixel zero padding, random 32x32 crop and horizontal flip (section 4.2).
        pad: padding of the crop.
        seed: the run's seed.
        dtype: dtype of the returned images.
        channels_last: memory format of the returned images.
        rank, world: this process's share of each global batch under DistributedDataParallel.
    """

    def __init__(self, split: Split, mean: Tensor, std: Tensor, batch_size: int, *, device: torch.device,
                 augment: bool = True, pad: int = 4, seed: int = 0, dtype: torch.dtype = torch.float32,
                 channels_last: bool = False, rank: int = 0, world: int = 1) -> None:
        self.images = torch.from_numpy(split.images).to(device)
        self.labels = torch.from_numpy(split.labels).to(device)
        self.mean, self.std = mean.to(device), std.to(device)
        self.global_batch = min(batch_size, len(split))
        self.batch_size = self.global_batch // world  # this rank's share
        self.steps_per_epoch = len(split) // self.global_batch
        self.rank, self.world = rank, world
        self.augment, self.pad, self.seed = augment, pad, seed
        self.device, self.dtype, self.channels_last = device, dtype, channels_last
        # One generator on the device, reseeded per batch: no host-device copies, no syncs.
        self.generator = torch.Generator(device=device)
        self._epoch, self._order = -1, None

    def normalize(self, images: Tensor) -> Tensor:
        return (images.float() / 255 - self.mean) / self.std

    def _augment(self, x: Tensor) -> Tensor:
        """Section 4.2: 4-pixel padding, a random 32x32 crop and a horizontal flip."""
        # Zero padding after normalisation: padded pixels sit at the mean, as Caffe's zero padding.
        n, c, h, w = x.shape
        p, dev, g = self.pad, self.device, self.generator
        padded = torch.nn.functional.pad(x, (p, p, p, p))
        dy, dx = torch.randint(0, 2 * p + 1, (2, n, 1), generator=g, device=dev)
        flip = torch.rand(n, 1, generator=g, device=dev) < 0.5
        rows = dy + torch.arange(h, device=dev)
        cols = dx + torch.arange(w, device=dev)
        cols = torch.where(flip, cols.flip(1), cols)
        index = (torch.arange(n, device=dev)[:, None, None, None], torch.arange(c, device=dev)[None, :, None, None],
                 rows[:, None, :, None], cols[:, None, None, :])
        return padded[index]

    def batch(self, iteration: int) -> tuple[Tensor, Tensor]:
        """The minibatch of ``iteration`` (0-based): images (normalised, augmented) and labels."""
        epoch, position = divmod(iteration, self.steps_per_epoch)
        if epoch != self._epoch:
            self.generator.manual_seed(_mix(self.seed, epoch))
            self._order = torch.randperm(len(self.labels), generator=self.generator, device=self.device)
            self._epoch = epoch
        index = self._order[position * self.global_batch:(position + 1) * self.global_batch][self.rank::self.world]
        x = self.normalize(self.images[index])
        if self.augment:
            self.generator.manual_seed(_mix(self.seed, epoch, position, 1 + self.rank))
            x = self._augment(x)
        return self._format(x), self.labels[index]

    def _format(self, x: Tensor) -> Tensor:
        x = x.to(self.dtype)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def eval_batches(self, batch_size: int = 1000):
        """The split in order, original images only (testing uses no augmentation)."""
        shard = torch.arange(self.rank, len(self.labels), self.world, device=self.device)
        for start in range(0, len(shard), batch_size):
            index = shard[start:start + batch_size]
            yield self._format(self.normalize(self.images[index])), self.labels[index]


def pixel_statistics(split: Split, per_pixel: bool = True) -> tuple[Tensor, Tensor]:
    """The paper subtracts the per-pixel mean (section 4.2) and divides by nothing; per-channel
    mean/std normalisation is the common alternative."""
    x = torch.from_numpy(split.images).double() / 255
    if per_pixel:
        return x.mean(0).float(), torch.ones(3, 1, 1)
    return x.mean((0, 2, 3)).float()[:, None, None], x.std((0, 2, 3)).float()[:, None, None]


def normalization(kind: str, split: Split) -> tuple[Tensor, Tensor]:
    """(mean, std) for ``DeviceLoader``: ``"pixel"`` and ``"channel"`` as ``pixel_statistics`` of
    ``split``; ``"imagenet"`` ImageNet's per-channel mean/std, which torchvision's and
    akamaster/pytorch_resnet_cifar10's checkpoints were trained with (CIFAR included)."""
    if kind == "imagenet":
        return torch.tensor(IMAGENET_MEAN)[:, None, None], torch.tensor(IMAGENET_STD)[:, None, None]
    if kind not in NORMALIZATIONS:
        raise StudyError(f"normalize must be one of {', '.join(NORMALIZATIONS)}; got {kind!r}")
    return pixel_statistics(split, per_pixel=kind == "pixel")
