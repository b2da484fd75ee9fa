"""Published CIFAR-10 weights as data, one table per source, in the manner of torchvision's
``Weights`` enums and timm's pretrained configs: ``create_model("cifar_plain56", weights="wooyeolbaek")``.

Each entry says where the file is, how to check it, how its tensors are laid out (``layout``, a
key of ``layouts.LAYOUTS``), how its inputs were normalised, how and on what it was trained,
and what test error its authors state. Only two public reproductions trained the paper's CIFAR
nets to the end (section 4.2, Table 6); wooyeolBaek's are the only fully trained plain nets.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from ..errors import StudyError
from .layouts import LAYOUTS


@dataclass(frozen=True)
class PublishedWeights:
    """One published file.

    Attributes:
        tag: its source's tag, what ``weights=`` takes (``"akamaster"``, ``"wooyeolbaek"``).
        model: our net that holds it, e.g. ``"cifar_resnet56"``.
        url: download address.
        file_name: its name in torch.hub's cache (``torch.hub.get_dir()/checkpoints``).
        sha256: the file's sha256; its first hex digits only where only those are published
            (torch.hub's ``name-<hash prefix>`` file names); "" where unknown, then unchecked.
        layout: tensor names (``layouts.LAYOUTS``); ``convention``: shortcut and zero padding.
        conv_bias: whether its convs have biases (folded into the next BN's running mean).
        normalize, mean, std: input normalisation in [0, 1] pixel units; ``mean`` None means
            "the per-pixel mean of the training images" (see ``normalize_note``).
        recipe, train_images: how and on which images it was trained.
        stated_error: test error (%) its authors state, ``stated_note`` says where; None if none.
        license, repository, commit: where the file comes from, under what terms.
    """

    tag: str
    model: str
    url: str
    file_name: str
    sha256: str
    layout: str
    convention: str
    conv_bias: bool
    normalize: str
    mean: tuple[float, ...] | None
    std: tuple[float, ...]
    normalize_note: str
    recipe: str
    train_images: str
    stated_error: float | None
    stated_note: str
    license: str
    repository: str
    commit: str

    @property
    def name(self) -> str:
        """timm's ``model.tag`` form, e.g. ``cifar_plain56.wooyeolbaek``."""
        return f"{self.model}.{self.tag}"

    @property
    def kwargs(self) -> dict:
        """Our net's options that reproduce theirs."""
        return {**LAYOUTS[self.layout].kwargs, "shortcut": "A"}

    @property
    def source(self) -> str:
        return LAYOUTS[self.layout].source


_AKAMASTER_URL = "https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/{}"
_LAYOUT = LAYOUTS["akamaster"]


def _akamaster(depth: int, file_name: str, sha256: str, stated_error: float | None, stated_note: str):
    return PublishedWeights(
        "akamaster", f"cifar_resnet{depth}", _AKAMASTER_URL.format(file_name), file_name, sha256, "akamaster",
        "option A; zero channels on both sides (planes//4 before, planes//4 after); subsampling by stride 2",
        False, "imagenet", _LAYOUT.mean, _LAYOUT.std,
        "per channel with ImageNet's mean and std (their trainer.py), though trained on CIFAR-10",
        "200 epochs of 128, lr 0.1 /10 at epochs 100 and 150, momentum 0.9, weight decay 1e-4 (their trainer.py)",
        "all 50,000 CIFAR-10 training images (no validation split)", stated_error, stated_note,
        "BSD-2-Clause", "akamaster/pytorch_resnet_cifar10", "d5489e8")


_IN_FILE = "100 - best_prec1 stored in the file: their best test accuracy over the run, chosen on the test set"
AKAMASTER_WEIGHTS = (
    _akamaster(20, "resnet20-12fca82f.th", "12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8",
               8.22, _IN_FILE),
    _akamaster(32, "resnet32-d509ac18.th", "d509ac1820d7f25398913559d7e81a13229b1e7adc5648e3bfa5e22dc137f850",
               7.22, _IN_FILE),
    _akamaster(44, "resnet44-014dd654.th", "014dd6541728a1c700b1642ab640e211dc6eb8ed507d70697458dc8f8a0ae2e4",
               6.86, _IN_FILE),
    _akamaster(56, "resnet56-4bfd9763.th", "4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367",
               6.38, _IN_FILE),
    _akamaster(110, "resnet110-1d1ed7c2.th", "1d1ed7c2", 6.32, "their README's test error (this implementation)"),
    _akamaster(1202, "resnet1202-f3b1deed.th", "f3b1deed", None, "none stated"),
)

_WOOYEOLBAEK_URL = "https://github.com/wooyeolBaek/deep-residual-learning/raw/main/trained_models/{}/last.pth"


def _wooyeolbaek(run: str, sha256: str, stated_error: float):
    kind, depth = ("plain", run[len("plainnet"):].split("_")[0]) if run.startswith("plain") else \
        ("resnet", run[len("resnet"):].split("_")[0])
    return PublishedWeights(
        "wooyeolbaek", f"cifar_{kind}{depth}", _WOOYEOLBAEK_URL.format(run),
        f"wooyeolbaek-{run}-{sha256[:8]}.pth" if sha256 else f"wooyeolbaek-{run}.pth", sha256, "wooyeolbaek",
        "option A; zero channels on both sides (half before, half after); subsampling by stride 2",
        True, "pixel", None, (1.0, 1.0, 1.0),
        "pixel values /255 minus the per-pixel mean of their 45,000 training images, no std (their dataset.py); "
        "that mean is not published, so we subtract the per-pixel mean of the training images of the data folder "
        "evaluated on (on the full CIFAR-10: all 50,000, which include their 45,000)",
        "64k iterations of 128, lr 0.1 /10 at 32k and 48k, momentum 0.9, weight decay 1e-4, mixed precision "
        "(their config.json and train.py)",
        "45,000 of the 50,000 CIFAR-10 training images (a stratified 45k/5k split, seed 2023)", stated_error,
        "top1_error of test.json in the run folder: their error on the official 10,000 test images",
        "none published (no license file): link to the repository and download the files, never redistribute",
        "wooyeolBaek/deep-residual-learning", "a9333e0")


WOOYEOLBAEK_WEIGHTS = (
    _wooyeolbaek("plainnet20_A_230623_001026",
                 "f085771feb5e2b53a85450e5ac6bbde82a845ae5a0759abfb7848263b90717ed", 9.74),
    _wooyeolbaek("plainnet32_A_230623_001020",
                 "6f5c47018a3ccc557fe7578477648a5cb7846a7c966b8ddd1563942188eb425f", 10.41),
    _wooyeolbaek("plainnet44_A_230623_001008",
                 "173c31232ab3872616e15ebb3c10dce0a24874cb411379f4460af9230e37fda5", 11.73),
    _wooyeolbaek("plainnet56_A_230623_000836",
                 "34ecc3aed7a15abd887cfb03c6a0fdd0c78b53f0c959f43c730c86c3537c0302", 11.86),
    _wooyeolbaek("resnet20_A_230622_192331",
                 "e7a17a29c15fb9a79cb8396b8be7c3d5f9114314664c22c91045e0f128e43112", 9.18),
    _wooyeolbaek("resnet32_A_230622_192327",
                 "528f1748835ffdf8109eb5eeb6285a038a3becf37b48aee5a9b222e6473151a2", 8.68),
    _wooyeolbaek("resnet44_A_230622_192323",
                 "10585eca02e77c8ab919472c5383e78f0ef27a5b8897b09061eeda4707a3536d", 8.13),
    _wooyeolbaek("resnet56_A_230622_192321",
                 "d2c2c69ac3e3957a857f914967aeee7066999e14a65d200ec4f733668b6823d9", 7.10),
    _wooyeolbaek("resnet110_A_230622_192317", "", 6.95),  # its hash is unknown to us: not checked
)

PUBLISHED = {"akamaster": AKAMASTER_WEIGHTS, "wooyeolbaek": WOOYEOLBAEK_WEIGHTS}


def list_weights(pattern: str = "*", tag: str | None = None) -> list[PublishedWeights]:
    """Published weights whose net matches the shell-style ``pattern``, of one source or all."""
    if tag is not None and tag not in PUBLISHED:
        raise StudyError(f"unknown weights tag {tag!r}; tags are {', '.join(PUBLISHED)}")
    tables = [PUBLISHED[tag]] if tag else PUBLISHED.values()
    return [entry for table in tables for entry in table if fnmatch.fnmatchcase(entry.model, pattern)]


def published_weights(tag: str, model: str) -> PublishedWeights:
    """The entry of ``model`` in source ``tag``'s table; ``StudyError`` naming the nets it has."""
    for entry in list_weights(tag=tag):
        if entry.model == model:
            return entry
    nets = ", ".join(entry.model for entry in PUBLISHED[tag])
    raise StudyError(f"{tag} publishes no {model}; its nets are {nets} (see list_weights())")
