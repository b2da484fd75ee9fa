"""Data: CIFAR-10 in the official format, ImageFolder sets, and loaders with one interface (``Loader``)."""

from .cifar import CifarData, Split, SubsetWarning, load_cifar10, write_batch
from .loader import DeviceLoader, Loader, normalization, pixel_statistics
from .factory import Loaders, make_loaders
from .imagefolder import image_folder_splits

__all__ = ["CifarData", "DeviceLoader", "Loader", "Loaders", "Split", "SubsetWarning", "image_folder_splits",
           "load_cifar10", "make_loaders", "normalization", "pixel_statistics", "write_batch"]
