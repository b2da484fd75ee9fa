"""Every bad input ends in one sentence that names the file or value, exit status 2, and
nothing half-written."""

import errno
import pickle
import warnings

import numpy as np
import pytest
import torch

from resnet_study.cli import main
from resnet_study.data import write_batch

from conftest import Interrupt, crash_at, make_cifar_folder, make_image_folder

TINY = ["--model", "cifar_resnet8", "--device", "cpu", "--iterations", "6", "--batch-size", "32",
        "--eval-every", "3", "--checkpoint-every", "3", "--set", "log_every=3", "milestones=4"]


@pytest.fixture(autouse=True)
def _quiet_subset_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def one_sentence(capsys, argv, *names) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for name in names:
        assert str(name) in err, err
    return err


def train_args(data_dir, out, *extra):
    return ["train", *TINY, "--data-dir", str(data_dir), "--out", str(out), "--no-download", *extra]


def _labels_only(path):
    with open(path, "wb") as f:
        pickle.dump({"labels": [0] * 64}, f)


def _relabel(path, label=None, drop=0):
    images = np.zeros((64, 3, 32, 32), dtype=np.uint8)
    labels = [label if label is not None else i % 10 for i in range(64)]
    write_batch(path, images, labels[:64 - drop])


DAMAGE = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:5000]),
    "corrupt": lambda p: p.write_bytes(np.random.default_rng(0).bytes(4000)),
    "no data": _labels_only,
    "label out of range": lambda p: _relabel(p, label=10),
    "more images than labels": lambda p: _relabel(p, drop=1),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_cifar_batch(tmp_path, capsys, damage):
    data = make_cifar_folder(tmp_path / "data")
    batch = data / "cifar-10-batches-py" / "data_batch_2"
    DAMAGE[damage](batch)
    err = one_sentence(capsys, train_args(data, tmp_path / "out"), batch)
    assert {"label out of range": "label 10", "more images than labels": "64 images but 63 labels"}.get(
        damage, "CIFAR-10 batch") in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("preset", ["imagenet_quick", "imagenet_study"])  # decoded per batch, decoded once
def test_corrupt_jpeg_names_the_file(preset, tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", per_class=4, val_per_class=2, size=32)
    jpeg = sorted((data / "train").rglob("*.JPEG"))[5]
    jpeg.write_bytes(jpeg.read_bytes()[:300])
    out = tmp_path / "out"
    one_sentence(capsys, ["train", "--preset", preset, "--model", "resnet18", "--data-dir", str(data),
                          "--out", str(out), "--device", "cpu", "--iterations", "2", "--batch-size", "12",
                          "--image-size", "32", "--loader-workers", "1"], jpeg, "not a readable image")
    assert not (out / "summary.json").exists()


def test_corrupt_checkpoints(cifar_dir, tmp_path, capsys):
    from resnet_study.config import make_config
    from resnet_study.engine import Trainer

    out = tmp_path / "out"
    cfg = make_config("paper", dict(model="cifar_resnet8", data_dir=str(cifar_dir), iterations=6, batch_size=32,
                                    milestones=(4,), log_every=3, eval_every=3, checkpoint_every=2, device="cpu"))
    trainer = Trainer(cfg, out, progress=False, log=lambda *_: None)
    crash_at(trainer, 5)
    with pytest.raises(Interrupt):
        trainer.run()
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):
        (out / name).write_bytes((out / name).read_bytes()[:1000])
    one_sentence(capsys, ["train", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir), "--out", str(out),
                          "--device", "cpu", "--iterations", "6", "--batch-size", "32", "--eval-every", "3",
                          "--checkpoint-every", "2", "--set", "log_every=3", "milestones=4"],
                 out / "checkpoint.pt", "corrupt or truncated")


@pytest.mark.parametrize("name", ["config.json", "summary.json"])
def test_truncated_json_names_the_file(cifar_dir, tmp_path, capsys, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text('{"config": {"model": "cifar_res')
    one_sentence(capsys, train_args(cifar_dir, out), out / name, "truncated")


def test_disk_full_says_so(cifar_dir, tmp_path, capsys, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    out = tmp_path / "out"
    one_sentence(capsys, train_args(cifar_dir, out), out / "checkpoint.pt", "no space left on the disk")
    assert not list(out.glob(".*.tmp")) and not (out / "checkpoint.pt").exists()


@pytest.mark.parametrize("extra,value", [
    (["--device", "mps"], "'mps'"), (["--device", "meta"], "'meta'"), (["--lr", "nan"], "lr"),
    (["--lr", "inf"], "lr"), (["--set", "preset=quick"], "preset"),
])
def test_bad_values(cifar_dir, tmp_path, capsys, extra, value):
    one_sentence(capsys, train_args(cifar_dir, tmp_path / "out", *extra), value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content,sentence", [
    ("models: [cifar_plain8\nseeds: [0]\n", "not valid YAML"),
    ("models: cifar_resnet8\n", "models must be a list"),
    ("models: [cifar_plain8]\noverrides: {lr: [0.1, 0.2]}\n", "lr=[0.1, 0.2]"),
    ("models: [cifar_plain8, cifar_plain8]\n", "cifar_plain8 is listed more than once"),
    ("models: [cifar_plain8]\nseeds: [1, 1]\n", "seed 1 is listed more than once"),
    ("- cifar_plain8\n", "YAML mapping"),
])
def test_bad_sweep_files(tmp_path, capsys, content, sentence):
    spec = tmp_path / "grid.yaml"
    spec.write_text(content)
    err = one_sentence(capsys, ["sweep", "--config", str(spec), "--out", str(tmp_path / "out")], sentence)
    if "YAML" in sentence:
        assert str(spec) in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags,sentence", [
    (["--models", "cifar_plain8", "--seeds", ","], "--seeds"),
    (["--models", "cifar_plain8,cifar_plain8"], "listed more than once"),
])
def test_bad_sweep_flags(tmp_path, capsys, flags, sentence):
    one_sentence(capsys, ["sweep", *flags, "--out", str(tmp_path / "out")], sentence)
