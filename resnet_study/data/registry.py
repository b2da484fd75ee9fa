"""The data sets a run can train on, beside the model registry: what each is and which nets take it.

Reading it imports no torch, so the command line checks a data set's name before it loads anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import StudyError


# Input normalisations: the paper's per-pixel mean (section 4.2), per-channel mean/std of the
# training set, and ImageNet's per-channel mean/std (torchvision's and akamaster's checkpoints).
NORMALIZATIONS = ("pixel", "channel", "imagenet")


@dataclass(frozen=True)
class DataSetInfo:
    name: str  # the value of TrainConfig.dataset
    title: str  # as a sentence names it
    model_family: str  # the model registry's family whose nets take these images
    models: str  # those nets' names, as a sentence shows them
    normalize: str | None  # the fixed input normalisation, or None: the config's choice
    eval_split: str  # what test_error is measured on when nothing else is said


DATASETS = {
    # Section 4.2: 50k training and 10k test images of 32x32, per-pixel mean subtracted.
    "cifar10": DataSetInfo("cifar10", "CIFAR-10", "cifar", "cifar_resnet<D> or cifar_plain<D>", None, "test"),
    # Section 3.4: ImageNet and its subsets in ImageFolder layout, per-channel ImageNet statistics.
    "imagefolder": DataSetInfo("imagefolder", "ImageFolder data", "imagenet", "resnet<D> or plain<D>", "imagenet", "val"),
}


def dataset_info(name: str) -> DataSetInfo:
    """What a data-set name means; one sentence for a name we do not know."""
    if name not in DATASETS:
        raise StudyError(f"dataset must be {' or '.join(repr(n) for n in DATASETS)}; got {name!r}")
    return DATASETS[name]
