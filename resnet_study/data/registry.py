"""The data sets a run can train on: what each is, which nets take it, and how it is built.

An entry is data plus the names of the functions that build it (``"module:function"`` in this
package), in the manner of timm's pretrained configs, so that reading the registry imports no
torch: the command line checks a data set's name before it loads anything. ``make_loaders``,
the sweep's data check, ``bench``'s conventional loop and the sweep's CPU estimate all go through
an entry; adding a data set is one entry here and its functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable

from ..errors import StudyError

# Input normalisations: the paper's per-pixel mean (section 4.2), per-channel mean/std of the
# training set, and ImageNet's per-channel mean/std (torchvision's and akamaster's checkpoints).
NORMALIZATIONS = ("pixel", "channel", "imagenet")


def _function(reference: str) -> Callable:
    module, _, name = reference.partition(":")
    return getattr(import_module(f".{module}", __package__), name)


def _no_rule(cfg) -> None:
    return None


def _folder_rules(cfg) -> None:
    if cfg.optim.batch_size < 2 and cfg.data.image_size <= 32:
        raise StudyError(f"batch-size 1 cannot train ImageNet nets at image-size {cfg.data.image_size}: their last "
                         f"layers see 1x1 maps and batch normalisation needs 2 values per channel")


@dataclass(frozen=True)
class DataSetInfo:
    name: str  # the value of the config's dataset key
    title: str  # as a sentence names it
    family: str  # the data family ("cifar", "imagenet"): the model registry's nets that take these images
    normalize: str | None  # the fixed input normalisation, or None: the config's choice
    eval_split: str  # what test_error is measured on when nothing else is said
    builder: str  # "module:function(cfg, device, rank, world) -> Loaders"
    preparer: str  # "module:function(cfg)": reads (or downloads once) the images; one sentence when bad
    reader: str | None = None  # "module:function(data_config, allow_download)": (images, notes), the arrays
    conventional: str | None = None  # "module:function(cfg, pin_memory)": torchvision's DataLoader (bench)
    conventional_check: str | None = None  # "module:function(cfg)": one sentence unless that loader can read it
    estimated_presets: tuple[str, ...] = ()  # presets whose CPU time a sweep estimates before it starts
    sized: bool = False  # the config's image_size is the nets' input size (else the net's own input_size)
    rules: Callable = _no_rule  # rules(cfg): one sentence for a config this data cannot train
    hint: str = ""  # told to whoever gives one of this family's nets to another data set

    @property
    def models(self) -> str:
        """The names of the nets that take these images, as a sentence shows them."""
        from ..models import family_names

        return " or ".join(family_names(self.family))

    def check_model(self, info) -> None:
        """One sentence unless the net ``info`` (a ``ModelInfo``) takes these images."""
        if info.family != self.family:
            hint = next((d.hint for d in DATASETS.values() if d.family == info.family), "")
            raise StudyError(f"{self.title} takes {self.models} models; got {info.name}{hint}")

    def input_size(self, cfg, info) -> tuple[int, int, int]:
        """(channels, height, width) of the images the net ``info`` (a ``ModelInfo``) sees in training."""
        size = info.input_size
        return (size[0], cfg.data.image_size, cfg.data.image_size) if self.sized else size

    def check(self, cfg) -> None:
        """One sentence unless ``cfg`` (a ``TrainConfig``) can train on this data set."""
        self.rules(cfg)

    def make_loaders(self, cfg, device, rank: int = 0, world: int = 1):
        """The run's ``Loaders`` (``data.factory.Loaders``) on ``device``, this process's share."""
        return _function(self.builder)(cfg, device, rank, world)

    def prepare(self, cfg) -> None:
        """Read (or download, once) the images ``cfg`` names: bad data is one sentence, here."""
        _function(self.preparer)(cfg)

    def read(self, data, *, allow_download: bool | None = None):
        """The images ``data`` (a ``DataConfig``) names as arrays, and the notes reading them gave
        (``evaluate`` and ``construct`` measure fixed nets on them); one sentence where there are none."""
        if self.reader is None:
            raise StudyError(f"{self.title} is read by its loaders only")
        return _function(self.reader)(data, allow_download=allow_download)

    def check_conventional(self, cfg) -> None:
        """One sentence unless ``conventional_loader`` can read ``cfg``'s images."""
        if self.conventional is None:
            readable = " and ".join(d.title for d in DATASETS.values() if d.conventional)
            raise StudyError(f"the conventional loop reads {readable} only; time {self.title} with --engine-only")
        if self.conventional_check is not None:
            _function(self.conventional_check)(cfg)

    def conventional_loader(self, cfg, pin_memory: bool = False):
        """A conventional DataLoader (torchvision dataset, PIL transforms, worker processes) over
        ``cfg``'s training images (``bench`` times our engine against it)."""
        self.check_conventional(cfg)
        return _function(self.conventional)(cfg, pin_memory)


DATASETS = {
    # Section 4.2: 50k training and 10k test images of 32x32, per-pixel mean subtracted.
    "cifar10": DataSetInfo("cifar10", "CIFAR-10", "cifar", None, "test", "factory:cifar_loaders",
                           "factory:prepare_cifar", "factory:read_cifar", "conventional:cifar_loader",
                           "conventional:check_cifar",
                           estimated_presets=("paper", "paper_epochs")),
    # Section 3.4: ImageNet and its subsets in ImageFolder layout, per-channel ImageNet statistics.
    "imagefolder": DataSetInfo("imagefolder", "ImageFolder data", "imagenet", "imagenet", "val",
                               "factory:folder_loaders", "factory:prepare_folder", rules=_folder_rules, sized=True,
                               hint=" (ImageNet nets train with --preset imagenet_subset or imagenet_quick)"),
}


def dataset_info(name: str) -> DataSetInfo:
    """What a data-set name means; one sentence for a name we do not know."""
    if name not in DATASETS:
        raise StudyError(f"dataset must be {' or '.join(repr(n) for n in DATASETS)}; got {name!r}")
    return DATASETS[name]
