"""Data: CIFAR-10 in the official format and a device-resident loader."""

from .cifar import CifarData, Split, SubsetWarning, load_cifar10, write_batch
from .loader import DeviceLoader, pixel_statistics

__all__ = ["CifarData", "DeviceLoader", "Split", "SubsetWarning", "load_cifar10", "pixel_statistics", "write_batch"]
