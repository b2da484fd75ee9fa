"""Published files in torch.hub's cache (``torch.hub.get_dir()/checkpoints``, under ``$TORCH_HOME``),
fetched once and checked against their sha256, as torchvision's and timm's weights are."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.error import URLError

import torch

from ..errors import StudyError
from .published import PublishedWeights


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()  # hashlib.file_digest needs Python 3.11; we support 3.10
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_path(entry: PublishedWeights) -> Path:
    """Where torch.hub keeps ``entry``'s file: ``torch.hub.get_dir()/checkpoints/<file_name>``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / entry.file_name


def is_cached(entry: PublishedWeights) -> bool:
    return cache_path(entry).is_file()


def fetch(entry: PublishedWeights, download: bool = True) -> Path:
    """The cached file of ``entry``, downloaded first when missing and ``download``.

    Raises ``StudyError`` in one sentence, with the URL and the cache path, when the file is
    missing and cannot be downloaded, or when its sha256 differs from the entry's.
    """
    path = cache_path(entry)
    if path.is_file():
        digest = sha256(path)
        if entry.sha256 and not digest.startswith(entry.sha256):
            raise StudyError(f"{path} has sha256 {digest[:16]}... but {entry.name} is {entry.sha256[:16]}...; delete "
                             f"it and download {entry.url} again")
        return path
    if not download:
        raise StudyError(f"{entry.name} is not in torch.hub's cache; download {entry.url} to {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # torch.hub writes beside the target and moves it there only when the hash matches
        torch.hub.download_url_to_file(entry.url, str(path), hash_prefix=entry.sha256 or None, progress=False)
    except RuntimeError as err:
        raise StudyError(f"the download of {entry.url} does not match {entry.name}'s sha256 ({err})") from None
    except (URLError, OSError) as err:
        reason = getattr(err, "reason", None) or err
        raise StudyError(f"{entry.name} is not in torch.hub's cache and {entry.url} could not be downloaded "
                         f"({reason}); download it by hand to {path}") from None
    return path
