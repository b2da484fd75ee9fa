"""``resnet-study bench``: training throughput of our engine beside a conventional PyTorch loop.

The conventional loop is what the widely used CIFAR reproductions do: torchvision's CIFAR10
dataset, PIL transforms (pad-crop, flip, ToTensor, Normalize), a DataLoader with worker
processes, fp32, no channels_last. Both train the same model with the same optimiser, in the
same process, timed after warm-up with the device synchronised.

Effective FLOP/s count 6 FLOPs per multiply-add of the forward pass for each image of a training
step: 2 FLOPs per multiply-add, and a step costs about 3 forward passes (the backward pass computes
gradients of both activations and weights, twice the forward's work), the convention of Kaplan et
al. (2020) and of MFU figures. Batch norm, ReLU and the optimiser are not counted.
"""

from __future__ import annotations

import itertools
import tempfile
import time

import torch
import torch.nn.functional as F

from .data import dataset_info
from .errors import StudyError
from .io import git_commit
from .models import count_macs, model_info
from .training.device import device_name
from .training.loop import Trainer, build_model
from .training.precision import tf32_convolutions

FLOPS_PER_MAC_TRAINING = 6  # 2 FLOPs per multiply-add x (forward + backward of twice its cost)
PROFILE_STEPS = 20  # profiled steps at most: enough to average, few enough for a short trace


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_engine(trainer: Trainer, steps: int, warmup: int) -> tuple[float, float]:
    """Images per second of the engine's own training step (device-resident data), timed after
    ``warmup`` untimed steps, and the seconds those took (compilation and cuDNN autotuning happen
    there, so neither is in the rate)."""
    start = time.perf_counter()
    for i in range(warmup):
        trainer.train_step(i)
    trainer.metrics.tolist()
    _synchronize(trainer.device)
    warm = time.perf_counter()
    for i in range(warmup, warmup + steps):
        trainer.train_step(i)
    trainer.metrics.tolist()  # the engine reads its metrics once per logged row
    _synchronize(trainer.device)
    return steps * trainer.train_loader.batch_size / (time.perf_counter() - warm), warm - start


def training_flops_per_image(cfg) -> int:
    """FLOPs of one image's share of a training step: ``FLOPS_PER_MAC_TRAINING`` per multiply-add of
    the forward pass at the run's input size (ImageFolder nets at ``cfg.data.image_size``)."""
    # The ImageNet nets pool globally: any crop size runs.
    size = dataset_info(cfg.data.dataset).input_size(cfg, model_info(cfg.model.name))
    with torch.device("meta"):  # no weights allocated: counting takes milliseconds
        model = build_model(cfg)
    return FLOPS_PER_MAC_TRAINING * count_macs(model, size)


def device_time(events) -> tuple[float, float, int]:
    """Kernel time and busy time in microseconds, and the count, of the device-side events in a
    torch.profiler event list (``prof.events()``): kernels, copies and sets on a CUDA device, each
    counted once as its own activity. The CPU ops that launched them are left out (their device
    time totals repeat the same kernels), and so are user annotations (ranges, not work). Kernel
    time sums the events; busy time is the union of their intervals (streams may overlap)."""
    spans = sorted((e.time_range.start, e.time_range.end) for e in events
                   if e.device_type == torch.autograd.DeviceType.CUDA and not getattr(e, "is_user_annotation", False))
    kernels = sum(end - start for start, end in spans)
    busy, reach = 0.0, float("-inf")
    for start, end in spans:
        busy += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    return kernels, busy, len(spans)


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


def measure_engine(cfg, steps: int, warmup: int) -> tuple[float, float, Trainer]:
    """``time_engine`` on ``cfg``'s training step, on a trainer built in a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        trainer = Trainer(cfg, scratch, progress=False, log=lambda *_: None)
        trainer.setup()
        return (*time_engine(trainer, steps, warmup), trainer)


def profile_engine(trainer: Trainer, wall_ms_per_step: float, steps: int = PROFILE_STEPS) -> dict:
    """Where a warm training step's time goes: the device's kernel and busy time per step
    (``device_time``) against ``wall_ms_per_step``, measured without the profiler (whose overhead
    slows the host), in milliseconds; the rest is launch gaps, host-side work the GPU waits for.
    Without device-side events (a CPU, or a CUDA profiler that recorded none) those are None."""
    from torch.profiler import ProfilerActivity, profile

    cuda = trainer.device.type == "cuda"
    with profile(activities=[ProfilerActivity.CPU, *([ProfilerActivity.CUDA] if cuda else [])]) as prof:
        for i in range(steps):
            trainer.train_step(i)
        _synchronize(trainer.device)
    kernel_us, busy_us, count = device_time(prof.events())
    result = {"steps": steps, "wall_ms_per_step": round(wall_ms_per_step, 3), "device_events": count,
              "kernel_ms_per_step": None, "busy_ms_per_step": None, "gap_ms_per_step": None, "busy_share": None}
    if count:
        busy = busy_us / 1e3 / steps
        result.update(kernel_ms_per_step=round(kernel_us / 1e3 / steps, 3), busy_ms_per_step=round(busy, 3),
                      gap_ms_per_step=round(wall_ms_per_step - busy, 3), busy_share=round(busy / wall_ms_per_step, 4))
    return result


def benchmark(cfg, *, steps: int = 50, warmup: int = 10, conventional: bool = True, profile: bool = False) -> dict:
    """Both loops on ``cfg``'s model and batch; the conventional one with ``cfg.data.loader_workers``
    DataLoader processes; with ``profile``, the engine's kernel time against its wall time."""
    if cfg.run.compile and warmup < 1:
        raise StudyError("--compile compiles during the first steps; give --warmup 1 or more so that the "
                         "compilation is not timed")
    ours, warmup_seconds, trainer = measure_engine(cfg, steps, warmup)
    flops = training_flops_per_image(cfg)
    result = {"model": cfg.model.name, "batch_size": cfg.optim.batch_size, "device": device_name(trainer.device),
              "torch_version": torch.__version__, "compile": cfg.run.compile, "compile_mode": cfg.run.compile_mode,
              "precision": trainer.precision, "channels_last": cfg.run.channels_last,
              "tf32_convolutions": tf32_convolutions(trainer.precision, trainer.device),
              "steps": steps, "warmup": warmup, "warmup_seconds": round(warmup_seconds, 2),
              "engine_images_per_second": round(ours, 1), "training_flops_per_image": flops,
              "engine_tflops": round(ours * flops / 1e12, 4), "commit": git_commit()}
    if profile:
        result["profile"] = profile_engine(trainer, 1e3 * cfg.optim.batch_size / ours, min(steps, PROFILE_STEPS))
    if conventional:
        torch.manual_seed(cfg.run.seed)
        model = build_model(cfg).to(trainer.device)
        loader = dataset_info(cfg.data.dataset).conventional_loader(cfg, trainer.device.type == "cuda")
        theirs = time_conventional(model, loader, trainer.device, steps, warmup)
        result.update(conventional_images_per_second=round(theirs, 1), conventional_workers=cfg.data.loader_workers,
                      speedup=round(ours / theirs, 2))
    return result


def _compiled(result: dict) -> str:
    if not result["compile"]:
        return ""
    return ", CUDA graphs" if result.get("compile_mode") == "reduce-overhead" else ", compiled"


def describe(result: dict) -> str:
    """``benchmark``'s result as the command prints it."""
    tflops = result["engine_tflops"]
    rate = f"{tflops:.1f} TFLOP/s" if tflops >= 1 else f"{tflops * 1e3:.1f} GFLOP/s"
    lines = [f"{result['model']} on {result['device']}, batch {result['batch_size']}, torch {result['torch_version']}",
             f"  engine (device-resident data, {result['precision']}"
             f"{' with TF32 convolutions' if result.get('tf32_convolutions') else ''}"
             f"{', channels_last' if result['channels_last'] else ''}{_compiled(result)})"
             f": {result['engine_images_per_second']:>10,.0f} images/s, {rate} effective "
             f"({FLOPS_PER_MAC_TRAINING} FLOPs per multiply-add of the forward pass)",
             f"  warm-up, not timed: {result['warmup']} step{'' if result['warmup'] == 1 else 's'} in "
             f"{result['warmup_seconds']:.1f} s"]
    if "speedup" in result:
        lines += [f"  conventional (DataLoader, PIL, fp32, {result['conventional_workers']} loader workers): "
                  f"{result['conventional_images_per_second']:>10,.0f} images/s",
                  f"  speed-up: {result['speedup']:.2f}x"]
    if "profile" in result:
        p = result["profile"]
        if p["busy_share"] is None:
            lines.append(f"  per step: {p['wall_ms_per_step']:.2f} ms wall; the profiler saw no device kernels")
        else:
            lines.append(f"  per step: {p['wall_ms_per_step']:.2f} ms wall (unprofiled), device busy "
                         f"{p['busy_ms_per_step']:.2f} ms ({p['busy_share']:.0%}; kernels "
                         f"{p['kernel_ms_per_step']:.2f} ms), {p['gap_ms_per_step']:.2f} ms of launch gaps")
    return "\n".join(lines)
