"""``resnet-study bench``: training throughput of our engine beside a conventional PyTorch loop.

The conventional loop is what the widely used CIFAR reproductions do: torchvision's CIFAR10
dataset, PIL transforms (pad-crop, flip, ToTensor, Normalize), a DataLoader with worker
processes, fp32, no channels_last. Both train the same model with the same optimiser, in the
same process, timed after warm-up with the device synchronised.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .errors import StudyError
from .io import git_commit
from .training.device import device_name, resolve_device
from .training.loop import Trainer, build_model


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_engine(trainer: Trainer, steps: int, warmup: int) -> float:
    """Images per second of the engine's own training step (device-resident data)."""
    for i in range(warmup):
        trainer.train_step(i)
    _synchronize(trainer.device)
    start = time.perf_counter()
    for i in range(warmup, warmup + steps):
        trainer.train_step(i)
    trainer.metrics.tolist()  # the engine reads its metrics once per logged row
    _synchronize(trainer.device)
    return steps * trainer.train_loader.batch_size / (time.perf_counter() - start)


def check_conventional(cfg) -> None:
    """One sentence unless torchvision's CIFAR10 can read ``cfg.data_dir``: the conventional loop
    needs CIFAR-10 with all five training batches and batches.meta (our loader takes subsets)."""
    from .data.cifar import FOLDER, TRAIN_BATCHES

    if cfg.dataset != "cifar10":
        raise StudyError("the conventional loop reads CIFAR-10 only; time ImageFolder data with --engine-only")
    root = Path(cfg.data_dir)
    folder = root if root.name == FOLDER else root / FOLDER
    missing = [name for name in [*TRAIN_BATCHES, "batches.meta"] if not (folder / name).is_file()]
    if missing and any((folder / name).exists() for name in TRAIN_BATCHES):  # none: the engine downloads or says so
        raise StudyError(f"{folder} lacks {', '.join(missing)}, which the conventional loop (torchvision's "
                         f"CIFAR10) needs; add them or pass --engine-only")


def conventional_loader(data_dir: str, batch_size: int, workers: int, pin_memory: bool):
    import torchvision.transforms as T
    from torchvision.datasets import CIFAR10

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


def time_conventional(model: torch.nn.Module, loader, device: torch.device, steps: int, warmup: int,
                      lr: float = 0.1) -> float:
    """Images per second of a plain fp32 loop fed by a DataLoader."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    batches = itertools.chain.from_iterable(itertools.repeat(loader))
    model.train()

    def step():
        x, y = next(batches)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return len(y)

    for _ in range(warmup):
        step()
    _synchronize(device)
    start = time.perf_counter()
    images = sum(step() for _ in range(steps))
    _synchronize(device)
    return images / (time.perf_counter() - start)


def measure_engine(cfg, steps: int, warmup: int) -> tuple[float, Trainer]:
    """Images per second of ``cfg``'s training step, on a trainer built in a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        trainer = Trainer(cfg, scratch, progress=False, log=lambda *_: None)
        trainer.setup()
        return time_engine(trainer, steps, warmup), trainer


def profile_engine(trainer: Trainer, steps: int = 20, warmup: int = 10) -> dict:
    """Where a training step's time goes on a GPU: the kernels' busy time against the wall time of
    ``steps`` steps; the rest is launch gaps (host-side work the GPU waits for), in milliseconds."""
    from torch.profiler import ProfilerActivity, profile

    for i in range(warmup):
        trainer.train_step(i)
    _synchronize(trainer.device)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        start = time.perf_counter()
        for i in range(warmup, warmup + steps):
            trainer.train_step(i)
        _synchronize(trainer.device)
        wall = time.perf_counter() - start
    kernels = sum(e.self_device_time_total for e in prof.key_averages()) / 1e3  # microseconds -> ms
    return {"steps": steps, "wall_ms_per_step": round(wall * 1e3 / steps, 3),
            "kernel_ms_per_step": round(kernels / steps, 3),
            "gap_ms_per_step": round(wall * 1e3 / steps - kernels / steps, 3)}


def benchmark(cfg, *, steps: int = 50, warmup: int = 10, conventional: bool = True, profile: bool = False) -> dict:
    """Both loops on ``cfg``'s model and batch; the conventional one with ``cfg.loader_workers``
    DataLoader processes; with ``profile``, the engine's kernel time against its launch gaps."""
    if profile and resolve_device(cfg.device).type != "cuda":
        raise StudyError("--profile measures GPU kernels against launch gaps; it needs a CUDA device")
    ours, trainer = measure_engine(cfg, steps, warmup)
    result = {"model": cfg.model, "batch_size": cfg.batch_size, "device": device_name(trainer.device),
              "torch_version": torch.__version__, "compile": cfg.compile,
              "precision": trainer.precision, "channels_last": cfg.channels_last,
              "steps": steps, "warmup": warmup, "engine_images_per_second": round(ours, 1),
              "commit": git_commit()}
    if profile:
        result["profile"] = profile_engine(trainer)
    if conventional:
        torch.manual_seed(cfg.seed)
        model = build_model(cfg).to(trainer.device)
        loader = conventional_loader(cfg.data_dir, cfg.batch_size, cfg.loader_workers, trainer.device.type == "cuda")
        theirs = time_conventional(model, loader, trainer.device, steps, warmup)
        result.update(conventional_images_per_second=round(theirs, 1), conventional_workers=cfg.loader_workers,
                      speedup=round(ours / theirs, 2))
    return result


def describe(result: dict) -> str:
    """``benchmark``'s result as the command prints it."""
    lines = [f"{result['model']} on {result['device']}, batch {result['batch_size']}, torch {result['torch_version']}",
             f"  engine (device-resident data, {result['precision']}"
             f"{', channels_last' if result['channels_last'] else ''})"
             f": {result['engine_images_per_second']:>10,.0f} images/s"]
    if "speedup" in result:
        lines += [f"  conventional (DataLoader, PIL, fp32, {result['conventional_workers']} loader workers): "
                  f"{result['conventional_images_per_second']:>10,.0f} images/s",
                  f"  speed-up: {result['speedup']:.2f}x"]
    if "profile" in result:
        p = result["profile"]
        lines.append(f"  per step: {p['wall_ms_per_step']:.2f} ms wall, {p['kernel_ms_per_step']:.2f} ms in GPU kernels, "
                     f"{p['gap_ms_per_step']:.2f} ms of launch gaps")
    return "\n".join(lines)
