"""ImageNet subsets: ImageFolder layouts, the paper's augmentation, training, DDP."""

import json
import subprocess
import sys

import pandas as pd
import pytest
import torch

from resnet_study.config import make_config
from resnet_study.data import image_folder_splits
from resnet_study.data.imagefolder import Lighting, train_transform
from resnet_study.training.loop import train
from resnet_study.errors import StudyError

from helpers import QUIET, Interrupt, crash_at, make_image_folder



def test_image_folder_splits_and_transforms(image_dir):
    train_set, val_set = image_folder_splits(image_dir, 32)
    assert len(train_set) == 72 and len(val_set) == 24 and train_set.classes == val_set.classes
    x, y = train_set[0]
    assert x.shape == (3, 32, 32) and 0 <= y < 3
    assert val_set[5][0].shape == (3, 32, 32)


def test_class_subset_by_wnids(image_dir, tmp_path):
    subset, val = image_folder_splits(image_dir, 32, classes="n02979186,n01440764")
    assert subset.classes == ["n01440764", "n02979186"] and len(subset) == 48 and len(val) == 16
    listing = tmp_path / "wnids.txt"
    listing.write_text("n02102040\n")
    assert len(image_folder_splits(image_dir, 32, classes=str(listing))[0]) == 24
    with pytest.raises(StudyError, match="not found"):
        image_folder_splits(image_dir, 32, classes="n99999999")


def test_tiny_imagenet_val_layout(tmp_path):
    root = make_image_folder(tmp_path, tiny_val=True)
    train_set, val_set = image_folder_splits(root, 32)
    assert len(val_set) == 24 and sorted(set(val_set.targets)) == [0, 1, 2]


def test_missing_tree_is_one_sentence(tmp_path):
    with pytest.raises(StudyError, match="no train/ folder"):
        image_folder_splits(tmp_path, 32)


def test_scale_augmentation_follows_section_3_4():
    scale = train_transform(224).transforms[0]
    assert (scale.low, scale.high) == (256, 480)  # shorter side in [256, 480] at 224 px
    scale = train_transform(64).transforms[0]
    assert (scale.low, scale.high) == (73, 137)


def test_lighting_shifts_colour_along_pca():
    torch.manual_seed(0)
    image = torch.zeros(3, 4, 4)
    shifted = Lighting(0.1)(image)
    assert shifted.std(dim=(1, 2)).max() == 0 and shifted.abs().sum() > 0  # one constant shift per channel
    assert torch.equal(Lighting(0.0)(image), image)


def small(image_dir, **overrides):
    base = dict(model="resnet18", data_dir=str(image_dir), image_size=32, iterations=12, batch_size=24,
                milestones=(8,), log_every=3, eval_every=6, checkpoint_every=6, loader_workers=0, device="cpu")
    base.update(overrides)
    return make_config("imagenet_quick", base)


def test_imagefolder_run_learns(image_dir, tmp_path):
    summary = train(small(image_dir, iterations=24, milestones=(18,)), tmp_path, **QUIET)
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert summary["status"] == "done" and curves.iteration.tolist() == list(range(3, 27, 3))
    # Learning, with a margin on any CPU: the held-out error of 24 images after 24 steps sits at the
    # edge of chance (2/3) and moved with another CPU's numerics, the training loss does not.
    assert curves.train_loss.iloc[-2:].mean() < curves.train_loss.iloc[0] / 4
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["dataset"]["classes"] == 3 and config["dataset"]["name"].endswith("(ImageFolder)")



def test_interrupted_imagefolder_run_resumes_mid_epoch(image_dir, tmp_path):
    from resnet_study.training.loop import Trainer

    # 72 images in batches of 18: 4 iterations per epoch, so the checkpoint at 6 that the crash at
    # 7 resumes from lies two batches into epoch 1.
    cfg = small(image_dir, loader_workers=2, batch_size=18)
    trainer = Trainer(cfg, tmp_path, **QUIET)
    crash_at(trainer, 7)
    with pytest.raises(Interrupt):
        trainer.run()
    said = []
    summary = train(cfg, tmp_path, progress=False, log=said.append)
    assert any("resuming at iteration 6" in line for line in said)
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert curves.iteration.tolist() == [3, 6, 9, 12] and summary["status"] == "done"
    # Every column equals an uninterrupted run's, and augmentation does not depend on the worker count.
    train(small(image_dir, loader_workers=0, batch_size=18), tmp_path / "whole", **QUIET)
    pd.testing.assert_frame_equal(curves, pd.read_csv(tmp_path / "whole" / "curves.csv"))
    assert json.loads((tmp_path / "config.json").read_text())["resume"].startswith("exact")
    from resnet_study.training.record import resume_exactness
    assert resume_exactness(torch.device("cuda")).startswith("not bitwise on cuda")  # said where it cannot be


def test_model_and_dataset_must_match(image_dir, tmp_path):
    with pytest.raises(StudyError, match="ImageFolder data takes resnet<D> or plain<D>"):
        train(small(image_dir, model="cifar_resnet20"), tmp_path, **QUIET)
    with pytest.raises(StudyError, match="CIFAR-10 takes cifar_resnet<D>"):
        train(make_config("paper", {"model": "resnet18"}), tmp_path, **QUIET)


@pytest.mark.slow  # starts three or more Python processes that each import torch
def test_ddp_two_processes_with_gloo(cifar_dir, tmp_path):
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "resnet_study.cli", "train", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir),
               "--out", str(out), "--device", "cpu", "--iterations", "20", "--batch-size", "32",
               "--eval-every", "10", "--set", "log_every=5", "milestones=15"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"]["processes"] == 2
    curves = pd.read_csv(out / "curves.csv")
    assert curves.iteration.tolist() == [5, 10, 15, 20] and curves.test_error.notna().sum() == 2
    assert curves.train_error.iloc[-1] < curves.train_error.iloc[0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "done" and summary["images_per_second"] > 0


@pytest.mark.slow  # starts three or more Python processes that each import torch
def test_sweep_starts_torchrun_runs(cifar_dir, tmp_path):
    command = [sys.executable, "-m", "resnet_study.cli", "sweep", "--models", "cifar_plain8", "--nproc-per-run", "2",
               "--data-dir", str(cifar_dir), "--out", str(tmp_path), "--device", "cpu", "--iterations", "8",
               "--batch-size", "32", "--set", "log_every=4", "eval_every=4", "milestones=6"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "runs" / "cifar_plain8-s0"
    assert json.loads((run / "config.json").read_text())["dataset"]["processes"] == 2
    assert pd.read_csv(tmp_path / "runs.csv").status.tolist() == ["done"]


def _cached_loaders(image_dir, **overrides):
    from resnet_study.data import make_loaders

    cfg = small(image_dir, cache=True, loader_workers=0, **overrides)
    return make_loaders(cfg, torch.device("cpu"))


def test_cached_images_are_decoded_once_and_augmented_in_batches(image_dir):
    loaders = _cached_loaders(image_dir)
    train_loader = loaders.train
    assert loaders.description["decoding"] == "once, cached in memory"
    # Training images cached at the top of section 3.4's scale range for 32-px crops: [37, 69].
    assert train_loader.images.dtype == torch.uint8 and train_loader.images.shape == (72, 3, 69, 69)
    x, y = train_loader.batch(0)
    assert x.shape == (24, 3, 32, 32) and y.shape == (24,) and x.dtype == torch.float32
    again, _ = train_loader.batch(0)
    assert torch.equal(x, again)  # a pure function of (seed, iteration): resume sees the same batch
    assert not torch.equal(x, train_loader.batch(1)[0])
    (vx, vy), = list(loaders.eval.eval_batches(100))
    assert vx.shape == (24, 3, 32, 32) and sorted(vy.tolist()) == sorted(loaders.eval.labels.tolist())


def test_cached_crops_stay_inside_the_image_and_flip(image_dir):
    # A horizontal ramp: every crop must be a window of it (no zero padding) and flips reverse it.
    loader = _cached_loaders(image_dir, color_augment=False).train
    ramp = torch.linspace(0, 255, loader.images.shape[-1]).round().to(torch.uint8)
    loader.images[:] = ramp.expand_as(loader.images[0])
    x, _ = loader.batch(3)
    pixels = x * loader.std + loader.mean  # back to [0, 1] units
    assert pixels.min() >= -1e-4 and pixels.max() <= 1 + 1e-4
    rows = pixels[:, 0, 16, :]
    slope = rows[:, -1] - rows[:, 0]
    assert (slope.abs() > 0.3).all()  # a window of at least 32/69 of the ramp
    assert (slope > 0).any() and (slope < 0).any()  # both orientations among 24 images
    assert torch.allclose(pixels[:, 0], pixels[:, 1]) and torch.allclose(pixels[:, 0], pixels[:, 2])


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_cached_run_learns_and_resumes(image_dir, tmp_path, precision):
    from resnet_study.training.loop import Trainer

    # lr 0.01, not the preset's 0.025: at 0.025 a fp32 run on an AVX2-only CPU spiked late (last two
    # losses 0.263 against a first of 1.08). At 0.01 the last two losses' mean was below 0.001 of the
    # first in fp32 and bf16, with AVX-512 kernels and with AVX2 ones (ATEN_CPU_CAPABILITY=avx2,
    # ONEDNN_MAX_CPU_ISA=AVX2): a margin of over 100 times under the bound of a tenth.
    cfg = small(image_dir, cache=True, loader_workers=0, iterations=24, milestones=(18,), lr=0.01,
                precision=precision)
    whole = train(cfg, tmp_path / "whole", **QUIET)
    losses = pd.read_csv(tmp_path / "whole" / "curves.csv").train_loss
    assert whole["status"] == "done" and losses.iloc[-2:].mean() < losses.iloc[0] / 10
    trainer = Trainer(cfg, tmp_path / "cut", **QUIET)
    crash_at(trainer, 7)
    with pytest.raises(Interrupt):
        trainer.run()
    train(cfg, tmp_path / "cut", **QUIET)
    a, b = (pd.read_csv(tmp_path / name / "curves.csv") for name in ("whole", "cut"))
    pd.testing.assert_frame_equal(a, b)
