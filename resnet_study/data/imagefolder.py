"""ImageNet subsets from ImageFolder trees, with the paper's augmentation (section 3.4).

Accepts ``ROOT/train/<class>/*`` and ``ROOT/val/<class>/*`` (Imagenette, Imagewoof, ImageNet
itself), Tiny ImageNet's own ``val/images`` + ``val_annotations.txt`` layout, and a class subset
of any of them given as a list of wnids (ImageNet-100 style).
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import transforms as T
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import default_loader

from ..errors import StudyError

# ImageNet's RGB mean/std, and the eigen-decomposition of its pixel covariance used by the
# AlexNet colour augmentation the paper adopts (section 3.4, ref. [21]); values as fb.resnet.torch.
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
EIGVAL = torch.tensor([0.2175, 0.0188, 0.0045])
EIGVEC = torch.tensor([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])


class Lighting:
    """AlexNet PCA colour augmentation: add ``eigvec @ (alpha * eigval)``, alpha ~ N(0, std)."""

    def __init__(self, std: float = 0.1) -> None:
        self.std = std

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if self.std == 0:
            return image
        alpha = torch.randn(3) * self.std
        return image + (EIGVEC @ (alpha * EIGVAL))[:, None, None]


class RandomShorterSide:
    """Scale augmentation (section 3.4): resize the shorter side to a random length in [low, high]."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def __call__(self, image: Image.Image) -> Image.Image:
        return T.functional.resize(image, int(torch.randint(self.low, self.high + 1, ()).item()))


def scale_range(size: int) -> tuple[int, int]:
    """Section 3.4's range of the shorter side, [256, 480] for 224 crops, scaled to ``size`` crops."""
    return round(256 * size / 224), round(480 * size / 224)


def train_transform(size: int, color: bool = True) -> T.Compose:
    # Paper: shorter side in [256, 480], 224 crop, flip, colour; scaled here by size / 224.
    return T.Compose([
        RandomShorterSide(*scale_range(size)), T.RandomCrop(size),
        T.RandomHorizontalFlip(), T.ToTensor(), Lighting(0.1 if color else 0.0),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def eval_transform(size: int) -> T.Compose:
    # Single centre crop of the image resized so its shorter side is 256 * size / 224 (Table 2 protocol).
    return T.Compose([T.Resize(scale_range(size)[0]), T.CenterCrop(size), T.ToTensor(),
                      T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


class _Samples(Dataset):
    """(path, class index) pairs with a transform: the common shape of every layout below."""

    def __init__(self, samples: list[tuple[str, int]], classes: list[str], transform) -> None:
        self.samples, self.classes, self.transform = samples, classes, transform
        self.targets = [label for _, label in samples]

    def __len__(self) -> int:
        return len(self.samples)

    def with_transform(self, transform) -> "_Samples":
        """The same images and labels through another transform."""
        return _Samples(self.samples, self.classes, transform)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        try:
            image = default_loader(path)
        except OSError as err:  # PIL's UnidentifiedImageError and "image file is truncated" included
            raise StudyError(f"{path} is not a readable image ({str(err).splitlines()[0]}); "
                             f"replace or remove it") from None
        return self.transform(image), label


def _read_classes(classes: str | None) -> list[str] | None:
    if not classes:
        return None
    path = Path(classes)
    try:
        names = path.read_text().split() if path.is_file() else classes.split(",")
    except (OSError, UnicodeDecodeError) as err:
        raise StudyError(f"{path} is not a readable list of class names ({type(err).__name__})") from None
    return [n.strip() for n in names if n.strip()]


def _tiny_imagenet_val(val: Path, class_to_idx: dict[str, int]) -> list[tuple[str, int]]:
    samples, path = [], val / "val_annotations.txt"
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise StudyError(f"{path} is not readable ({type(err).__name__}); restore it") from None
    for number, line in enumerate(lines, 1):
        if "\t" not in line:
            raise StudyError(f"{path} line {number} is not 'image<TAB>wnid<TAB>...'; restore the file")
        name, wnid = line.split("\t")[:2]
        if wnid in class_to_idx:
            samples.append((str(val / "images" / name), class_to_idx[wnid]))
    return samples


def _image_folder(folder: Path) -> ImageFolder:
    try:
        return ImageFolder(str(folder), allow_empty=True)
    except FileNotFoundError:  # torchvision: "Couldn't find any class folder"
        raise StudyError(f"no class folders in {folder}; expected {folder}/<class>/<images>") from None


def image_folder_splits(root: str | Path, size: int, *, classes: str | None = None, color: bool = True):
    """Train and val datasets of an ImageFolder tree; ``classes`` is a wnid list (file or commas)."""
    root = Path(root)
    if not (root / "train").is_dir():
        raise StudyError(f"no train/ folder in {root}; expected an ImageFolder tree ROOT/train/<class>/ "
                         f"and ROOT/val/<class>/ (Imagenette, Tiny ImageNet, ImageNet)")
    wanted = _read_classes(classes)
    train = _image_folder(root / "train")
    names = train.classes
    if wanted is not None:
        missing = sorted(set(wanted) - set(names))
        if missing:
            raise StudyError(f"class(es) {', '.join(missing[:5])} not found under {root / 'train'}")
        names = sorted(wanted)
    class_to_idx = {name: i for i, name in enumerate(names)}
    index_map = {train.class_to_idx[n]: i for n, i in class_to_idx.items()}
    train_samples = [(p, index_map[y]) for p, y in train.samples if y in index_map]
    if not train_samples:
        raise StudyError(f"no images found under {root / 'train'}")
    val = root / "val"
    if (val / "val_annotations.txt").exists():
        val_samples = _tiny_imagenet_val(val, class_to_idx)
    elif val.is_dir():
        folder = _image_folder(val)
        val_map = {folder.class_to_idx[n]: class_to_idx[n] for n in folder.classes if n in class_to_idx}
        val_samples = [(p, val_map[y]) for p, y in folder.samples if y in val_map]
    else:
        raise StudyError(f"no val/ folder in {root}")
    if not val_samples:
        raise StudyError(f"no images of the training classes found under {val}")
    return (_Samples(train_samples, names, train_transform(size, color)),
            _Samples(val_samples, names, eval_transform(size)))


__all__ = ["Lighting", "eval_transform", "image_folder_splits", "scale_range", "train_transform"]
