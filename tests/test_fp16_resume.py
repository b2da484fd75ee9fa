"""fp16 that cannot corrupt a run, and runs that resume on another device (issue 24, item 3).

torch's fused SGD kernel runs on the CPU too, so the CUDA path's faults are reproduced here: the
loss scaler skipping the first step of fused SGD, and a run whose optimiser steps one way on the
device it began on and the other way on the device it resumes on.
"""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch

from resnet_study.errors import StudyError
from resnet_study.training import checkpoint as checkpoints
from resnet_study.training import loop
from resnet_study.training import optimizer as optimizers
from resnet_study.training.loop import Trainer, train
from resnet_study.training import precision as precisions
from resnet_study.training.precision import Precision, resumable_precision

from helpers import QUIET, Interrupt, crash_at, tiny_config

pytestmark = pytest.mark.usefixtures("quiet_warnings")


def _fp16(cifar_dir, **overrides):
    settings = dict(precision="fp16", iterations=8, batch_size=16, milestones=(6,), log_every=2, eval_every=4,
                    checkpoint_every=4)
    return tiny_config(cifar_dir, **{**settings, **overrides})


def _two_steps_after_an_overflow(cifar_dir, tmp_path, monkeypatch, fused: bool) -> tuple[list, list, float]:
    """Weights before, and after step 0 (overflowed, so skipped) and step 1, and the scale between."""
    monkeypatch.setattr(optimizers, "FUSED_DEVICES", ("cpu", "cuda") if fused else ())
    trainer = Trainer(_fp16(cifar_dir), tmp_path / ("fused" if fused else "foreach"), **QUIET)
    trainer.setup()
    assert trainer.optimizer.defaults.get("fused") is (True if fused else None)
    # A scale that overflows fp16's gradients (max 65504) at once, then drops to a sane one.
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**60, backoff_factor=2.0**-50)
    trainer.parts = dataclasses.replace(trainer.parts, precision=Precision("fp16", trainer.autocast, scaler))
    before = [p.detach().clone() for p in trainer.model.parameters()]
    for group in trainer.optimizer.param_groups:
        group["lr"] = 0.1
    trainer.train_step(0)
    scale = trainer.scaler.get_scale()
    skipped = [p.detach().clone() for p in trainer.model.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, skipped))  # the scaler skipped step 0
    trainer.train_step(1)
    return before, [p.detach().clone() for p in trainer.model.parameters()], scale


def test_an_overflow_on_the_first_step_cannot_corrupt_fused_sgd(cifar_dir, tmp_path, monkeypatch):
    before, fused, scale = _two_steps_after_an_overflow(cifar_dir, tmp_path, monkeypatch, fused=True)
    assert scale == 2.0**10  # step 0 overflowed and was skipped
    # Unfixed, the fused kernel's uninitialised momentum moved weights to about -1e27 here.
    assert all(torch.isfinite(p).all() for p in fused)
    assert max((a - b).abs().max().item() for a, b in zip(before, fused)) < 1
    _, foreach, _ = _two_steps_after_an_overflow(cifar_dir, tmp_path, monkeypatch, fused=False)
    for a, b in zip(fused, foreach):  # the fused step is the textbook step
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("began,resumed", [((), ("cpu",)), (("cpu",), ())], ids=["to-fused", "from-fused"])
def test_an_fp16_run_resumes_where_its_optimizer_steps_another_way(cifar_dir, tmp_path, monkeypatch, began, resumed):
    """A CPU run resumed on CUDA (fused SGD, whose step the scaler drives) and the reverse."""
    cfg = _fp16(cifar_dir)
    straight = train(cfg, tmp_path / "straight", **QUIET)
    monkeypatch.setattr(optimizers, "FUSED_DEVICES", began)
    trainer = Trainer(cfg, tmp_path / "run", **QUIET)
    crash_at(trainer, 6)  # checkpoint at 4
    with pytest.raises(Interrupt):
        trainer.run()
    monkeypatch.setattr(optimizers, "FUSED_DEVICES", resumed)
    trainer = Trainer(cfg, tmp_path / "run", **QUIET)
    summary = trainer.run()
    assert summary["status"] == "done" and summary["iterations"] == 8
    assert all(group.get("fused") is (True if resumed else None) for group in trainer.optimizer.param_groups)
    assert summary["final_train_error"] == pytest.approx(straight["final_train_error"], abs=0.1)


def test_a_checkpoint_of_another_device_resumes_whatever_this_cpu_threads(cifar_dir, tmp_path):
    cfg = _fp16(cifar_dir)
    trainer = Trainer(cfg, tmp_path, **QUIET)
    crash_at(trainer, 6)
    with pytest.raises(Interrupt):
        trainer.run()
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["device"] == "cpu"
    state.update(device="cuda", cpu_threads=torch.get_num_threads() + 7)  # as a GPU machine saves it
    torch.save(state, tmp_path / "checkpoint.pt")
    said = []
    assert train(cfg, tmp_path, progress=False, log=said.append)["status"] == "done"
    assert any("was made on cuda and the run goes on on cpu" in line for line in said)


def test_float64_sums_resume_where_the_device_has_none(cifar_dir, tmp_path, monkeypatch):
    """MPS sums in float32: a checkpoint's float64 sums are converted on the CPU, never sent as they are."""
    cfg = _fp16(cifar_dir, precision="fp32")
    trainer = Trainer(cfg, tmp_path, **QUIET)
    crash_at(trainer, 5)  # in the middle of a logging interval: the sums are not zero
    with pytest.raises(Interrupt):
        trainer.run()
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["metrics"].dtype == torch.float64
    monkeypatch.setattr(loop, "sum_dtype", lambda device: torch.float32)
    trainer = Trainer(cfg, tmp_path, **QUIET)
    assert trainer.run()["status"] == "done" and trainer.metrics.dtype == torch.float32


def test_checkpoints_load_to_the_cpu_and_bf16_on_mps_is_one_sentence(cifar_dir, tmp_path):
    train(_fp16(cifar_dir, iterations=4, milestones=(2,)), tmp_path, **QUIET)
    checkpoint = checkpoints.load_checkpoint(tmp_path, print)
    assert {t.device.type for t in checkpoint.model.values()} == {"cpu"}
    assert resumable_precision("fp16", "mps", tmp_path / "checkpoint.pt") == "fp16"
    with pytest.raises(StudyError, match="was trained in bf16, which the MPS device cannot compute; resume it on"):
        resumable_precision("bf16", "mps", tmp_path / "checkpoint.pt")


def test_an_unreadable_checkpoint_is_never_said_to_be_deleted(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a zip")
    with pytest.raises(StudyError, match="corrupt or truncated") as caught:
        checkpoints.load_checkpoint(tmp_path, print)
    assert "delete" not in str(caught.value) and "another torch version" in str(caught.value)


def _overflowing_scaler(precision, device):
    """fp16's scaler at a scale that overflows the first step's gradients, then at a sane one."""
    return torch.amp.GradScaler(device.type, init_scale=2.0**60, backoff_factor=2.0**-50,
                                enabled=precision == "fp16")


def test_a_skipped_step_is_never_recorded_as_a_step(cifar_dir, tmp_path, monkeypatch):
    """Issue 23.3: the gradients of a step the scaler skipped were written as the net's (inf)."""
    monkeypatch.setattr(precisions, "grad_scaler", _overflowing_scaler)
    cfg = _fp16(cifar_dir)
    summary = train(cfg, tmp_path / "straight", **QUIET)
    assert summary["status"] == "done" and summary["skipped_steps"] == 1
    gradients = pd.read_csv(tmp_path / "straight" / "gradients.csv")
    assert np.isfinite(gradients.grad_norm).all() and (gradients.grad_norm > 0).all()
    layers = gradients.layer.max()
    # iteration 0's norms come from step 1, the first the scaler took: the net had not moved yet
    assert gradients.iteration.tolist() == [i for i in (0, 2, 4, 6, 8) for _ in range(layers)]
    curves = pd.read_csv(tmp_path / "straight" / "curves.csv")
    assert curves.skipped_steps.tolist() == [1, 1, 1, 1]
    assert json.loads((tmp_path / "straight" / "progress.json").read_text())["skipped_steps"] == 1
    trainer = Trainer(cfg, tmp_path / "resumed", **QUIET)
    crash_at(trainer, 6)
    with pytest.raises(Interrupt):
        trainer.run()
    assert train(cfg, tmp_path / "resumed", **QUIET)["skipped_steps"] == 1
    for name in ("curves.csv", "gradients.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "straight" / name),
                                      pd.read_csv(tmp_path / "resumed" / name), check_exact=True)


def test_runs_without_a_scaler_keep_their_columns(cifar_dir, tmp_path):
    summary = train(_fp16(cifar_dir, precision="fp32", iterations=4, milestones=(2,)), tmp_path, **QUIET)
    assert "skipped_steps" not in summary and "skipped_steps" not in pd.read_csv(tmp_path / "curves.csv")
