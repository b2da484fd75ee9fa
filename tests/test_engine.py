"""The training engine through its real entry points: learning, files, resume, errors."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from resnet_study.cli import main
from resnet_study.config import TrainConfig, make_config
from resnet_study.training.hooks import learning_rate
from resnet_study.training.loop import Trainer, train
from resnet_study.errors import StudyError

from helpers import QUIET, SHARED_CIFAR, Interrupt, crash_at, kill_then_resume, needs_shared_cifar, tiny_config



pytestmark = pytest.mark.usefixtures("quiet_warnings")


def test_short_run_learns_and_writes_a_complete_folder(cifar_dir, tmp_path):
    summary = train(tiny_config(cifar_dir, iterations=60, milestones=(40, 50)), tmp_path, **QUIET)
    assert {p.name for p in tmp_path.iterdir()} == {"config.json", "curves.csv", "summary.json", "checkpoint.pt",
                                                 "checkpoint.prev.pt", "gradients.csv", "responses.csv", ".lock",
                                                 "progress.json"}
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert list(curves.columns) == ["iteration", "epoch", "lr", "train_loss", "train_error", "test_error"]
    assert curves.iteration.tolist() == list(range(5, 65, 5))
    assert curves.test_error.notna().tolist() == [i % 10 == 0 for i in curves.iteration]
    assert curves.lr.tolist()[-1] == pytest.approx(0.001)  # divided by 10 twice
    assert curves.train_error.iloc[-3:].mean() < curves.train_error.iloc[0] - 0.2
    assert summary["status"] == "done" and summary["iterations"] == 60
    assert summary["final_test_error"] < 0.65 and summary["best_test_error"] <= summary["final_test_error"]
    assert set(summary) >= {"final_train_error", "wall_seconds", "images_per_second"}
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["config"]["model"] == "cifar_resnet8" and config["torch_version"]
    assert config["dataset"]["train_images"] == 320 and config["dataset"]["test_error_on"] == "test"
    assert config["dataset"]["full"] is False and "commit" in config and "device" in config


def test_finished_run_does_nothing_and_says_so(cifar_dir, tmp_path):
    train(tiny_config(cifar_dir, iterations=10), tmp_path, **QUIET)
    before = (tmp_path / "curves.csv").read_text(), os.path.getmtime(tmp_path / "checkpoint.pt")
    said = []
    summary = train(tiny_config(cifar_dir, iterations=10), tmp_path, progress=False, log=said.append)
    assert summary["status"] == "done" and "already finished" in said[0]
    assert ((tmp_path / "curves.csv").read_text(), os.path.getmtime(tmp_path / "checkpoint.pt")) == before


def test_a_different_config_in_the_same_folder_is_refused(cifar_dir, tmp_path):
    train(tiny_config(cifar_dir, iterations=10), tmp_path, **QUIET)
    with pytest.raises(StudyError, match="different configuration .*lr"):
        train(tiny_config(cifar_dir, iterations=10, lr=0.05), tmp_path, **QUIET)



def test_interrupted_run_resumes_to_identical_numbers(cifar_dir, tmp_path):
    cfg = tiny_config(cifar_dir)
    reference = train(cfg, tmp_path / "straight", **QUIET)

    trainer = Trainer(cfg, tmp_path / "resumed", **QUIET)
    crash_at(trainer, 17)
    with pytest.raises(Interrupt):
        trainer.run()
    assert pd.read_csv(tmp_path / "resumed" / "curves.csv").iteration.max() == 15  # rows after the checkpoint
    resumed = train(cfg, tmp_path / "resumed", **QUIET)
    a, b = (pd.read_csv(tmp_path / d / "curves.csv") for d in ("straight", "resumed"))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert b.iteration.is_unique
    for key in ("final_train_error", "final_test_error", "best_test_error", "iterations"):
        assert resumed[key] == reference[key]


def test_kill_9_then_rerun_resumes(cifar_dir, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "resnet_study.cli", "train", "--model", "cifar_plain8", "--data-dir",
               str(cifar_dir), "--out", str(out), "--iterations", "150", "--batch-size", "32", "--device", "cpu",
               "--checkpoint-every", "10", "--eval-every", "50", "--set", "log_every=10", "milestones=100"]
    kill_then_resume(command, out, timeout=120)
    curves = pd.read_csv(out / "curves.csv")
    assert curves.iteration.tolist() == list(range(10, 160, 10))
    assert json.loads((out / "summary.json").read_text())["status"] == "done"


def test_divergence_is_recorded_not_raised(cifar_dir, tmp_path):
    summary = train(tiny_config(cifar_dir, lr=1e30, weight_decay=0.0), tmp_path, **QUIET)
    assert summary["status"] == "diverged" and 1 <= summary["diverged_at"] <= 30
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "diverged"


def test_schedule_follows_section_4_2():
    cfg = TrainConfig()
    assert [learning_rate(cfg, i, True) for i in (0, 31_999, 32_000, 48_000, 63_999)] == \
        pytest.approx([0.1, 0.1, 0.01, 0.001, 0.001])
    assert learning_rate(cfg, 0, warm=False) == 0.01  # ResNet-110 warm-up


def test_deep_nets_warm_up_until_training_error_below_80_percent(cifar_dir, tmp_path):
    summary = train(tiny_config(cifar_dir, warmup_depth=8, iterations=40), tmp_path, **QUIET)
    curves = pd.read_csv(tmp_path / "curves.csv")
    first_warm = curves.index[curves.train_error < 0.8][0]
    assert (curves.lr.iloc[: first_warm + 1] == 0.01).all()
    assert curves.lr.iloc[first_warm + 1] == 0.1 and summary["status"] == "done"


def test_holdout_adds_val_error_column(cifar_dir, tmp_path):
    train(tiny_config(cifar_dir, holdout=64, iterations=10), tmp_path, **QUIET)
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert "val_error" in curves.columns and curves.val_error.notna().sum() == 1


def test_presets_and_strict_overrides():
    quick = make_config("quick")
    assert quick.run.preset == "quick" and quick.optim.iterations < TrainConfig().optim.iterations
    paper = make_config("paper")
    optim = paper.optim
    assert (optim.batch_size, optim.lr, optim.momentum, optim.weight_decay) == (128, 0.1, 0.9, 1e-4)
    assert paper.optim.milestones == (32_000, 48_000) and paper.optim.iterations == 64_000
    assert make_config("paper", {"milestones": (10, 20), "amp": False}).optim.milestones == (10, 20)
    with pytest.raises(StudyError, match="unknown config key 'momentom'"):
        make_config("paper", {"momentom": "0.5"})
    with pytest.raises(StudyError, match="unknown preset"):
        make_config("fast")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "resnet_study.cli", "train", *args], capture_output=True, text=True)


@pytest.mark.parametrize("args,sentence", [
    (["--model", "cifar_plain21"], "6n+2"),
    (["--model", "resnet18"], "cifar_resnet<D> or cifar_plain<D>"),
    (["--model", "cifar_plain20", "--iterations", "0"], "iterations must be a positive integer"),
    (["--model", "cifar_plain20", "--set", "momentom=0.5"], "unknown config key"),
    (["--model", "cifar_plain20", "--device", "cuda:7"], None),
])
def test_bad_input_is_one_sentence(cifar_dir, tmp_path, args, sentence):
    out = tmp_path / "out"
    proc = _cli(*args, "--data-dir", str(cifar_dir), "--out", str(out), "--device", "cpu") if "--device" not in args \
        else _cli(*args, "--data-dir", str(cifar_dir), "--out", str(out))
    if sentence is None:  # cuda:7 on a GPU machine may exist; only check the CPU case
        if proc.returncode == 0:
            return
        sentence = "no CUDA GPU" if "no CUDA" in proc.stderr else "device"
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and sentence in proc.stderr
    assert not out.exists()


def test_missing_data_with_no_download_writes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = _cli("--model", "cifar_plain20", "--data-dir", str(tmp_path / "none"), "--out", str(out), "--no-download")
    assert proc.returncode == 2 and "no CIFAR-10 training batches" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_unwritable_out(cifar_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = _cli("--model", "cifar_plain20", "--data-dir", str(cifar_dir), "--out", str(blocker / "run"))
    assert proc.returncode == 2 and "cannot write to" in proc.stderr and "Traceback" not in proc.stderr


@needs_shared_cifar
def test_real_subset_run_learns(tmp_path):
    assert main(["train", "--model", "cifar_resnet8", "--data-dir", str(SHARED_CIFAR), "--out", str(tmp_path),
                 "--iterations", "40", "--batch-size", "64", "--device", "cpu",
                 "--set", "log_every=10", "eval_every=20", "milestones=30"]) == 0
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert curves.train_error.iloc[-1] < curves.train_error.iloc[0]
    assert curves.test_error.dropna().iloc[-1] < 0.85  # chance is 0.9; 517 holdout images
    assert json.loads((tmp_path / "config.json").read_text())["dataset"]["test_error_on"] == "holdout"


def test_bench_runs_both_loops_on_cpu(cifar_dir, capsys):
    assert main(["bench", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir), "--device", "cpu",
                 "--steps", "3", "--warmup", "1", "--loader-workers", "0", "--batch-size", "32"]) == 0
    out = capsys.readouterr().out
    assert "engine" in out and "conventional" in out and "speed-up" in out


def test_epoch_schedule_fits_the_training_set(cifar_dir, tmp_path):
    # 320 training images at batch 32: 10 iterations an epoch.
    cfg = tiny_config(cifar_dir, epochs=2.5, epoch_milestones=(1, 2))
    summary = train(cfg, tmp_path, **QUIET)
    assert summary["iterations"] == 25
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert curves.set_index("iteration").lr.to_dict() == pytest.approx(
        {5: 0.1, 10: 0.1, 15: 0.01, 20: 0.01, 25: 0.001})  # the lr of each row's last step
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["config"]["epochs"] == 2.5  # what was asked, and what it became
    assert config["schedule"] == {"iterations": 25, "milestones": [10, 20], "epochs": 2.5}
    assert train(cfg, tmp_path, **QUIET)["status"] == "done"  # a rerun recognises the finished run


def test_paper_epochs_preset_is_section_4_2_in_epochs():
    cfg = make_config("paper_epochs")
    # 64k iterations of 128 on 45k images, lr divided at 32k and 48k.
    assert cfg.resolved(45_000).optim.iterations == pytest.approx(64_000, rel=0.002)
    assert cfg.resolved(45_000).optim.milestones == pytest.approx((32_000, 48_000), rel=0.002)
    assert cfg.resolved(4_653).optim.iterations == round(182 * 4_653 / 128)
    shortened = make_config("paper_epochs", {"iterations": 1000}).resolved(4_653)
    # The drops keep their place.
    assert shortened.optim.iterations == 1000 and shortened.optim.milestones == (500, 750)
    with pytest.raises(StudyError, match="epoch_milestones"):
        make_config("paper_epochs", {"milestones": (100, 200)})


def test_lr_reaches_the_step_after_a_milestone(cifar_dir, tmp_path):
    # gamma 0: from iteration 10 on the lr is 0, so SGD must leave every weight where it was.
    import torch

    cfg = tiny_config(cifar_dir, iterations=20, milestones=(10,), gamma=0.0, checkpoint_every=10, log_every=10)
    trainer = Trainer(cfg, tmp_path, **QUIET)
    weights = {}
    step = trainer.train_step

    def recording_step(it, **kwargs):
        result = step(it, **kwargs)
        if it + 1 in (10, 20):
            weights[it + 1] = [p.detach().clone() for p in trainer.model.parameters()]
        return result

    trainer.train_step = recording_step
    trainer.run()
    assert all(torch.equal(a, b) for a, b in zip(weights[10], weights[20]))


@pytest.mark.gpu
def test_gpu_run_learns_with_bf16_and_channels_last(cifar_dir, tmp_path):
    summary = train(tiny_config(cifar_dir, device="cuda", iterations=60, milestones=(40, 50)), tmp_path, **QUIET)
    assert summary["status"] == "done" and summary["final_test_error"] < 0.5


def test_study_presets_fit_the_shared_data_sets():
    cifar = make_config("study").resolved(4_653)  # the CIFAR-10 subset less its 10% holdout
    assert (cifar.optim.iterations, cifar.optim.milestones, cifar.optim.batch_size) == (2_908, (1_454, 2_181), 64)
    imagenette = make_config("imagenet_study").resolved(9_469)
    assert (imagenette.optim.iterations, imagenette.optim.milestones, imagenette.data.image_size) == \
        (1_184, (592, 888), 64)
    assert imagenette.data.cache and imagenette.data.dataset == "imagefolder"
