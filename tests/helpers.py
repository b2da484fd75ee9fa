"""Builders the tests share: generated data in the official formats, tiny configs, a crash
inside a training step, and checkpoints in published formats."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from resnet_study.config import make_config
from resnet_study.data import write_batch

SHARED_CIFAR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cifar10-subset"
needs_shared_cifar = pytest.mark.skipif(not (SHARED_CIFAR / "cifar-10-batches-py").is_dir(),
                                        reason="../shared/data/cifar10-subset is not beside the checkout")
QUIET = dict(progress=False, log=lambda *_: None)  # Trainer/train keywords: no bar, no lines


def tiny_config(data_dir, preset: str = "paper", **overrides):
    """A CIFAR ResNet-8 run of 30 iterations of 32 on the CPU: seconds on generated data."""
    base = dict(model="cifar_resnet8", data_dir=str(data_dir), iterations=30, batch_size=32, milestones=(20, 25),
                log_every=5, eval_every=10, checkpoint_every=10, device="cpu")
    return make_config(preset, {**base, **overrides})


def learnable_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class sets one coloured quadrant: easy to learn, not trivially constant."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 120, (n, 3, 32, 32), dtype=np.uint8)
    for i, label in enumerate(labels):
        channel, quadrant = label % 3, label // 3
        r, c = divmod(quadrant % 4, 2)
        images[i, channel, r * 16:(r + 1) * 16, c * 16:(c + 1) * 16] += 120
        if label == 9:
            images[i] = 255 - images[i]
    return images, labels


def make_cifar_folder(root: Path, per_batch: int = 64, test: int = 200) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for b in range(1, 6):
        write_batch(folder / f"data_batch_{b}", *learnable_images(per_batch, b), f"training batch {b} of 5")
    if test:
        write_batch(folder / "test_batch", *learnable_images(test, 99), "testing batch 1 of 1")
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": names, "num_cases_per_batch": per_batch, "num_vis": 3072}, f)
    return root


def make_image_folder(root: Path, classes=("n01440764", "n02102040", "n02979186"), per_class: int = 24,
                      val_per_class: int = 8, size: int = 48, tiny_val: bool = False) -> Path:
    """Generated JPEGs in ImageFolder layout; each class a different dominant colour."""
    from PIL import Image

    rng = np.random.default_rng(0)
    annotations = []
    for split, count in (("train", per_class), ("val", val_per_class)):
        for c, wnid in enumerate(classes):
            for i in range(count):
                pixels = rng.integers(0, 80, (size, size + 8, 3), dtype=np.uint8)
                pixels[..., c % 3] += 150
                if split == "val" and tiny_val:
                    folder, name = root / "val" / "images", f"val_{c}_{i}.JPEG"
                    annotations.append(f"{name}\t{wnid}\t0\t0\t1\t1")
                else:
                    folder, name = root / split / wnid, f"{wnid}_{i}.JPEG"
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels).save(folder / name, quality=90)
    if tiny_val:
        (root / "val" / "val_annotations.txt").write_text("\n".join(annotations) + "\n")
    return root


class Interrupt(Exception):
    """Raised inside a training step to simulate a crash."""


def crash_at(trainer, iteration: int) -> None:
    """Make ``trainer`` raise ``Interrupt`` when it reaches ``iteration``."""
    step = trainer.train_step

    def crashing_step(it, **kwargs):
        if it == iteration:
            raise Interrupt
        return step(it, **kwargs)

    trainer.train_step = crashing_step


def trained_looking(model):
    """Non-trivial BN statistics and affine weights, as a trained net has; eval mode."""
    torch.manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def save_akamaster(model, path, best_prec1=91.73, compressible=False):
    """``model``'s tensors as akamaster's trainer.py saves them: DataParallel's ``module.`` prefix,
    classifier ``linear``, ``best_prec1`` a tensor (as its ``accuracy`` returns), old-torch BN
    without ``num_batches_tracked``, legacy (non-zip) serialisation."""
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        key = key.replace("fc.", "linear.", 1) if key.startswith("fc.") else key
        if compressible:  # their later resnet.py: compressible_conv1, ..., compressible_linear
            module, _, param = key.rpartition(".")
            head, _, leaf = module.rpartition(".")
            if leaf.startswith(("conv", "linear")):
                key = f"{head}.compressible_{leaf}.{param}".lstrip(".")
        state["module." + key] = value.clone()
    torch.save({"state_dict": state, "best_prec1": torch.tensor(best_prec1)}, path,
               _use_new_zipfile_serialization=False)
    return path


def kill_then_resume(command: list[str], out: Path, *, lines: int = 0, timeout: float = 300):
    """Start the training ``command``, SIGKILL it once ``out`` has a checkpoint (and ``curves.csv``
    at least ``lines`` lines), then run it again to the end; returns that run's CompletedProcess."""
    import os
    import signal
    import subprocess
    import time

    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline and not (out / "checkpoint.pt").exists():
        time.sleep(0.1)
    while time.time() < deadline and len((out / "curves.csv").read_text().splitlines()) < lines:
        time.sleep(0.05)
    time.sleep(0 if lines else 0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "summary.json").exists(), "the run finished before it could be killed"
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "resuming at iteration" in done.stdout
    return done


def make_font(path: Path, family: str = "NanumGothic", chars: str = "가나다한국어") -> Path:
    """A TrueType font named ``family`` with a one-em box for each of ``chars`` (a stand-in for
    a Hangul font, whose syllables are one em wide)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef", "space"] + [f"uni{ord(c):04X}" for c in chars]
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 700))
    pen.lineTo((800, 700))
    pen.lineTo((800, 0))
    pen.closePath()
    box, empty = pen.glyph(), TTGlyphPen(None).glyph()
    font = FontBuilder(1000, isTTF=True)
    font.setupGlyphOrder(names)
    font.setupCharacterMap({32: "space", **{ord(c): f"uni{ord(c):04X}" for c in chars}})
    font.setupGlyf({n: empty if n == "space" else box for n in names})
    font.setupHorizontalMetrics({n: (300, 0) if n == "space" else (1000, 100) for n in names})
    font.setupHorizontalHeader(ascent=880, descent=-120)
    font.setupNameTable({"familyName": family, "styleName": "Regular"})
    font.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    font.setupPost()
    path.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(path))
    return path
