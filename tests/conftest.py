"""Shared fixtures: generated data sets in the official CIFAR-10 and ImageFolder formats, quiet
subset warnings, and the ``gpu`` marker's skip. Builders live in ``helpers.py``."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
import torch

from helpers import make_cifar_folder, make_image_folder

if os.environ.get("PYTEST_XDIST_WORKER"):  # pytest -n N: N workers share the cores, one thread each
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"  # and the processes they start
    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """The ``gpu`` marker means what pyproject.toml says: the test is skipped without a CUDA device."""
    if torch.cuda.is_available():
        return
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="needs a CUDA GPU"))


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory) -> Path:
    """320 training and 200 test images in the official format."""
    return make_cifar_folder(tmp_path_factory.mktemp("cifar"))


@pytest.fixture(scope="session")
def cifar_dir_no_test(tmp_path_factory) -> Path:
    return make_cifar_folder(tmp_path_factory.mktemp("cifar-no-test"), test=0)


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory) -> Path:
    return make_image_folder(tmp_path_factory.mktemp("imagefolder"))


@pytest.fixture
def quiet_warnings():
    """Silence the subset warning (a generated folder is not the full CIFAR-10) for one test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
