"""Where a run trains: device names, the CPU's model (lscpu) and bf16 support, torchrun's environment."""

from __future__ import annotations

import functools
import os
import platform
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist

from ..config import check_device
from ..errors import StudyError


def resolve_device(name: str) -> torch.device:
    """``auto`` (CUDA when there is one, else the CPU), ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (Apple
    GPUs); one sentence for a GPU this machine lacks."""
    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise StudyError(f"device {name!r} was asked for but this machine has no CUDA GPU; use --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise StudyError("device 'mps' was asked for but torch reports no Apple GPU (MPS) here; use --device cpu")
    return device


def sum_dtype(device: torch.device) -> torch.dtype:
    """The dtype of running sums on ``device``: float64, or float32 on MPS, which has no float64."""
    return torch.float32 if device.type == "mps" else torch.float64


def distributed_env() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) without it."""
    return (int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
            int(os.environ.get("LOCAL_RANK", 0)))


def join_process_group(device: torch.device, local_rank: int, world: int) -> torch.device:
    """Under torchrun (``world`` > 1): this process's GPU, in the process group (NCCL on CUDA, else gloo)."""
    if world > 1:
        if device.type == "cuda":
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def device_name(device: torch.device) -> str:
    """The GPU's marketing name, or the CPU's model (lscpu) and the threads torch uses."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return f"Apple GPU (mps, {platform.machine()})"
    return f"cpu ({cpu_model()}, {torch.get_num_threads()} threads)"


@functools.cache  # one lscpu per process
def cpu_model() -> str:
    """``lscpu``'s model name (the hardware of a CPU run), else the platform's processor."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        text = ""
    names = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Model name")]
    return names[0] if names else platform.processor() or platform.machine()


def cpu_has_native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX, from ``cpuinfo``'s flags):
    there bf16 autocast speeds training up; elsewhere it is emulated and slower than fp32."""
    try:
        flags = Path(cpuinfo).read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None



def all_reduce_sum(world: int):
    """A function that sums a tensor over ``world`` processes in place and returns it (itself for one)."""
    def reduce(tensor):
        if world > 1:
            dist.all_reduce(tensor)
        return tensor

    return reduce


def broadcast_buffers(model, world: int) -> None:
    """Every process's BN statistics become process 0's, the ones its checkpoint saves: DDP keeps the
    weights equal, but each process updates its running statistics on its own share of the batch."""
    if world > 1:
        for buffer in model.buffers():
            dist.broadcast(buffer, 0)


def first_of_all(first_bad, world: int):
    """The earliest of every process's first non-finite iteration (-1 when none had one)."""
    if world == 1:
        return first_bad
    none = torch.iinfo(first_bad.dtype).max
    earliest = torch.where(first_bad < 0, torch.full_like(first_bad, none), first_bad)
    dist.all_reduce(earliest, op=dist.ReduceOp.MIN)
    return torch.where(earliest == none, torch.full_like(first_bad, -1), earliest)


@contextmanager
def process_group_of_run(joined: bool):
    """Destroy the process group when the block ends, if this run made it (``joined``)."""
    try:
        yield
    finally:
        if joined and dist.is_initialized():
            dist.destroy_process_group()
