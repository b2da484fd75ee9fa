"""A DataLoader-backed loader with the interface of ``DeviceLoader``: ``batch(iteration)``.

Decoding JPEGs needs worker processes; the epoch order is a seeded permutation, each global
batch is split across DDP ranks, and a resumed run restarts the epoch at its position. Each
image's augmentation draws from its own generator, seeded by (seed, epoch, image index): the same
crops, flips and colours whatever the number of worker processes and wherever a run resumed.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..errors import StudyError
from .loader import _mix


@contextmanager
def worker_sentences():
    """A ``StudyError`` raised in a DataLoader worker comes back wrapped with the worker's
    traceback; keep only its sentence (the last line)."""
    try:
        yield
    except StudyError as err:
        sentence = str(err).strip().splitlines()[-1]
        raise StudyError(sentence.removeprefix(f"{StudyError.__module__}.{StudyError.__name__}: ")) from None


class SeededSamples(Dataset):
    """``dataset[index]`` with torch's random numbers seeded by the key's sample seed:
    ``SeededSamples(d)[(index, sample_seed)]`` is the same in any process, in any order."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]):
        index, sample_seed = key
        with torch.random.fork_rng(devices=[]):  # leaves the caller's generator as it was (0 workers)
            torch.manual_seed(sample_seed)
            return self.dataset[index]


class EpochBatches(Sampler[list[tuple[int, int]]]):
    """This rank's share of each global batch of one epoch, from batch ``start`` on, as
    (image index, sample seed) keys of ``SeededSamples``."""

    def __init__(self, size: int, batch_size: int, seed: int, epoch: int, start: int, rank: int, world: int) -> None:
        self.size, self.batch_size, self.start, self.rank, self.world = size, batch_size, start, rank, world
        self.seed, self.epoch = seed, epoch
        self.order = torch.randperm(size, generator=torch.Generator().manual_seed(_mix(seed, epoch)))

    def __len__(self) -> int:
        return self.size // self.batch_size - self.start

    def __iter__(self):
        for b in range(self.start, self.size // self.batch_size):
            indices = self.order[b * self.batch_size:(b + 1) * self.batch_size][self.rank::self.world].tolist()
            yield [(i, _mix(self.seed, self.epoch, i)) for i in indices]


class FolderLoader:
    """Minibatches of a map-style dataset; ``batch_size`` is the global batch across ranks."""

    def __init__(self, dataset: Dataset, batch_size: int, *, device: torch.device, seed: int = 0,
                 loader_workers: int = 4, rank: int = 0, world: int = 1, channels_last: bool = False) -> None:
        self.dataset, self.device, self.seed, self.loader_workers = dataset, device, seed, loader_workers
        self.global_batch = min(batch_size, len(dataset))
        self.batch_size = self.global_batch // world  # this rank's share
        self.steps_per_epoch = len(dataset) // self.global_batch
        self.rank, self.world, self.channels_last = rank, world, channels_last
        self._iterator, self._next = None, None

    def _loader(self, dataset: Dataset, **kwargs) -> DataLoader:
        return DataLoader(dataset, num_workers=self.loader_workers, pin_memory=self.device.type == "cuda",
                          persistent_workers=False, **kwargs)

    def _to_device(self, x: torch.Tensor, y: torch.Tensor):
        x = x.to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(self.device, non_blocking=True)

    def batch(self, iteration: int):
        epoch, position = divmod(iteration, self.steps_per_epoch)
        if self._next != (epoch, position):
            sampler = EpochBatches(len(self.dataset), self.global_batch, self.seed, epoch, position, self.rank,
                                   self.world)
            # A generator of its own, so that starting workers draws nothing from torch's global one.
            self._iterator = iter(self._loader(SeededSamples(self.dataset), batch_sampler=sampler,
                                               generator=torch.Generator().manual_seed(self.seed)))
        with worker_sentences():
            x, y = next(self._iterator)
        self._next = (epoch, position + 1) if position + 1 < self.steps_per_epoch else None
        return self._to_device(x, y)

    def eval_batches(self, batch_size: int = 250):
        shard = list(range(self.rank, len(self.dataset), self.world))
        with worker_sentences():
            for x, y in self._loader(self.dataset, batch_size=batch_size, sampler=shard):
                yield self._to_device(x, y)
