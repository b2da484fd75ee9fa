"""Training precision by device capability: the autocast dtype, and a gradient scaler for fp16.

``auto`` (README's precision table): bf16 autocast on CUDA GPUs of compute capability 8.0 and above
(A100, H100, RTX 30xx: bf16 tensor cores) and on CPUs that multiply bf16 in hardware; fp16 autocast
with ``torch.amp.GradScaler`` on older CUDA GPUs (T4, V100, P100 have no bf16 arithmetic; fp16's
narrow range needs the loss scaled); fp32 elsewhere (Apple's MPS, other CPUs). ``--no-amp`` means
fp32. The scaler's state lives in the checkpoint, so a resumed fp16 run goes on exactly.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from ..errors import StudyError
from .device import cpu_has_native_bf16

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def choose_precision(requested: str, device_type: str, capability: tuple[int, int] | None = None,
                     cpu_bf16: bool = False) -> str:
    """The precision a run trains in: ``requested`` (auto, bf16, fp16 or fp32) on a device of type
    ``device_type`` (cuda, cpu, mps) with CUDA compute ``capability`` (major, minor) and, on a CPU,
    native bf16 (``cpu_bf16``). A pure function; one sentence for bf16 on MPS."""
    if device_type == "mps" and requested == "bf16":
        raise StudyError("the MPS device trains in fp32 or fp16 autocast; use --precision fp16 or fp32")
    if requested != "auto":
        return requested
    if device_type == "cuda":
        return "bf16" if capability is not None and tuple(capability) >= (8, 0) else "fp16"
    return "bf16" if device_type == "cpu" and cpu_bf16 else "fp32"


def resumable_precision(started: str, device_type: str, checkpoint) -> str:
    """The precision a run begun in ``started`` goes on in on a device of type ``device_type``: the
    same one, on any device that computes it; one sentence naming ``checkpoint`` where none does."""
    if device_type == "mps" and started == "bf16":
        raise StudyError(f"{checkpoint} was trained in bf16, which the MPS device cannot compute; resume it on a "
                         f"CUDA GPU or the CPU (--device cuda or cpu)")
    return started


def requested_precision(cfg) -> str:
    """The config's precision (``--no-amp`` became fp32 in ``config.migrate``)."""
    return cfg.run.precision


def device_precision(requested: str, device: torch.device) -> str:
    """``choose_precision`` for this process's ``device``."""
    capability = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
    return choose_precision(requested, device.type, capability, device.type == "cpu" and cpu_has_native_bf16())


def autocast(precision: str, device: torch.device):
    """The autocast context of ``precision`` (none for fp32)."""
    if precision not in DTYPES:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=DTYPES[precision])


def tf32_convolutions(precision: str, device: torch.device) -> bool:
    """Whether ``precision``'s fp32 convolutions run as TF32 (10-bit mantissa) on ``device``: torch's
    default for cuDNN on CUDA GPUs of compute capability 8.0 and above (A100, H100, RTX 30xx). A run
    labelled fp32 there computes its convolutions at TF32, as most published GPU numbers did."""
    return (precision == "fp32" and device.type == "cuda" and torch.backends.cudnn.allow_tf32
            and torch.cuda.get_device_capability(device) >= (8, 0))


def scaled_step(scaler: torch.amp.GradScaler, optimizer: torch.optim.Optimizer, norms=None):
    """``optimizer``'s step through the loss scaler, and whether fp16's scaler skipped it (a gradient
    was not finite): (an int64 () tensor on the device, 1 or 0, without a host sync, or None when no
    scaler runs; ``norms``, the step's gradient norms, or None when it was skipped: not a step)."""
    scaler.step(optimizer)
    skipped = None
    if scaler.is_enabled():
        found = scaler._found_inf_per_device(optimizer)  # the scaler's own record; torch has no public accessor
        skipped = (torch.stack([f.reshape(()) for f in found.values()]).sum() > 0).to(torch.int64)
        if norms is not None and bool(skipped):  # a host sync, on the few steps that record norms
            norms = None
    scaler.update()  # forgets the step's record
    return skipped, norms


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler:
    """A loss scaler, enabled for fp16 only: disabled, it passes the loss and the step through unchanged."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


@dataclass(frozen=True)
class Precision:
    """What a run trains in: ``name`` (bf16, fp16 or fp32), its autocast context (reusable) and its
    loss scaler (enabled for fp16 only)."""

    name: str
    autocast: contextlib.AbstractContextManager
    scaler: torch.amp.GradScaler

    @classmethod
    def on(cls, name: str, device: torch.device) -> "Precision":
        return cls(name, autocast(name, device), grad_scaler(name, device))
