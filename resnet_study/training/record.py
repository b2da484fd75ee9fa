"""What a run folder records of its trainer: config.json's record, and the checkpoint taken from
(and restored into) a trainer."""

from __future__ import annotations

import platform
import time

import torch

from ..config import epochs
from ..io import git_commit
from ..models import model_info
from .checkpoint import Checkpoint, check_same_numerics, load_checkpoint
from .device import device_name
from .optimizer import restore_optimizer
from .precision import requested_precision, resumable_precision, tf32_convolutions
from .runfolder import check_same_config, restore


def run_record(trainer) -> dict:
    """config.json: the requested config, the resolved schedule, the net, data, device, software."""
    cfg = trainer.cfg
    return {
        "config": trainer.requested.to_dict(),
        "schedule": {"iterations": cfg.iterations, "milestones": list(cfg.milestones),
                     "epochs": round(epochs(cfg.iterations, cfg.batch_size, trainer.train_images), 2)},
        "model": {"name": cfg.model, "kind": model_info(cfg.model).kind,
                  "parameters": sum(p.numel() for p in trainer.model.parameters())},
        "dataset": dict(trainer.loaders.description, processes=trainer.world), "notes": trainer.loaders.notes,
        "device": device_name(trainer.device), "cpu_threads": torch.get_num_threads(),
        "precision": {"autocast": trainer.precision, "requested": requested_precision(cfg),
                      "grad_scaler": trainer.scaler.is_enabled(), "channels_last": cfg.channels_last,
                      "tf32_convolutions": tf32_convolutions(trainer.precision, trainer.device),
                      "compile_mode": cfg.compile_mode if cfg.compile else None},
        "torch_version": torch.__version__, "python_version": platform.python_version(),
        "commit": git_commit(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def net_record(trainer) -> dict:
    """How to rebuild and feed the net from the checkpoint alone (``models.weights`` reads it):
    model name and options, the input normalisation with its statistics, the precision."""
    cfg, loader = trainer.cfg, trainer.train_loader
    return {"model": cfg.model, "kwargs": cfg.model_kwargs(trainer.loaders.description.get("classes")),
            "normalize": cfg.input_normalization,
            "mean": getattr(loader, "mean", torch.zeros(3, 1, 1)).cpu(),
            "std": getattr(loader, "std", torch.ones(3, 1, 1)).cpu(),
            "holdout": cfg.holdout, "precision": trainer.precision}


def capture(trainer) -> Checkpoint:
    """The trainer's whole state, as ``save_checkpoint`` writes it."""
    trainer.state.skipped_steps = int(trainer.skipped)
    return Checkpoint(trainer.state, trainer.model.state_dict(), trainer.optimizer.state_dict(),
                      trainer.metrics.cpu(), trainer.first_bad.cpu(), torch.get_rng_state(),
                      trainer.requested.to_dict(), trainer.loaders.fingerprint, torch.get_num_threads(),
                      net_record(trainer), trainer.scaler.state_dict(), trainer.device.type)


def resume(trainer) -> bool:
    """Restore the folder's newest checkpoint into ``trainer``; False when there is none. One
    sentence when it belongs to another run, other data or another CPU thread count, or when this
    device cannot compute its precision. A checkpoint of any device resumes on any other."""
    checkpoint = load_checkpoint(trainer.out, trainer.log)
    if checkpoint is None:
        return False
    path = trainer.out / "checkpoint.pt"
    check_same_config(trainer.out, trainer.requested.to_dict(), checkpoint.config, "checkpoint")
    check_same_numerics(path, checkpoint, trainer.loaders.fingerprint, trainer.cfg.data_dir, trainer.device)
    restore(trainer.model, checkpoint.model, path)
    restore_optimizer(trainer.optimizer, checkpoint.optimizer, path)
    trainer.metrics.copy_(checkpoint.metrics.to(trainer.metrics.dtype))  # MPS sums in float32, others float64
    trainer.first_bad.copy_(checkpoint.first_bad)
    torch.set_rng_state(checkpoint.torch_rng.cpu())
    trainer.state = checkpoint.progress
    trainer.skipped.fill_(trainer.state.skipped_steps)
    resume_precision(trainer, checkpoint)
    if checkpoint.device and checkpoint.device != trainer.device.type:
        trainer.log(f"warning: {path} was made on {checkpoint.device} and the run goes on on {trainer.device.type}: "
                    f"its numbers will differ slightly from an uninterrupted run's")
    return True


def resume_precision(trainer, checkpoint: Checkpoint) -> None:
    """A run goes on in the precision it started in (``auto`` may choose otherwise on this device),
    with fp16's loss scaler where it was."""
    started = checkpoint.net.get("precision")
    if started and started != trainer.precision:
        trainer.log(f"{trainer.out}: going on in {started}, the precision the run started in")
        trainer.set_precision(resumable_precision(started, trainer.device.type, trainer.out / "checkpoint.pt"))
    if checkpoint.scaler and trainer.scaler.is_enabled():
        trainer.scaler.load_state_dict(checkpoint.scaler)
