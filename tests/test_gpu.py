"""The CUDA path: bf16, channels_last and the training step replayed as one CUDA graph.

Skipped without a GPU; results/bench/README.md records the run on an H100.
"""

import json
import warnings

import pandas as pd
import pytest
import torch

from resnet_study.config import make_config
from resnet_study.engine import Trainer, train

from conftest import Interrupt, crash_at, needs_gpu

pytestmark = [pytest.mark.gpu, needs_gpu]
QUIET = dict(progress=False, log=lambda *_: None)


def small(cifar_dir, **overrides):
    base = dict(model="cifar_resnet8", data_dir=str(cifar_dir), iterations=60, batch_size=32,
                milestones=(40, 50), log_every=5, eval_every=10, checkpoint_every=10, device="cuda")
    base.update(overrides)
    return make_config("paper", base)


@pytest.fixture(autouse=True)
def _quiet_subset_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_graphed_run_learns_with_bf16_and_channels_last(cifar_dir, tmp_path):
    summary = train(small(cifar_dir), tmp_path, **QUIET)
    assert summary["status"] == "done" and summary["final_test_error"] < 0.5
    assert json.loads((tmp_path / "config.json").read_text())["cuda_graph"] is True


def test_graph_computes_what_eager_computes(cifar_dir, tmp_path):
    graphed = train(small(cifar_dir, iterations=20), tmp_path / "graph", **QUIET)
    eager = train(small(cifar_dir, iterations=20, cuda_graph=False), tmp_path / "eager", **QUIET)
    a, b = (pd.read_csv(tmp_path / name / "curves.csv") for name in ("graph", "eager"))
    # Same data, same start: the capture's warm-up steps were undone. cuDNN may pick other
    # algorithms, so equal to bf16 rounding, not bitwise.
    assert a.train_loss.iloc[0] == pytest.approx(b.train_loss.iloc[0], rel=0.02)
    assert a.train_loss.tolist() == pytest.approx(b.train_loss.tolist(), rel=0.1)
    assert graphed["final_train_error"] == pytest.approx(eager["final_train_error"], abs=0.15)


def test_graph_sees_the_lr_schedule(cifar_dir, tmp_path):
    cfg = small(cifar_dir, iterations=20, milestones=(10,), gamma=0.0, log_every=10)
    trainer = Trainer(cfg, tmp_path, **QUIET)
    trainer._build()
    for it in range(20):
        trainer._set_lr(0.1 if it < 10 else 0.0)
        trainer._step(it)
        if it == 9:
            frozen = [p.detach().clone() for p in trainer.model.parameters()]
    assert trainer.graph is not None
    assert all(torch.equal(a, b) for a, b in zip(frozen, trainer.model.parameters()))


def test_graphed_run_resumes_after_a_crash(cifar_dir, tmp_path):
    cfg = small(cifar_dir, iterations=30, milestones=(20, 25))
    whole = train(cfg, tmp_path / "whole", **QUIET)
    trainer = Trainer(cfg, tmp_path / "cut", **QUIET)
    crash_at(trainer, 17)
    with pytest.raises(Interrupt):
        trainer.run()
    resumed = train(cfg, tmp_path / "cut", **QUIET)
    assert resumed["iterations"] == 30
    a, b = (pd.read_csv(tmp_path / name / "curves.csv") for name in ("whole", "cut"))
    assert a.iteration.tolist() == b.iteration.tolist()
    assert a.train_loss.tolist() == pytest.approx(b.train_loss.tolist(), rel=0.1)
