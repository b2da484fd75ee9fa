"""What a run folder records of its trainer's parts: config.json's record, and the checkpoint taken
from a run's ``Parts`` and ``Progress`` (and read back as new values: nothing here changes a Trainer)."""

from __future__ import annotations

import platform
import time
from pathlib import Path

import torch

from ..config import TrainConfig, epochs
from ..io import git_commit
from ..models import model_info
from .artefacts import CHECKPOINT
from .checkpoint import Checkpoint, check_same_numerics, load_checkpoint
from .device import device_name
from .optimizer import restore_optimizer
from .precision import Precision, requested_precision, resumable_precision, tf32_convolutions
from .runfolder import check_same_config, restore
from .state import Parts, Progress


def run_record(parts: Parts, requested: TrainConfig, world: int) -> dict:
    """config.json: the ``requested`` config, the resolved schedule, the net, the data (read by
    ``world`` processes), device, precision and software."""
    cfg, loaders, precision = parts.cfg, parts.loaders, parts.precision
    return {
        "config": requested.to_dict(),
        "schedule": {"iterations": cfg.optim.iterations, "milestones": list(cfg.optim.milestones),
                     "epochs": round(epochs(cfg.optim.iterations, cfg.optim.batch_size, loaders.train_images), 2)},
        "model": {"name": cfg.model.name, "kind": model_info(cfg.model.name).kind,
                  "parameters": sum(p.numel() for p in parts.model.parameters())},
        "dataset": dict(loaders.description, processes=world), "notes": loaders.notes,
        "device": device_name(parts.device), "cpu_threads": torch.get_num_threads(),
        "precision": {"autocast": precision.name, "requested": requested_precision(cfg),
                      "grad_scaler": precision.scaler.is_enabled(), "channels_last": cfg.run.channels_last,
                      "tf32_convolutions": tf32_convolutions(precision.name, parts.device),
                      "compile_mode": cfg.run.compile_mode if cfg.run.compile else None},
        "torch_version": torch.__version__, "python_version": platform.python_version(),
        "commit": git_commit(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "resume": resume_exactness(parts.device),
    }


def resume_exactness(device: torch.device) -> str:
    """config.json's ``resume``: how exactly a resumed run repeats an uninterrupted one on ``device``.
    Every loader gives the same batches and augmentation after a resume; only the CPU's arithmetic
    is the same from run to run."""
    if device.type == "cpu":
        return "exact: a resumed run has the same batches, augmentation and numbers as an uninterrupted one"
    return (f"not bitwise on {device.type}: a resumed run has the same batches and augmentation as an "
            f"uninterrupted one, but cuDNN autotuning and atomic adds vary from run to run, so numbers agree "
            f"only to rounding (as two uninterrupted runs do)")


def net_record(parts: Parts) -> dict:
    """How to rebuild and feed the net from the checkpoint alone (``models.weights`` reads it):
    model name and options, the input normalisation with its statistics, the precision."""
    cfg, loader = parts.cfg, parts.loaders.train
    return {"model": cfg.model.name, "kwargs": cfg.model.kwargs(parts.loaders.description.get("classes")),
            "normalize": cfg.data.input_normalization,
            "mean": getattr(loader, "mean", torch.zeros(3, 1, 1)).cpu(),
            "std": getattr(loader, "std", torch.ones(3, 1, 1)).cpu(),
            "holdout": cfg.data.holdout, "precision": parts.precision.name}


def capture(parts: Parts, progress: Progress, requested: TrainConfig) -> Checkpoint:
    """A run's whole state, as ``save_checkpoint`` writes it."""
    return Checkpoint(progress, parts.model.state_dict(), parts.optimizer.state_dict(), torch.get_rng_state(),
                      requested.to_dict(), parts.loaders.fingerprint, torch.get_num_threads(), net_record(parts),
                      parts.precision.scaler.state_dict(), parts.device.type)


def resume(out: Path, parts: Parts, start: Progress, requested: TrainConfig, log) -> tuple[Progress, Precision] | None:
    """The progress and precision of ``out``'s newest checkpoint, its net and optimiser restored into
    ``parts`` and its sums into ``start``'s tensors; None when there is none. One sentence when it
    belongs to another run, other data or another CPU thread count, or when this device cannot
    compute its precision. A checkpoint of any device resumes on any other."""
    checkpoint = load_checkpoint(out, log)
    if checkpoint is None:
        return None
    path = out / CHECKPOINT.file
    check_same_config(out, requested.to_dict(), checkpoint.config, "checkpoint")
    check_same_numerics(path, checkpoint, parts.loaders.fingerprint, parts.cfg.data.data_dir, parts.device)
    restore(parts.model, checkpoint.model, path)
    restore_optimizer(parts.optimizer, checkpoint.optimizer, path)
    torch.set_rng_state(checkpoint.torch_rng.cpu())
    precision = resumed_precision(out, parts, checkpoint, log)
    if checkpoint.device and checkpoint.device != parts.device.type:
        log(f"warning: {path} was made on {checkpoint.device} and the run goes on on {parts.device.type}: "
            f"its numbers will differ slightly from an uninterrupted run's")
    return checkpoint.progress.onto(start), precision


def resumed_precision(out: Path, parts: Parts, checkpoint: Checkpoint, log) -> Precision:
    """A run goes on in the precision it started in (``auto`` may choose otherwise on this device),
    with fp16's loss scaler where it was."""
    precision, started = parts.precision, checkpoint.net.get("precision")
    if started and started != precision.name:
        log(f"{out}: going on in {started}, the precision the run started in")
        precision = Precision.on(resumable_precision(started, parts.device.type, out / CHECKPOINT.file), parts.device)
    if checkpoint.scaler and precision.scaler.is_enabled():
        precision.scaler.load_state_dict(checkpoint.scaler)
    return precision
