"""ImageFolder images decoded once into uint8 tensors, augmented in batched tensor ops.

JPEG decoding bounds training on a CPU (about 1 s per batch of 64 on 2 cores): here every image
is decoded once, and section 3.4's augmentation (scale, crop, flip, colour) runs on whole batches
on the training device, as ``DeviceLoader`` does for CIFAR. For data sets that fit in memory
(Imagenette, Imagewoof, ImageNet-100 at small sizes); full ImageNet keeps ``FolderLoader``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader
from torchvision import transforms as T
from tqdm.auto import tqdm

from .cifar import Split
from .folder_loader import worker_sentences
from .imagefolder import EIGVAL, EIGVEC, scale_range
from .loader import DeviceLoader


def decode(dataset, side: int, crop: int | None = None, loader_workers: int = 2, desc: str = "decoding") -> Split:
    """Every image of an ``image_folder_splits`` dataset resized (shorter side ``side``) and
    centre-cropped to ``crop`` (default ``side``), as one uint8 array (N, 3, crop, crop)."""
    transform = T.Compose([T.Resize(side), T.CenterCrop(crop or side), T.PILToTensor()])
    loader = DataLoader(dataset.with_transform(transform), batch_size=256, num_workers=loader_workers)
    images, labels = [], []
    with worker_sentences():  # a corrupt JPEG is one sentence naming it
        for x, y in tqdm(loader, desc=desc, unit="batch", leave=False, disable=None):
            images.append(x.numpy())
            labels.append(y.numpy())
    return Split(np.concatenate(images), np.concatenate(labels).astype(np.int64))


class ScaleAugmentLoader(DeviceLoader):
    """``DeviceLoader`` with the ImageNet augmentation of section 3.4 on cached square images:
    the shorter side resized to a random length in [low, high], a random ``size`` crop, a
    horizontal flip and AlexNet PCA colour noise, for a whole batch in one ``grid_sample``."""

    def __init__(self, split: Split, mean: Tensor, std: Tensor, batch_size: int, *, size: int,
                 color: bool = True, **kwargs) -> None:
        super().__init__(split, mean, std, batch_size, augment=True, **kwargs)
        self.size, self.color = size, color
        self.low, self.high = scale_range(size)
        self.eigval, self.eigvec = EIGVAL.to(self.device), EIGVEC.to(self.device)

    def _augment(self, x: Tensor) -> Tensor:
        n, g, dev = len(x), self.generator, self.device
        # The crop is size/L of an image whose side was resized to L; its top-left corner is uniform.
        length = torch.randint(self.low, self.high + 1, (n,), generator=g, device=dev).float()
        frac = self.size / length
        corner = torch.rand(n, 2, generator=g, device=dev) * (1 - frac[:, None])
        centre = 2 * (corner + frac[:, None] / 2) - 1  # in grid_sample's [-1, 1] coordinates
        flip = torch.where(torch.rand(n, generator=g, device=dev) < 0.5, -1.0, 1.0)
        theta = torch.zeros(n, 2, 3, device=dev)
        theta[:, 0, 0], theta[:, 1, 1] = frac * flip, frac
        theta[:, :, 2] = centre
        grid = F.affine_grid(theta, [n, x.shape[1], self.size, self.size], align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", align_corners=False)
        if self.color:  # AlexNet lighting: eigvec @ (alpha * eigval), alpha ~ N(0, 0.1), in [0, 1] units
            alpha = torch.randn(n, 3, generator=g, device=dev) * 0.1
            x = x + ((alpha * self.eigval) @ self.eigvec.T)[:, :, None, None] / self.std
        return x
