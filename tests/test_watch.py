"""Watching a run (issue 19): TensorBoard scalars that follow curves.csv through a kill -9 and a
resume, the optional extra's one sentence, a sweep's YAML turning it on, progress.json."""

import importlib.util
import json
import sys

import numpy as np
import pandas as pd
import pytest

from resnet_study.errors import StudyError
from resnet_study.sweep import load_sweep

from helpers import kill_then_resume, tiny_config

pytestmark = pytest.mark.usefixtures("quiet_warnings")
TAGS = {"train/loss": "train_loss", "train/error": "train_error", "eval/test_error": "test_error", "lr": "lr"}


def scalars(folder) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series of the run folder's event files, as TensorBoard reads them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_tensorboard_scalars_match_curves_after_a_kill_9_resume(cifar_dir, tmp_path):
    pytest.importorskip("tensorboard")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "resnet_study.cli", "train", "--model", "cifar_resnet8", "--data-dir",
               str(cifar_dir), "--out", str(out), "--iterations", "30", "--batch-size", "16", "--device", "cpu",
               "--checkpoint-every", "8", "--eval-every", "6", "--tensorboard", "--set", "log_every=2",
               "milestones=20"]
    kill_then_resume(command, out, lines=7)  # rows past the checkpoint at 8: their events must go
    curves = pd.read_csv(out / "curves.csv")
    assert curves.iteration.tolist() == list(range(2, 32, 2))
    series = scalars(out)
    assert set(series) == set(TAGS)
    for tag, column in TAGS.items():
        expected = curves[["iteration", column]].dropna()
        steps, values = zip(*series[tag])
        assert list(steps) == expected.iteration.tolist(), tag
        np.testing.assert_array_equal(np.float32(values), expected[column].to_numpy(np.float32), err_msg=tag)


def test_progress_json_says_where_a_run_is(cifar_dir, tmp_path):
    from resnet_study.training.loop import train

    train(tiny_config(cifar_dir, iterations=10, batch_size=16), tmp_path, progress=False, log=lambda *_: None)
    progress = json.loads((tmp_path / "progress.json").read_text())
    assert progress["iteration"] == progress["iterations"] == 10 and progress["seconds_left"] == 0
    assert progress["images_per_second"] > 0 and progress["test_error"] is not None
    assert not list(tmp_path.glob("events.out.tfevents.*"))  # TensorBoard only when asked for


def test_tensorboard_without_the_package_is_one_sentence(cifar_dir, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    with pytest.raises(StudyError, match=r"--tensorboard needs the tensorboard package: pip install "
                                         r"'resnet-study\[tensorboard\]'"):
        tiny_config(cifar_dir, tensorboard=True).validate()


def test_a_sweeps_yaml_turns_tensorboard_on(tmp_path):
    pytest.importorskip("tensorboard")
    spec = tmp_path / "fig6.yaml"
    spec.write_text("models: [cifar_plain8, cifar_resnet8]\noverrides: {tensorboard: true, iterations: 10}\n")
    sweep = load_sweep(spec, out=str(tmp_path / "out")).validate()
    assert all(sweep.config(m, s).run.tensorboard for m, s in sweep.runs())
