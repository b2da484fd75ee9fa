"""A conventional PyTorch input pipeline over the same images, for ``bench`` to time our engine
against: torchvision's dataset, PIL transforms and a DataLoader with worker processes."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import StudyError
from .cifar import FOLDER, TRAIN_BATCHES


def check_cifar(cfg) -> None:
    """One sentence unless torchvision's CIFAR10 can read ``cfg.data.data_dir``: the conventional loop
    needs CIFAR-10 with all five training batches and batches.meta (our loader takes subsets)."""
    root = Path(cfg.data.data_dir)
    folder = root if root.name == FOLDER else root / FOLDER
    missing = [name for name in [*TRAIN_BATCHES, "batches.meta"] if not (folder / name).is_file()]
    if missing and any((folder / name).exists() for name in TRAIN_BATCHES):  # none: the engine downloads or says so
        raise StudyError(f"{folder} lacks {', '.join(missing)}, which the conventional loop (torchvision's "
                         f"CIFAR10) needs; add them or pass --engine-only")


def cifar_loader(cfg, pin_memory: bool = False) -> torch.utils.data.DataLoader:
    """torchvision's CIFAR10 with PIL transforms (pad-crop, flip, ToTensor, Normalize) in a DataLoader of
    ``cfg.data.loader_workers`` processes: the loop of the widely used CIFAR reproductions."""
    import torchvision.transforms as T
    from torchvision.datasets import CIFAR10

    data_dir, batch_size, workers = cfg.data.data_dir, cfg.optim.batch_size, cfg.data.loader_workers

    class CIFAR10Folder(CIFAR10):
        """torchvision's CIFAR10, accepting any folder in the official format (subsets too)."""

        meta = {**CIFAR10.meta, "md5": None}

        def _check_integrity(self) -> bool:
            return True

    root = Path(data_dir)
    root = root.parent if root.name == "cifar-10-batches-py" else root
    transform = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                           T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
    dataset = CIFAR10Folder(str(root), train=True, transform=transform, download=False)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                                       num_workers=workers, pin_memory=pin_memory,
                                       persistent_workers=workers > 0)
