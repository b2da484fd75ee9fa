"""Every bad input ends in one sentence that names the file or value, exit status 2, and
nothing half-written."""

import errno
import json
import pathlib
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from resnet_study.cli import main
from resnet_study.data import write_batch

from helpers import Interrupt, tiny_config, crash_at, make_cifar_folder, make_image_folder

TINY = ["--model", "cifar_resnet8", "--device", "cpu", "--iterations", "6", "--batch-size", "32",
        "--eval-every", "3", "--checkpoint-every", "3", "--set", "log_every=3", "milestones=4"]


pytestmark = pytest.mark.usefixtures("quiet_warnings")


def one_sentence(capsys, argv, *names) -> str:
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own errors (--seed x)
        code = exit.code
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


def _no_images(path):
    with open(path, "wb") as f:
        pickle.dump({"data": np.zeros((0, 3072), dtype=np.uint8), "labels": []}, f)


def _labels_like(path, labels):
    with open(path, "wb") as f:
        pickle.dump({"data": np.zeros((len(labels), 3072), dtype=np.uint8), "labels": labels}, f)


DAMAGE = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:5000]),
    "corrupt": lambda p: p.write_bytes(np.random.default_rng(0).bytes(4000)),
    "no data": _labels_only,
    "label out of range": lambda p: _relabel(p, label=10),
    "more images than labels": lambda p: _relabel(p, drop=1),
    "no images": _no_images,
    "fractional labels": lambda p: _labels_like(p, np.array([0.5, 1.5])),
    "nested labels": lambda p: _labels_like(p, [[0], [1]]),
}
EXPECTED = {"label out of range": "label 10", "more images than labels": "64 images but 63 labels",
            "no images": "holds no images", "fractional labels": "not whole numbers",
            "nested labels": "labels of shape (2, 1)"}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_cifar_batch(tmp_path, capsys, damage):
    data = make_cifar_folder(tmp_path / "data")
    batch = data / "cifar-10-batches-py" / "data_batch_2"
    DAMAGE[damage](batch)
    err = one_sentence(capsys, train_args(data, tmp_path / "out"), batch)
    assert EXPECTED.get(damage, "CIFAR-10 batch") in err
    assert not (tmp_path / "out").exists()


def test_test_batch_without_images(tmp_path, capsys):
    data = make_cifar_folder(tmp_path / "data")
    batch = data / "cifar-10-batches-py" / "test_batch"
    _no_images(batch)
    one_sentence(capsys, train_args(data, tmp_path / "out"), batch, "holds no images")
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


def _binary_classes(data, tmp):
    (tmp / "wnids.txt").write_bytes(b"\xff\xfe\x00")
    return ["--classes", str(tmp / "wnids.txt")], [tmp / "wnids.txt"]


def _emptied(data, folder, what):
    for path in sorted((data / folder).iterdir()):
        if what == "classes":
            shutil.rmtree(path)
        else:
            for image in path.iterdir():
                image.unlink()
    return [], [data / folder]


def _tiny_val_annotations(data, tmp):
    shutil.rmtree(data / "val")
    (data / "val").mkdir()
    (data / "val" / "val_annotations.txt").write_text("no tabs here\n")
    return [], [data / "val" / "val_annotations.txt", "line 1"]


IMAGE_FOLDER_INPUTS = {
    "image-size 0": lambda data, tmp: (["--image-size", "0"], ["image-size"]),
    "image-size -4": lambda data, tmp: (["--image-size", "-4"], ["image-size"]),
    "loader-workers -1": lambda data, tmp: (["--loader-workers", "-1"], ["loader-workers"]),
    "batch-size 1 at 32 px": lambda data, tmp: (["--batch-size", "1"], ["batch-size 1"]),
    "classes file not text": _binary_classes,
    "train without class folders": lambda data, tmp: _emptied(data, "train", "classes"),
    "val without class folders": lambda data, tmp: _emptied(data, "val", "classes"),
    "val without images": lambda data, tmp: _emptied(data, "val", "images"),
    "tiny imagenet annotations": _tiny_val_annotations,
}


@pytest.mark.parametrize("preset", ["imagenet_quick", "imagenet_study"])
@pytest.mark.parametrize("bad", IMAGE_FOLDER_INPUTS)
def test_bad_image_folder_inputs(preset, bad, tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", per_class=2, val_per_class=1, size=32)
    extra, names = IMAGE_FOLDER_INPUTS[bad](data, tmp_path)
    out = tmp_path / "out"
    one_sentence(capsys, ["train", "--preset", preset, "--model", "resnet18", "--data-dir", str(data),
                          "--out", str(out), "--device", "cpu", "--iterations", "2", "--batch-size", "4",
                          "--image-size", "32", "--loader-workers", "0", *extra], *names)
    assert not out.exists()


def test_corrupt_checkpoints(cifar_dir, tmp_path, capsys):
    from resnet_study.training.loop import Trainer

    out = tmp_path / "out"
    cfg = tiny_config(cifar_dir, iterations=6, milestones=(4,), log_every=3, eval_every=3, checkpoint_every=2)
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


def _zip_writer_on_full_disk(*args, **kwargs):
    """What torch.save does on a real full disk: the write's OSError, then a RuntimeError from closing."""
    try:
        raise OSError(errno.ENOSPC, "No space left on device")
    except OSError:
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 51968 vs 51864")


@pytest.mark.parametrize("raised", ["OSError", "torch's RuntimeError"])
def test_disk_full_says_so(cifar_dir, tmp_path, capsys, monkeypatch, raised):
    def full_disk(*args, **kwargs):
        if raised != "OSError":
            _zip_writer_on_full_disk()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    out = tmp_path / "out"
    one_sentence(capsys, train_args(cifar_dir, out), out / "checkpoint.pt", "no space left on the disk")
    assert not list(out.glob(".*.tmp")) and not (out / "checkpoint.pt").exists()


@pytest.mark.parametrize("extra,value", [
    (["--device", "mps"], "'mps'"), (["--device", "meta"], "'meta'"), (["--lr", "nan"], "lr"),
    (["--lr", "inf"], "lr"), (["--set", "preset=quick"], "preset"),
    (["--epochs", "inf"], "epochs"), (["--epochs", "1", "--epoch-milestones", "nan"], "epoch-milestones"),
    (["--milestones", "-5"], "milestones"), (["--momentum", "-1"], "momentum"),
    (["--weight-decay", "-1"], "weight-decay"), (["--warmup-lr", "-1"], "warmup-lr"),
    (["--seed", "x"], "--seed"),
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
    ("", "lists no models"),
    ("seeds: [0]\n", "lists no models"),
    ("models: [cifar_plain8]\noverrides: {1: 2}\n", "config key 1 is not a name"),
    ("models: [cifar_plain8]\npreset: [quick]\n", "preset must be a name"),
    ("models: [cifar_plain8]\nnproc_per_run: x\n", "nproc_per_run"),
])
def test_bad_sweep_files(tmp_path, capsys, content, sentence):
    spec = tmp_path / "grid.yaml"
    spec.write_text(content)
    err = one_sentence(capsys, ["sweep", "--config", str(spec), "--out", str(tmp_path / "out")], sentence)
    if "YAML" in sentence or "lists no models" in sentence:
        assert str(spec) in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["binary", "folder"])
def test_unreadable_sweep_file(tmp_path, capsys, kind):
    spec = tmp_path / "grid.yaml"
    spec.write_bytes(b"\xff\xfe\x00models") if kind == "binary" else spec.mkdir()
    one_sentence(capsys, ["sweep", "--config", str(spec), "--out", str(tmp_path / "out")], spec, "cannot be read")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags,sentence", [
    (["--models", "cifar_plain8", "--seeds", ","], "--seeds"),
    (["--models", "cifar_plain8,cifar_plain8"], "listed more than once"),
    (["--models", "cifar_plain8", "--workers", "-1"], "--workers"),
    (["--models", "cifar_plain8", "--device", "mps"], "'mps'"),
])
def test_bad_sweep_flags(tmp_path, capsys, flags, sentence):
    one_sentence(capsys, ["sweep", *flags, "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "none"),
                          "--no-download"], sentence)
    assert not (tmp_path / "out").exists()


# ---- run folders, checkpoints and weights files ---------------------------------------------------
@pytest.fixture(scope="module")
def finished_run(cifar_dir, tmp_path_factory):
    from resnet_study.training.loop import train

    out = tmp_path_factory.mktemp("finished") / "run"
    cfg = tiny_config(cifar_dir, iterations=6, milestones=(4,), log_every=3, eval_every=3, checkpoint_every=3,
                      download=False)
    train(cfg, out, progress=False, log=lambda *_: None)  # as train_args(cifar_dir, out) does
    return out


def _copy_run(finished_run, tmp_path, unfinished=True):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    if unfinished:
        (run / "summary.json").unlink()
    return run


def _edit_checkpoint(run, **changes):
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    torch.save(dict(state, **changes), run / "checkpoint.pt")
    (run / "checkpoint.prev.pt").unlink()


def _edit_config(run, **changes):
    saved = json.loads((run / "config.json").read_text())
    saved["config"].update(changes)
    (run / "config.json").write_text(json.dumps(saved))


RUN_DAMAGE = {  # damage -> (what names it, command)
    "config.json is a folder": (lambda run: ((run / "config.json").unlink(), (run / "config.json").mkdir()),
                                "config.json", "train"),
    "checkpoint of another net's tensors": (lambda run: _edit_checkpoint(run, model={"x": torch.zeros(1)}),
                                            "checkpoint.pt", "train"),
    "config.json names another net": (lambda run: _edit_config(run, model="cifar_resnet14"), "run", "responses"),
    "config.json with an unknown key": (lambda run: _edit_config(run, colour=1), "config.json", "responses"),
}


@pytest.mark.parametrize("damage", RUN_DAMAGE)
def test_damaged_run_folder(finished_run, cifar_dir, tmp_path, capsys, damage):
    change, name, command = RUN_DAMAGE[damage]
    run = _copy_run(finished_run, tmp_path, unfinished=command == "train")
    change(run)
    before = sorted(p.name for p in run.iterdir())
    argv = train_args(cifar_dir, run) if command == "train" else ["responses", "--run", str(run), "--device", "cpu"]
    one_sentence(capsys, argv, run / name if name != "run" else run)
    assert sorted(p.name for p in run.iterdir()) == before


def _akamaster_file(tmp, finished_run, **entries):
    torch.save(entries, tmp / "r8.th")
    return tmp / "r8.th"


def _ours_beside(tmp, finished_run, text):
    """An older checkpoint (no ``net`` entry), so that evaluate reads the config.json beside it."""
    run = _copy_run(finished_run, tmp, unfinished=False)
    _edit_checkpoint(run, net=None)
    (run / "config.json").write_text(text)
    return run / "checkpoint.pt"


WEIGHTS = {  # damage -> (weights file, what the sentence names)
    "state_dict of numbers": (lambda tmp, run: _akamaster_file(tmp, run, state_dict={"fc.weight": 1}), "r8.th"),
    "best_prec1 of text": (lambda tmp, run: _akamaster_file(tmp, run, state_dict={"x": torch.zeros(1)},
                                                             best_prec1="high"), "r8.th"),
    "config.json holding a list": (lambda tmp, run: _ours_beside(tmp, run, '{"config": [1]}'), "config.json"),
    "config.json with a text holdout": (lambda tmp, run: _ours_beside(tmp, run, '{"config": {"holdout": "x"}}'),
                                        "config.json"),
}


@pytest.mark.parametrize("damage", WEIGHTS)
def test_damaged_weights_file(finished_run, cifar_dir, tmp_path, capsys, damage):
    make, name = WEIGHTS[damage]
    weights = make(tmp_path, finished_run)
    one_sentence(capsys, ["evaluate", "--model", "cifar_resnet8", "--weights", str(weights), "--data-dir",
                          str(cifar_dir), "--out", str(tmp_path / "out"), "--device", "cpu"], name)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_garbage_checkpoint_is_one_line_without_torch_warnings(finished_run, cifar_dir, tmp_path, command):
    """Bytes that start like a pickle of a newer protocol make torch.load warn on stderr first."""
    run = _copy_run(finished_run, tmp_path)
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):
        (run / name).write_bytes(b"\x80\xc6" + bytes(64))
    argv = (train_args(cifar_dir, run) if command == "train" else
            ["evaluate", "--model", "cifar_resnet8", "--weights", str(run / "checkpoint.pt"), "--data-dir",
             str(cifar_dir), "--out", str(tmp_path / "out"), "--device", "cpu"])
    proc = subprocess.run([sys.executable, "-W", "default", "-m", "resnet_study.cli", *argv], capture_output=True,
                          text=True, timeout=120)
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "checkpoint.pt" in err, err


def test_evaluate_on_a_full_disk_leaves_neither_file(finished_run, cifar_dir, tmp_path, capsys, monkeypatch):
    def full_disk(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", full_disk)
    out = tmp_path / "out"
    one_sentence(capsys, ["evaluate", "--model", "cifar_resnet8", "--weights", str(finished_run / "checkpoint.pt"),
                          "--data-dir", str(cifar_dir), "--out", str(out), "--device", "cpu"],
                 "no space left on the disk")
    assert not list(out.iterdir())


# ---- bench and models -----------------------------------------------------------------------------
def _without_meta(data):
    (data / "cifar-10-batches-py" / "batches.meta").unlink()
    return [], "batches.meta"


BENCH = {
    "steps 0": lambda data: (["--steps", "0"], "--steps"),
    "warmup -3": lambda data: (["--warmup", "-3", "--engine-only"], "--warmup"),
    "steps x": lambda data: (["--steps", "x"], "--steps"),
    "json is a folder": lambda data: (["--json", str(data), "--engine-only"], "is a folder"),
    "conventional loop without batches.meta": _without_meta,
    "conventional loop on ImageFolder data": lambda data: (["--preset", "imagenet_quick", "--model", "resnet18"],
                                                           "--engine-only"),
}


@pytest.mark.parametrize("bad", BENCH)
def test_bad_bench_inputs(tmp_path, capsys, bad):
    data = make_cifar_folder(tmp_path / "data")
    extra, sentence = BENCH[bad](data)
    one_sentence(capsys, ["bench", "--model", "cifar_resnet8", "--device", "cpu", "--batch-size", "16",
                          "--loader-workers", "0", "--steps", "1", "--warmup", "0", "--data-dir", str(data),
                          "--no-download", *extra], sentence)


@pytest.mark.parametrize("names", [",", " "])
def test_models_without_names(capsys, names):
    one_sentence(capsys, ["models", "--names", names], "--names")
