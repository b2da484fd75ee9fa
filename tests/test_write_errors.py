"""A write the file system refuses (no space, over quota, read-only, not permitted) ends in one
sentence that names the file and the cause, exit status 2, and nothing half-written: a
checkpoint, a run's CSV rows, a sweep's tables (issue 23, item 6)."""

import builtins
import errno
import os
from pathlib import Path

import pytest
import torch

import resnet_study.io
from resnet_study.cli import main
from resnet_study.sweep import Sweep, run_one

from helpers import tiny_config

pytestmark = pytest.mark.usefixtures("quiet_warnings")

TINY = ["--model", "cifar_resnet8", "--device", "cpu", "--iterations", "6", "--batch-size", "32",
        "--eval-every", "3", "--checkpoint-every", "3", "--set", "log_every=3", "milestones=4"]
# Each refusal, with the words its sentence must hold.
REFUSALS = {"ENOSPC": "no space left on the disk", "EDQUOT": "disk quota", "EROFS": "read-only file system",
            "EACCES": "permission to write"}


def refusal(name: str) -> OSError:
    code = getattr(errno, name)
    return OSError(code, os.strerror(code))


def one_sentence(capsys, argv, *words) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert str(word) in err, err
    return err


def train_args(data_dir, out):
    return ["train", *TINY, "--data-dir", str(data_dir), "--out", str(out), "--no-download"]


def refuse_replace_of(name: str, error: OSError, monkeypatch):
    """os.replace refuses to put ``name`` in place (the last step of every atomic write)."""
    replace = os.replace

    def refusing(src, dst, *args, **kwargs):
        if os.path.basename(dst) == name:
            raise error
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refusing)


def no_temporaries(folder) -> bool:
    return not [p for p in folder.rglob(".*.tmp")]


@pytest.mark.parametrize("name", REFUSALS)
def test_a_refused_checkpoint_is_one_sentence_and_no_file(cifar_dir, tmp_path, capsys, monkeypatch, name):
    def save(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 half a zip")  # torch.save had begun writing when the file system said no
        raise refusal(name)

    monkeypatch.setattr(torch, "save", save)
    out = tmp_path / "out"
    one_sentence(capsys, train_args(cifar_dir, out), out / "checkpoint.pt", REFUSALS[name])
    assert no_temporaries(out) and not (out / "checkpoint.pt").exists()


@pytest.mark.parametrize("name", REFUSALS)
def test_a_refused_rename_is_one_sentence_and_no_file(cifar_dir, tmp_path, capsys, monkeypatch, name):
    refuse_replace_of("config.json", refusal(name), monkeypatch)
    out = tmp_path / "out"
    one_sentence(capsys, train_args(cifar_dir, out), out / "config.json", REFUSALS[name])
    assert no_temporaries(out) and not (out / "config.json").exists()


@pytest.mark.parametrize("name", REFUSALS)
def test_refused_rows_leave_the_csv_whole(cifar_dir, tmp_path, capsys, monkeypatch, name):
    """The second append to curves.csv is cut off half-way: the rows of the first stay, whole."""
    appends = []

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(bytes(data[:len(data) // 2]))
            raise refusal(name)

        def __getattr__(self, attribute):
            return getattr(self.handle, attribute)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    def opening(path, mode="r", *args, **kwargs):
        handle = builtins.open(path, mode, *args, **kwargs)
        if os.path.basename(path) == "curves.csv" and "a" in mode:
            appends.append(path)
            if len(appends) == 2:
                return HalfWriter(handle)
        return handle

    monkeypatch.setattr(resnet_study.io, "open", opening, raising=False)
    out = tmp_path / "out"
    first = out / "curves.csv"
    one_sentence(capsys, train_args(cifar_dir, out), first, REFUSALS[name])
    lines = first.read_bytes().splitlines(keepends=True)
    assert len(appends) == 2 and len(lines) == 2 and lines[-1].endswith(b"\n")  # the header and one row


def test_status_write_refused_is_one_sentence(cifar_dir, tmp_path, capsys, monkeypatch):
    sweep = Sweep(out=str(tmp_path / "sweep"), models=["cifar_resnet8"], name="refused",
                  overrides={"data_dir": str(cifar_dir), "iterations": 6, "batch_size": 16, "eval_every": 3,
                             "log_every": 3, "device": "cpu", "milestones": (4,)})
    sweep.save()
    assert run_one(sweep, "cifar_resnet8", 0, log=lambda *_: None)["status"] == "done"
    folder = tmp_path / "sweep"
    runs = (folder / "runs.csv").read_bytes()
    for name, words in REFUSALS.items():
        with monkeypatch.context() as patch:
            refuse_replace_of("curves.csv", refusal(name), patch)
            one_sentence(capsys, ["status", str(folder), "--write"], folder / "curves.csv", words)
        assert no_temporaries(folder) and not (folder / "curves.csv").exists()
        assert (folder / "runs.csv").read_bytes() == runs  # rewritten whole, with the same rows


@pytest.mark.parametrize("name", ["EDQUOT", "EROFS"])
def test_a_sweep_whose_tables_are_refused_is_one_sentence(cifar_dir, tmp_path, capsys, monkeypatch, name):
    refuse_replace_of("runs.csv", refusal(name), monkeypatch)
    out = tmp_path / "sweep"
    one_sentence(capsys, ["sweep", "--models", "cifar_resnet8", "--data-dir", str(cifar_dir), "--out", str(out),
                          "--iterations", "6", "--batch-size", "32", "--device", "cpu", "--set", "log_every=3",
                          "milestones=4"], out / "runs.csv", REFUSALS[name])
    assert no_temporaries(out) and not (out / "runs.csv").exists()


def test_any_other_refusal_is_one_sentence_naming_the_file(cifar_dir, tmp_path, capsys, monkeypatch):
    """An OSError that no write named (here: making the run folder) still ends in one sentence."""
    out = tmp_path / "out"
    mkdir = type(out).mkdir

    def failing(self, *args, **kwargs):
        if self == out:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(type(out), "mkdir", failing)
    one_sentence(capsys, train_args(cifar_dir, out), out, os.strerror(errno.EIO))


def test_every_refusal_has_its_own_sentence():
    sentences = {code: resnet_study.io.write_error(OSError(code, os.strerror(code)), "F")
                 for code in resnet_study.io.WRITE_ERRORS}
    assert len(set(sentences.values())) == len(sentences) and all("F" in s for s in sentences.values())
    assert {getattr(errno, name) for name in REFUSALS} <= set(sentences)


def test_a_refused_figure_of_the_deck_is_one_sentence_and_no_file(tmp_path, capsys, monkeypatch):
    from resnet_study.reports import slides

    replace = os.replace

    def refusing(src, dst, *args, **kwargs):
        if str(dst).endswith(".png"):
            raise refusal("EDQUOT")
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refusing)
    root = Path(__file__).resolve().parents[1] / "results"
    code = slides.main(["--cifar", str(root / "cifar_study"), "--imagenet", str(root / "imagenette_study"),
                        "--published", str(tmp_path / "none"), "--constructed", str(tmp_path / "none"),
                        "--out", str(tmp_path / "deck")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and REFUSALS["EDQUOT"] in err and ".png" in err, err
    assert not list((tmp_path / "deck").rglob("*.png")) and no_temporaries(tmp_path / "deck")
