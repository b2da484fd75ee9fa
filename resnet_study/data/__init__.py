"""Data: CIFAR-10 in the official format and a device-resident loader."""

from .cifar import CifarData, Split, SubsetWarning, load_cifar10, write_batch
from .loader import NORMALIZATIONS, DeviceLoader, normalization, pixel_statistics
from .factory import Loaders, make_loaders
from .imagefolder import image_folder_splits

__all__ = ["NORMALIZATIONS", "CifarData", "DeviceLoader", "Loaders", "Split", "SubsetWarning", "image_folder_splits",
           "load_cifar10", "make_loaders", "normalization", "pixel_statistics", "write_batch"]
