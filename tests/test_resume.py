"""Run folders that never lie: exact resume at any interval, one writer, refused mismatches."""

import json

import pandas as pd
import pytest
import torch

from resnet_study.cli import main
from resnet_study.training.loop import Trainer, train
from resnet_study.errors import StudyError
from resnet_study.io import exclusive_lock

from helpers import QUIET, tiny_config, Interrupt, crash_at, make_cifar_folder

ITERATIONS = 16
TIMING = {"wall_seconds", "images_per_second"}


pytestmark = pytest.mark.usefixtures("quiet_warnings")


def config(cifar_dir, log_every=4, eval_every=8, checkpoint_every=6, **overrides):
    return tiny_config(cifar_dir, iterations=ITERATIONS, milestones=(8, 12), log_every=log_every,
                       eval_every=eval_every, checkpoint_every=checkpoint_every, **overrides)


def crash(cfg, out, iteration, log=QUIET["log"]):
    trainer = Trainer(cfg, out, progress=False, log=log)
    crash_at(trainer, iteration)
    with pytest.raises(Interrupt):
        trainer.run()


def assert_same_folder(a, b):
    for name in ("curves.csv", "gradients.csv", "responses.csv"):
        assert (a / name).read_text() == (b / name).read_text(), name
    summaries = [{k: v for k, v in json.loads((d / "summary.json").read_text()).items() if k not in TIMING}
                 for d in (a, b)]
    assert summaries[0] == summaries[1]
    weights = [flatten({k: torch.load(d / "checkpoint.pt", weights_only=True)[k] for k in ("model", "optimizer")})
               for d in (a, b)]
    assert weights[0].keys() == weights[1].keys()
    for name, x in weights[0].items():
        y = weights[1][name]
        assert torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y, name


def flatten(tree, prefix="") -> dict:
    """Nested dicts and lists as {"a/b/0": leaf}."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else None
    if items is None:
        return {prefix: tree}
    return {k: v for key, value in items for k, v in flatten(value, f"{prefix}/{key}").items()}


# (log, eval, checkpoint) intervals: checkpoints that fall inside logging intervals, evaluations
# off the checkpoints, and crashes before the first checkpoint, right at one and between rows.
@pytest.mark.parametrize("log_every,eval_every,checkpoint_every", [(4, 8, 6), (5, 10, 3), (3, 9, 7), (6, 12, 5)])
def test_crashes_anywhere_resume_to_the_uninterrupted_folder(cifar_dir, tmp_path, log_every, eval_every,
                                                             checkpoint_every):
    cfg = config(cifar_dir, log_every, eval_every, checkpoint_every)
    train(cfg, tmp_path / "straight", **QUIET)
    out = tmp_path / "crashed"
    for iteration in (2, 5, 9, 12, 15):
        crash(cfg, out, iteration)
    train(cfg, out, **QUIET)
    assert_same_folder(tmp_path / "straight", out)


def test_a_corrupt_newest_checkpoint_falls_back_to_the_previous_one(cifar_dir, tmp_path):
    cfg = config(cifar_dir)
    train(cfg, tmp_path / "straight", **QUIET)
    out = tmp_path / "crashed"
    crash(cfg, out, 14)  # checkpoints at 6 and 12
    data = (out / "checkpoint.pt").read_bytes()
    (out / "checkpoint.pt").write_bytes(data[:len(data) // 2])
    said = []
    train(cfg, out, progress=False, log=said.append)
    assert any("unreadable" in line and "iteration 6" in line for line in said)
    assert_same_folder(tmp_path / "straight", out)


def test_a_second_writer_gets_one_sentence(cifar_dir, tmp_path, capsys):
    out = tmp_path / "run"
    with exclusive_lock(out / ".lock") as mine:
        assert mine
        code = main(["train", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir), "--out", str(out),
                     "--device", "cpu", "--iterations", "4"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "is being written by process" in err
    assert not (out / "config.json").exists()


def test_resume_refuses_other_data(cifar_dir, tmp_path):
    crash(config(cifar_dir), tmp_path / "run", 8)
    other = make_cifar_folder(tmp_path / "other", per_batch=63)
    with pytest.raises(StudyError, match="trained on other data .*--data-dir"):
        train(config(other), tmp_path / "run", **QUIET)


def test_resume_refuses_another_thread_count(cifar_dir, tmp_path):
    crash(config(cifar_dir), tmp_path / "run", 8)
    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 1)
    try:
        with pytest.raises(StudyError, match=f"{threads} CPU threads .*OMP_NUM_THREADS={threads}"):
            train(config(cifar_dir), tmp_path / "run", **QUIET)
    finally:
        torch.set_num_threads(threads)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["cpu_threads"] == threads


def test_checkpoint_without_config_json_keeps_its_config(cifar_dir, tmp_path):
    out = tmp_path / "run"
    crash(config(cifar_dir), out, 8)
    (out / "config.json").unlink()
    with pytest.raises(StudyError, match="different configuration \\(lr differ from its checkpoint\\)"):
        train(config(cifar_dir, lr=0.05), out, **QUIET)


def test_resume_cuts_logs_back_and_removes_stale_temporaries(cifar_dir, tmp_path):
    out = tmp_path / "run"
    crash(config(cifar_dir), out, 9)  # rows at 4 and 8, checkpoint at 6
    assert pd.read_csv(out / "curves.csv").iteration.tolist() == [4, 8]
    (out / ".checkpoint.pt.killed.tmp").write_bytes(b"half a checkpoint")
    crash(config(cifar_dir), out, 7)  # resumes at 6: the row at 8 goes, the temporary too
    assert pd.read_csv(out / "curves.csv").iteration.tolist() == [4]
    assert not list(out.glob(".*.tmp"))
