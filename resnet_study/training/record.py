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
from .precision import choose_precision, requested_precision
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
                      "grad_scaler": trainer.scaler.is_enabled(), "channels_last": cfg.channels_last},
        "torch_version": torch.__version__, "python_version": platform.python_version(),
        "commit": git_commit(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "resume": resume_exactness(trainer.device),
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
    return Checkpoint(trainer.state, trainer.model.state_dict(), trainer.optimizer.state_dict(),
                      trainer.metrics.cpu(), trainer.first_bad.cpu(), torch.get_rng_state(),
                      trainer.requested.to_dict(), trainer.loaders.fingerprint, torch.get_num_threads(),
                      net_record(trainer), trainer.scaler.state_dict())


def resume(trainer) -> bool:
    """Restore the folder's newest checkpoint into ``trainer``; False when there is none. One
    sentence when it belongs to another run, other data or another CPU thread count."""
    checkpoint = load_checkpoint(trainer.out, trainer.device, trainer.log)
    if checkpoint is None:
        return False
    path = trainer.out / "checkpoint.pt"
    check_same_config(trainer.out, trainer.requested.to_dict(), checkpoint.config, "checkpoint")
    check_same_numerics(path, checkpoint, trainer.loaders.fingerprint, trainer.cfg.data_dir, trainer.device)
    restore(trainer.model, checkpoint.model, path)
    restore(trainer.optimizer, checkpoint.optimizer, path)
    trainer.metrics.copy_(checkpoint.metrics)
    trainer.first_bad.copy_(checkpoint.first_bad)
    torch.set_rng_state(checkpoint.torch_rng.cpu())
    trainer.state = checkpoint.progress
    resume_precision(trainer, checkpoint)
    return True


def resume_precision(trainer, checkpoint: Checkpoint) -> None:
    """A run goes on in the precision it started in (``auto`` may choose otherwise on this device),
    with fp16's loss scaler where it was."""
    started = checkpoint.net.get("precision")
    if started and started != trainer.precision:
        trainer.log(f"{trainer.out}: going on in {started}, the precision the run started in")
        trainer.set_precision(choose_precision(started, trainer.device.type))
    if checkpoint.scaler and trainer.scaler.is_enabled():
        trainer.scaler.load_state_dict(checkpoint.scaler)
