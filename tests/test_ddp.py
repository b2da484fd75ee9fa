"""Multi-process numbers that are the saved model's (issues 24.4 and 23.5): sweep workers that own
their GPUs, a failed torchrun run's own reason, and a two-process gloo run on the CPU."""

import json
import os
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from resnet_study.data import make_loaders
from resnet_study.errors import StudyError
from resnet_study.sweep.launchers import worker_slots
from resnet_study.sweep.worker import child_reason
from resnet_study.training.evaluate import error_on, run_responses
from resnet_study.training.loop import build_model, train

from helpers import tiny_config


def test_each_torchrun_worker_sees_its_own_gpus():
    assert worker_slots(None, 1, 2, gpus=8) == [("cuda", "0,1"), ("cuda", "2,3"), ("cuda", "4,5"), ("cuda", "6,7")]
    assert worker_slots(None, 1, 4, gpus=6) == [("cuda", "0,1,2,3")]  # the 2 left over would make a short run
    assert worker_slots(None, 2, 2, gpus=4) == [("cuda", "0,1"), ("cuda", "2,3"), ("cuda", "0,1"), ("cuda", "2,3")]
    assert worker_slots(None, 3, 1, gpus=2) == [("cuda:0", None), ("cuda:1", None)] * 3
    assert worker_slots(3, 1, 2, gpus=0) == [(None, None)] * 3
    with pytest.raises(StudyError, match="--nproc-per-run 4 needs 4 GPUs per run and this machine shows 2"):
        worker_slots(None, 1, 4, gpus=2)


TORCHRUN_FAILURE = """
*****************************************
Setting OMP_NUM_THREADS environment variable for each process to be 1 in default
*****************************************
resnet-study train: no CIFAR-10 training batches in /x/cifar-10-batches-py; point --data-dir at a folder
resnet-study train: no CIFAR-10 training batches in /x/cifar-10-batches-py; point --data-dir at a folder
E1205 06:59:11.094000 13991 api.py:1002] failed (exitcode: 2) local_rank: 0 (pid: 14007) of binary: python
Traceback (most recent call last):
  File "torch/distributed/run.py", line 1142, in <module>
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
resnet_study.cli FAILED
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  rank      : 0 (local_rank: 0)
  exitcode  : 2 (pid: 14007)
  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html
============================================================
"""


def test_a_failed_torchrun_run_records_its_childs_own_sentence():
    assert child_reason(TORCHRUN_FAILURE).startswith("resnet-study train: no CIFAR-10 training batches in /x/")
    crash = "[rank1]: Traceback (most recent call last):\n[rank1]: torch.OutOfMemoryError: CUDA out of memory.\n"
    without_ours = TORCHRUN_FAILURE.split("resnet-study")[0]
    assert child_reason(crash + without_ours) == "torch.OutOfMemoryError: CUDA out of memory."
    assert child_reason("  exitcode  : -9 (pid: 1)\n=====\n") == "a process ended with exit code -9"
    assert child_reason("") == "no output"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train_rank(rank: int, world: int, port: int, cfg, out: Path) -> None:
    """One of torchrun's processes, as torchrun would start it (its environment), on the CPU with gloo."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    summary = train(cfg, out, progress=False, log=lambda *_: None)
    assert summary["status"] == "done"
    assert not dist.is_initialized()  # the run destroyed the process group it made


def test_two_gloo_processes_report_the_saved_models_numbers_on_every_image(cifar_dir, tmp_path):
    cfg = tiny_config(cifar_dir, precision="fp32", iterations=6, batch_size=32, milestones=(4,), log_every=3,
                      eval_every=3, checkpoint_every=3)
    out = tmp_path / "ddp"
    mp.start_processes(_train_rank, args=(2, _free_port(), cfg, out), nprocs=2, start_method="spawn")
    assert json.loads((out / "config.json").read_text())["dataset"]["processes"] == 2
    summary = json.loads((out / "summary.json").read_text())
    saved = pd.read_csv(out / "responses.csv")
    # One process, from the checkpoint rank 0 saved: the net, every test image, rank 0's BN statistics.
    recomputed = run_responses(out, device="cpu")
    assert len(saved) == len(recomputed) == 7
    np.testing.assert_allclose(saved["std"], recomputed["std"], rtol=1e-6)  # rank 0's shard alone was 1% off
    loaders = make_loaders(cfg, torch.device("cpu"))
    model = build_model(cfg, loaders.description.get("classes"))
    model.load_state_dict(torch.load(out / "checkpoint.pt", weights_only=True)["model"])
    assert len(loaders.eval.labels) == 200
    assert summary["final_test_error"] == error_on(model, loaders.eval)  # the saved model's error, all 200 images
