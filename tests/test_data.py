"""CIFAR-10 loading and the device-resident loader."""

import numpy as np
import pytest
import torch

from resnet_study.data import DeviceLoader, SubsetWarning, load_cifar10, pixel_statistics
from resnet_study.errors import StudyError

from helpers import SHARED_CIFAR, needs_shared_cifar


def test_unmatched_md5_loads_with_counts(cifar_dir):
    with pytest.warns(SubsetWarning, match="found 320 training and 200 test images"):
        data = load_cifar10(cifar_dir)
    assert len(data.train) == 320 and len(data.test) == 200 and data.holdout is None
    assert data.train.images.dtype == np.uint8 and data.train.images.shape == (320, 3, 32, 32)
    assert data.describe()["name"] == "CIFAR-10 subset" and data.eval_split[0] == "test"


def test_folder_itself_can_be_named(cifar_dir):
    with pytest.warns(SubsetWarning):
        assert len(load_cifar10(cifar_dir / "cifar-10-batches-py").train) == 320


def test_holdout_is_fixed_and_disjoint(cifar_dir):
    with pytest.warns(SubsetWarning):
        a, b = load_cifar10(cifar_dir, holdout=50), load_cifar10(cifar_dir, holdout=50)
    assert len(a.train) == 270 and len(a.holdout) == 50
    np.testing.assert_array_equal(a.holdout.images, b.holdout.images)
    train_rows = {r.tobytes() for r in a.train.images}
    assert not any(r.tobytes() in train_rows for r in a.holdout.images)


def test_without_test_batch_evaluates_on_holdout(cifar_dir_no_test):
    with pytest.warns(SubsetWarning, match="no test_batch"):
        data = load_cifar10(cifar_dir_no_test)
    assert data.eval_split[0] == "holdout" and len(data.holdout) == 32 and len(data.train) == 288


@needs_shared_cifar
def test_shared_subset_loads():
    with pytest.warns(SubsetWarning, match="found 5,170 training and 0 test images"):
        data = load_cifar10(SHARED_CIFAR)
    assert len(data.train) + len(data.holdout) == 5170
    mean, _ = pixel_statistics(data.train, per_pixel=False)
    np.testing.assert_allclose(mean.flatten().numpy(), [0.4938, 0.4849, 0.4484], atol=0.01)


def test_missing_data_without_download(tmp_path):
    with pytest.raises(StudyError, match="no CIFAR-10 training batches in .*--no-download"):
        load_cifar10(tmp_path / "nowhere", allow_download=False)


def test_failed_download_is_one_sentence(tmp_path, monkeypatch):
    import urllib.error

    import torchvision.datasets

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torchvision.datasets.CIFAR10, "download", offline)
    with pytest.raises(StudyError, match="could not be downloaded"):
        load_cifar10(tmp_path)


def test_bad_holdout(cifar_dir):
    with pytest.warns(SubsetWarning), pytest.raises(StudyError, match="--holdout must be between"):
        load_cifar10(cifar_dir, holdout=320)


def _loader(data, **kwargs):
    mean, std = pixel_statistics(data.train)
    return DeviceLoader(data.train, mean, std, 32, device=torch.device("cpu"), **kwargs)


def test_batches_depend_only_on_seed_and_iteration(cifar_dir):
    with pytest.warns(SubsetWarning):
        data = load_cifar10(cifar_dir)
    a, b = _loader(data, seed=1), _loader(data, seed=1)
    for it in (7, 0, 25, 7):  # any order: a resumed run sees the same batches
        xa, ya = a.batch(it)
        xb, yb = b.batch(it)
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert not torch.equal(a.batch(0)[0], a.batch(1)[0])
    assert not torch.equal(a.batch(0)[0], _loader(data, seed=2).batch(0)[0])
    epoch = torch.cat([a.batch(i)[1] for i in range(a.steps_per_epoch)])
    assert len(epoch) == 320 and sorted(epoch.tolist()) == sorted(data.train.labels.tolist())


def test_crop_and_flip_are_shifted_windows_of_the_padded_image(cifar_dir):
    with pytest.warns(SubsetWarning):
        data = load_cifar10(cifar_dir)
    aug, plain = _loader(data, seed=0), _loader(data, seed=0, augment=False)
    x, _ = aug.batch(3)
    reference, _ = plain.batch(3)  # same order (same seed), no augmentation
    padded = torch.nn.functional.pad(reference, (4, 4, 4, 4))
    for i in range(len(x)):
        windows = [padded[i, :, dy:dy + 32, dx:dx + 32] for dy in range(9) for dx in range(9)]
        assert any(torch.equal(x[i], w) or torch.equal(x[i], w.flip(2)) for w in windows)
    flipped = sum(not any(torch.equal(x[i], w) for w in
                          [padded[i, :, dy:dy + 32, dx:dx + 32] for dy in range(9) for dx in range(9)])
                  for i in range(len(x)))
    assert 4 < flipped < 28  # about half the images are flipped


def test_per_pixel_mean_is_an_image(cifar_dir):
    with pytest.warns(SubsetWarning):
        data = load_cifar10(cifar_dir)
    mean, std = pixel_statistics(data.train)
    assert mean.shape == (3, 32, 32) and torch.all(std == 1)
    torch.testing.assert_close(mean, torch.from_numpy(data.train.images).float().mean(0) / 255)
    x = next(_loader(data, augment=False).eval_batches())[0]
    assert abs(x.mean().item()) < 1e-5
