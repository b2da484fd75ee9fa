"""CIFAR-10 in the official python format, read whatever its size (section 4.2 data)."""

from __future__ import annotations

import hashlib
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import StudyError

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_BATCH = "test_batch"
FULL_TRAIN, FULL_TEST = 50_000, 10_000
HOLDOUT_SEED = 0  # one fixed split, so every run of a sweep validates on the same images


class SubsetWarning(UserWarning):
    """The folder is in the official format but is not the full official data set."""


@dataclass
class Split:
    images: np.ndarray  # uint8 (N, 3, 32, 32)
    labels: np.ndarray  # int64 (N,)

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class CifarData:
    train: Split
    test: Split | None  # the official test batch, when the folder has one
    holdout: Split | None  # images kept out of training
    path: str
    full: bool  # all files match torchvision's md5 list

    @property
    def eval_split(self) -> tuple[str, Split]:
        """What ``test_error`` is measured on: the official test batch, else the holdout."""
        return ("test", self.test) if self.test is not None else ("holdout", self.holdout)

    def describe(self) -> dict:
        return {
            "name": "CIFAR-10" if self.full else "CIFAR-10 subset",
            "path": self.path,
            "full": self.full,
            "train_images": len(self.train),
            "holdout_images": len(self.holdout) if self.holdout is not None else 0,
            "test_images": len(self.test) if self.test is not None else 0,
            "test_error_on": self.eval_split[0],
        }


def _read_batch(path: Path) -> Split:
    """One batch file, checked: a damaged or foreign file is one sentence naming it."""
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
    except Exception as err:  # a truncated or foreign pickle can raise almost anything
        raise StudyError(f"{path} is not a readable CIFAR-10 batch ({type(err).__name__}: it may be empty, "
                         f"truncated or corrupt); restore it from the official archive") from None
    if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
        raise StudyError(f"{path} is not a CIFAR-10 batch: it has no 'data' and 'labels' entries")
    try:
        images = np.asarray(batch["data"], dtype=np.uint8)
        given = np.asarray(batch["labels"])
    except (TypeError, ValueError, OverflowError):
        raise StudyError(f"{path} holds 'data' or 'labels' that are not arrays of numbers") from None
    if given.size and given.dtype.kind not in "iu" and not (
            given.dtype.kind == "f" and np.all(np.isfinite(given) & (given == np.round(given)))):
        raise StudyError(f"{path} holds 'labels' that are not whole numbers; CIFAR-10 labels are 0 to 9")
    labels = given.astype(np.int64)
    if images.ndim != 2 or images.shape[1] != 3 * 32 * 32:
        raise StudyError(f"{path} holds images of shape {images.shape}; CIFAR-10 rows are 3072 bytes (3x32x32)")
    if not len(images):
        raise StudyError(f"{path} holds no images; restore it from the official archive")
    if labels.ndim != 1:
        raise StudyError(f"{path} holds labels of shape {labels.shape}; CIFAR-10 labels are one list of numbers")
    if len(labels) != len(images):
        raise StudyError(f"{path} holds {len(images)} images but {labels.size} labels; they must match one to one")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        bad = labels[(labels < 0) | (labels > 9)][0]
        raise StudyError(f"{path} holds label {bad}; CIFAR-10 labels are 0 to 9")
    return Split(images.reshape(-1, 3, 32, 32), labels)


def _md5_matches(folder: Path) -> bool:
    from torchvision.datasets import CIFAR10

    for name, md5 in CIFAR10.train_list + CIFAR10.test_list:
        path = folder / name
        if not path.exists() or hashlib.md5(path.read_bytes()).hexdigest() != md5:
            return False
    return True


def download(data_dir: str | Path) -> None:
    """Fetch the official archive with torchvision into ``data_dir``; one sentence if that fails."""
    from torchvision.datasets import CIFAR10

    try:
        CIFAR10(str(data_dir), train=True, download=True)
    except Exception as err:  # URLError, socket errors, bad archives: all mean "could not download"
        raise StudyError(
            f"CIFAR-10 is not in {Path(data_dir) / FOLDER} and could not be downloaded ({type(err).__name__}); "
            f"download it on a connected machine or pass --data-dir (make: DATA_DIR=) pointing at a folder "
            f"holding {FOLDER}/"
        ) from None


def load_cifar10(data_dir: str | Path, *, holdout: int = 0, allow_download: bool = True) -> CifarData:
    """Read ``data_dir/cifar-10-batches-py``, downloading it when missing and allowed.

    A folder whose files differ from the official md5 list (a subset) loads with a
    ``SubsetWarning`` that says how many images it found. Without a test batch, ``test_error``
    is measured on a holdout split (10% of the training images when ``holdout`` is 0).
    """
    data_dir = Path(data_dir)
    folder = data_dir / FOLDER if (data_dir / FOLDER).is_dir() or data_dir.name != FOLDER else data_dir
    if not any((folder / name).exists() for name in TRAIN_BATCHES):
        if not allow_download:
            raise StudyError(f"no CIFAR-10 training batches in {folder}; point --data-dir (make: DATA_DIR=) at a "
                             f"folder holding {FOLDER}/ (train and sweep download it there unless --no-download)")
        download(folder.parent)
    parts = [_read_batch(folder / name) for name in TRAIN_BATCHES if (folder / name).exists()]
    train = Split(np.concatenate([p.images for p in parts]), np.concatenate([p.labels for p in parts]))
    test = _read_batch(folder / TEST_BATCH) if (folder / TEST_BATCH).exists() else None
    full = len(train) == FULL_TRAIN and test is not None and len(test) == FULL_TEST and _md5_matches(folder)
    if not full:
        found = f"{len(train):,} training and {len(test) if test is not None else 0:,} test images"
        note = "" if test is not None else "; there is no test_batch, so test error is measured on a holdout split"
        warnings.warn(f"{folder} is not the full official CIFAR-10 (md5 sums differ): found {found}{note}",
                      SubsetWarning, stacklevel=2)
    if test is None and holdout == 0:
        holdout = len(train) // 10
    if holdout < 0 or holdout >= len(train):
        raise StudyError(f"--holdout must be between 0 and {len(train) - 1} for {len(train):,} training images; "
                         f"got {holdout}")
    held = None
    if holdout:
        order = np.random.default_rng(HOLDOUT_SEED).permutation(len(train))
        keep, out = np.sort(order[holdout:]), np.sort(order[:holdout])
        held = Split(train.images[out], train.labels[out])
        train = Split(train.images[keep], train.labels[keep])
    return CifarData(train, test, held, str(folder.resolve()), full)


def write_batch(path: str | Path, images: np.ndarray, labels, batch_label: str = "generated") -> None:
    """Write images (N, 3, 32, 32) uint8 as one batch in the official format (tests, subsets)."""
    batch = {"batch_label": batch_label, "labels": [int(l) for l in labels],
             "data": np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1),
             "filenames": [f"{i:05d}.png" for i in range(len(images))]}
    with open(path, "wb") as f:
        pickle.dump(batch, f)
