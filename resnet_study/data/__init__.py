"""Data: CIFAR-10 in the official format, ImageFolder sets, and loaders with one interface (``Loader``).

The registry of data sets (``dataset_info``) imports no torch; the loaders load on first use.
"""

from importlib import import_module

from .registry import DATASETS, DataSetInfo, dataset_info

_LAZY = {
    "CifarData": "cifar", "Split": "cifar", "SubsetWarning": "cifar", "load_cifar10": "cifar", "write_batch": "cifar",
    "DeviceLoader": "loader", "Loader": "loader", "normalization": "loader", "pixel_statistics": "loader",
    "Loaders": "factory", "make_loaders": "factory", "image_folder_splits": "imagefolder",
}


def __getattr__(name: str):  # PEP 562: torch-backed names load when first used
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DATASETS", "DataSetInfo", "dataset_info", *_LAZY]
