"""A run folder's files are declared once (training/artefacts.py): the loop writes exactly those, with
the declared columns; the sweep stacks whatever is declared stacked; the Trainer's state is typed."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from resnet_study.cli import main
from resnet_study.sweep import Sweep, write_tables
from resnet_study.training import artefacts
from resnet_study.training.artefacts import ARTEFACTS, CURVES, FINISHED, LOCK, SUMMARY, Artefact
from resnet_study.training.checkpoint import Checkpoint
from resnet_study.training.loop import Trainer, train
from resnet_study.training.state import Parts, Progress, Step
from resnet_study.training.writer import RunWriter

from helpers import QUIET, tiny_config

pytestmark = pytest.mark.usefixtures("quiet_warnings")

# checkpoint.pt's keys as every checkpoint so far has held them: old run folders must resume
CHECKPOINT_KEYS = {"iteration", "warm", "stopped", "interval_images", "curve_rows", "gradient_rows",
                   "final_train_error", "final_test_error", "best_test_error", "images", "wall_seconds",
                   "train_seconds", "model", "optimizer", "metrics", "first_bad", "torch_rng", "config", "data",
                   "cpu_threads", "net", "scaler",
                   # issue 24: where the checkpoint was made, the warm-up's time, fp16's skipped steps and owed norms
                   "device", "warmup_images", "warmup_seconds", "skipped", "gradients_due"}


@pytest.mark.parametrize("holdout", [0, 64])
def test_a_run_folder_holds_exactly_the_declared_artefacts_with_their_columns(cifar_dir, tmp_path, holdout):
    cfg = tiny_config(cifar_dir, iterations=10, milestones=(8,), log_every=5, eval_every=5, checkpoint_every=5,
                      holdout=holdout)
    summary = train(cfg, tmp_path, **QUIET)
    expected = {a.file for a in ARTEFACTS if a.when != "evaluate" and a.only_with is None} | {LOCK}
    assert {p.name for p in tmp_path.iterdir()} == expected
    writer = RunWriter(tmp_path, ["val_error"] if holdout else [])
    for artefact in ARTEFACTS:
        path = tmp_path / artefact.file
        if not artefact.columns or not path.exists():
            continue
        found = (list(pd.read_csv(path).columns) if path.suffix == ".csv" else list(json.loads(path.read_text())))
        assert found == writer.columns(artefact), artefact.file
    assert ("val_error" in writer.columns(CURVES)) == bool(holdout)
    assert set(summary) == set(SUMMARY.columns) - set(SUMMARY.optional) and summary["status"] in FINISHED
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert set(state) == CHECKPOINT_KEYS
    gradients = pd.read_csv(tmp_path / "gradients.csv")
    assert state["curve_rows"] == 2 and state["gradient_rows"] == len(gradients)
    assert gradients.iteration.unique().tolist() == [0, 5, 10]  # at initialisation and at each logged row


def test_a_diverged_run_declares_where_it_diverged(cifar_dir, tmp_path):
    summary = train(tiny_config(cifar_dir, iterations=10, milestones=(8,), lr=1e30, weight_decay=0.0), tmp_path,
                    **QUIET)
    fp16_only = {"skipped_steps"}  # this run has no loss scaler
    assert summary["status"] == "diverged" and set(summary) == set(SUMMARY.columns) - fp16_only
    assert not (tmp_path / "responses.csv").exists()  # written by finished runs only
    assert json.loads((tmp_path / "summary.json").read_text()) == summary


def test_a_declared_artefact_lands_in_the_sweeps_tables(tmp_path, monkeypatch, capsys):
    probe = Artefact("probe", "probe.csv", "end", ("layer", "value"), stacked=True)
    monkeypatch.setattr(artefacts, "STACKED", artefacts.STACKED + (probe,))
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain20", "cifar_resnet20"], seeds=[0])
    for i, model in enumerate(sweep.models):
        run = sweep.run_dir(model, 0)
        run.mkdir(parents=True)
        pd.DataFrame({"layer": [1, 2], "value": [i, i + 0.5]}).to_csv(run / "probe.csv", index=False)
    tables = write_tables(sweep)
    assert list(tables) == ["runs.csv", "probe.csv", "curves.csv"]  # curves.csv has its columns without rows
    stacked = pd.read_csv(tmp_path / "probe.csv")
    assert list(stacked.columns) == ["model", "depth", "residual", "seed", "layer", "value"]
    assert stacked.model.tolist() == ["cifar_plain20"] * 2 + ["cifar_resnet20"] * 2
    assert stacked.residual.tolist() == [False, False, True, True] and stacked.value.tolist() == [0, 0.5, 1, 1.5]
    (tmp_path / "probe.csv").unlink()
    assert main(["status", str(tmp_path), "--write"]) == 0  # status --write stacks it too
    assert "probe.csv" in capsys.readouterr().out and (tmp_path / "probe.csv").exists()


def test_the_writer_takes_only_declared_columns_and_cuts_logs_back(tmp_path):
    writer = RunWriter(tmp_path)
    rows = {}
    row = {"iteration": 5, "epoch": 0.5, "lr": 0.1, "train_loss": 2.0, "train_error": 0.9, "test_error": None}
    writer.append(CURVES, [row, {**row, "iteration": 10}], rows)
    assert rows == {"curve_rows": 2}
    header = (tmp_path / "curves.csv").read_text().splitlines()[0]
    assert header == "iteration,epoch,lr,train_loss,train_error,test_error"
    with pytest.raises(ValueError, match="summary.json declares"):
        writer.write(SUMMARY, {"status": "done", "accuracy": 0.9})
    writer.resume({"curve_rows": 1})
    assert pd.read_csv(tmp_path / "curves.csv").iteration.tolist() == [5]
    writer.resume({})  # a new run starts its logs over
    assert not (tmp_path / "curves.csv").exists()


def test_progress_is_one_value_that_the_checkpoint_saves_and_restores():
    progress = Progress.start(torch.device("cpu"), torch.float64, warm=False)
    step = Step(torch.tensor(2.5, dtype=torch.float64), torch.tensor(3), 8)
    progress.add(step, 0)
    progress.add(Step(torch.tensor(float("nan"), dtype=torch.float64), torch.tensor(1), 8), 6)
    progress.iteration, progress.rows["curve_rows"] = 7, 1
    saved = Checkpoint(progress, {}, {}, torch.get_rng_state(), {}, {}, 1).to_dict()
    assert set(saved) == CHECKPOINT_KEYS
    back = Checkpoint.from_dict(saved).progress.onto(Progress.start(torch.device("cpu"), torch.float64))
    assert back.iteration == 7 and back.warm is False and back.rows == {"curve_rows": 1, "gradient_rows": 0}
    assert back.metrics[1].item() == 4 and int(back.first_bad) == 7  # the first non-finite loss, 1-based


def test_setup_returns_the_parts_and_the_trainer_reads_them(cifar_dir, tmp_path):
    trainer = Trainer(tiny_config(cifar_dir, amp=False), tmp_path, **QUIET)
    parts = trainer.setup()
    assert isinstance(parts, Parts) and trainer.parts is parts and trainer.progress.iteration == 0
    assert trainer.model is parts.model and trainer.device == parts.device and trainer.precision == "fp32"
    step = trainer.train_step(0, record_gradients=True)
    assert step.images == 32 and step.gradient_norms is not None and len(step.gradient_norms) > 0
    assert trainer.metrics[0].item() == pytest.approx(step.loss.item() * 32)
    with pytest.raises(AttributeError):
        trainer.model = None  # the parts are read, never assigned
    assert not any(tmp_path.iterdir())  # set-up and steps write nothing
