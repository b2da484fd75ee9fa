"""Precision by device capability (issue 19): the choice for every device, fp16 with a loss scaler
that trains and resumes exactly on a CPU, old run folders, MPS refused where torch has none."""

import json

import pandas as pd
import pytest
import torch

from resnet_study.cli import main
from resnet_study.config import make_config, saved_config
from resnet_study.errors import StudyError
from resnet_study.training import device as devices
from resnet_study.training import precision as numerics
from resnet_study.training.loop import Trainer, train
from resnet_study.training.precision import choose_precision, device_precision

from helpers import QUIET, Interrupt, crash_at, tiny_config

pytestmark = pytest.mark.usefixtures("quiet_warnings")

# (requested, device type, CUDA capability, CPU has native bf16) -> precision
CASES = [
    ("auto", "cuda", (9, 0), False, "bf16"),  # H100
    ("auto", "cuda", (8, 0), False, "bf16"),  # A100: the first with bf16 tensor cores
    ("auto", "cuda", (8, 6), False, "bf16"),  # RTX 30xx
    ("auto", "cuda", (7, 5), False, "fp16"),  # T4 (Colab, Kaggle)
    ("auto", "cuda", (7, 0), False, "fp16"),  # V100
    ("auto", "cuda", (6, 0), False, "fp16"),  # P100
    ("auto", "cpu", None, True, "bf16"),  # AVX512-BF16 or AMX
    ("auto", "cpu", None, False, "fp32"),  # bf16 would be emulated, slower than fp32
    ("auto", "mps", None, False, "fp32"),
    ("auto", "mps", None, True, "fp32"),  # a CPU flag says nothing of the GPU
    ("fp16", "mps", None, False, "fp16"),
    ("fp32", "cuda", (9, 0), False, "fp32"),
    ("fp16", "cuda", (9, 0), False, "fp16"),
    ("bf16", "cuda", (7, 5), False, "bf16"),  # asked for: torch emulates it
    ("fp16", "cpu", None, False, "fp16"),
    ("bf16", "cpu", None, False, "bf16"),
    ("fp32", "cpu", None, True, "fp32"),
]


@pytest.mark.parametrize("requested,kind,capability,cpu_bf16,expected", CASES)
def test_the_precision_follows_the_device(requested, kind, capability, cpu_bf16, expected):
    assert choose_precision(requested, kind, capability, cpu_bf16) == expected


def test_bf16_on_mps_is_one_sentence():
    with pytest.raises(StudyError, match="MPS device trains in fp32 or fp16"):
        choose_precision("bf16", "mps")


def test_the_cpu_flags_decide_native_bf16(monkeypatch, tmp_path):
    for flags, native in (("fpu avx512f avx512_bf16 amx_tile", True), ("fpu amx_bf16", True),
                          ("fpu avx512f avx512_fp16", False), ("fpu sse avx2", False)):
        (tmp_path / "cpuinfo").write_text(f"flags\t\t: {flags}\n")
        assert devices.cpu_has_native_bf16(tmp_path / "cpuinfo") is native
        monkeypatch.setattr(numerics, "cpu_has_native_bf16", lambda: native)
        assert device_precision("auto", torch.device("cpu")) == ("bf16" if native else "fp32")


def test_no_amp_means_fp32_and_contradictions_are_one_sentence(cifar_dir, capsys):
    assert tiny_config(cifar_dir, amp=False).validate().run.precision == "fp32"
    with pytest.raises(StudyError, match="--no-amp means fp32; drop it to train in fp16"):
        tiny_config(cifar_dir, amp=False, precision="fp16").validate()
    with pytest.raises(StudyError, match="precision must be one of auto, bf16, fp16, fp32; got 'fp8'"):
        tiny_config(cifar_dir, precision="fp8").validate()
    trainer = Trainer(tiny_config(cifar_dir, amp=False), "unused", **QUIET)
    trainer.setup()
    assert trainer.precision == "fp32" and not trainer.scaler.is_enabled()


def test_old_run_folders_mean_todays_defaults():
    old = {k: v for k, v in make_config("paper").to_dict().items() if k not in ("precision", "tensorboard")}
    assert saved_config(old) == saved_config(make_config("paper").to_dict())


def test_fp16_with_a_loss_scaler_trains_and_resumes_exactly_on_a_cpu(cifar_dir, tmp_path):
    cfg = tiny_config(cifar_dir, precision="fp16", iterations=8, batch_size=16, milestones=(6,), log_every=2,
                      eval_every=4, checkpoint_every=4)
    straight = train(cfg, tmp_path / "straight", **QUIET)
    assert straight["status"] == "done"
    trainer = Trainer(cfg, tmp_path / "resumed", **QUIET)
    crash_at(trainer, 6)  # checkpoint at 4
    with pytest.raises(Interrupt):
        trainer.run()
    said = []
    resumed = train(cfg, tmp_path / "resumed", progress=False, log=said.append)
    assert any("resuming at iteration 4" in line for line in said)
    a, b = (pd.read_csv(tmp_path / d / "curves.csv") for d in ("straight", "resumed"))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.train_loss.notna().all() and (a.train_loss < 10).all()
    for key in ("final_train_error", "final_test_error"):
        assert resumed[key] == straight[key]
    states = [torch.load(tmp_path / d / "checkpoint.pt", weights_only=True) for d in ("straight", "resumed")]
    assert states[0]["scaler"] == states[1]["scaler"] and states[0]["scaler"]["scale"] > 0
    assert all(torch.equal(x, states[1]["model"][k]) for k, x in states[0]["model"].items())
    assert states[0]["net"]["precision"] == "fp16"
    record = json.loads((tmp_path / "resumed" / "config.json").read_text())
    assert record["precision"]["autocast"] == "fp16" and record["precision"]["grad_scaler"] is True
    assert record["config"]["precision"] == "fp16"


def test_a_checkpoint_without_a_scaler_still_resumes(cifar_dir, tmp_path):
    cfg = tiny_config(cifar_dir, amp=False, iterations=12, milestones=(8,))
    trainer = Trainer(cfg, tmp_path, **QUIET)
    crash_at(trainer, 11)
    with pytest.raises(Interrupt):
        trainer.run()
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    for key in ("scaler", "net"):  # as checkpoints before issue 19 (and before the layout) were
        del state[key]
    del state["config"]["precision"], state["config"]["tensorboard"]
    state["config"]["amp"] = False  # what a --no-amp run's checkpoint held before precision existed
    torch.save(state, tmp_path / "checkpoint.pt")
    (tmp_path / "checkpoint.prev.pt").unlink(missing_ok=True)
    assert train(cfg, tmp_path, **QUIET)["iterations"] == 12


def test_a_run_goes_on_in_the_precision_it_started_in(cifar_dir, tmp_path, monkeypatch):
    cfg = tiny_config(cifar_dir, iterations=12, milestones=(8,))
    monkeypatch.setattr(numerics, "cpu_has_native_bf16", lambda: True)
    trainer = Trainer(cfg, tmp_path, **QUIET)
    crash_at(trainer, 11)
    with pytest.raises(Interrupt):
        trainer.run()
    monkeypatch.setattr(numerics, "cpu_has_native_bf16", lambda: False)  # resumed on another CPU
    said = []
    train(cfg, tmp_path, progress=False, log=said.append)
    assert any("going on in bf16" in line for line in said)
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["net"]["precision"] == "bf16"


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has an Apple GPU")
def test_mps_without_an_apple_gpu_is_one_sentence(cifar_dir, tmp_path, capsys):
    code = main(["train", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir), "--out", str(tmp_path / "r"),
                 "--device", "mps", "--iterations", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no Apple GPU (MPS)" in err


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["auto", "fp16", "fp32"])
def test_gpu_trains_in_each_precision(cifar_dir, tmp_path, precision):
    summary = train(tiny_config(cifar_dir, device="cuda", precision=precision, iterations=60,
                                milestones=(40, 50)), tmp_path, **QUIET)
    assert summary["status"] == "done" and summary["final_test_error"] < 0.5
    expected = "bf16" if torch.cuda.get_device_capability() >= (8, 0) else "fp16"
    used = json.loads((tmp_path / "config.json").read_text())["precision"]["autocast"]
    assert used == (expected if precision == "auto" else precision)
