"""``resnet-study evaluate --published akamaster|wooyeolbaek|all``: every cached published net of a
source evaluated into one folder: ``<net>.<tag>/evaluation.json`` each, ``published.csv`` (one row
per net, with the test error its authors state) and ``responses.csv`` (Fig. 7, stacked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from ..errors import StudyError
from ..io import check_writable, write_csv
from ..models import cache_path, is_cached, list_weights, model_info
from ..models.published import PUBLISHED
from .artefacts import RESPONSES
from .evaluate import evaluate

COLUMNS = ["source", "tag", "net", "depth", "residual", "images", "error", "split", "stated_error", "normalize",
           "mean_abs_gamma", "weights_sha256"]
SPLITS = {"test": "the official test batch", "train": "training images of these nets (the folder has no test_batch)"}


def evaluate_published(tag: str, data_dir: str | Path, out: str | Path, *, normalize: str | None = None,
                       device: str = "auto", batch_size: int = 500,
                       log: Callable[[str], None] = print) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate every net of ``tag`` (or ``"all"``) found in torch.hub's cache; never downloads.

    Returns ``published.csv`` and ``responses.csv`` as written under ``out``; ``error`` and
    ``stated_error`` are fractions. ``StudyError`` when no net of the source is cached.
    """
    if tag != "all" and tag not in PUBLISHED:
        raise StudyError(f"--published takes {', '.join(PUBLISHED)} or all; got {tag!r}")
    out = Path(out)
    check_writable(out)
    entries = list_weights(tag=None if tag == "all" else tag)
    cached = [e for e in entries if is_cached(e)]
    for entry in entries:
        if entry not in cached:
            log(f"skipped {entry.name}: not in torch.hub's cache; download {entry.url} to {cache_path(entry)}")
    if not cached:
        raise StudyError(f"no {tag} net is in torch.hub's cache ({cache_path(entries[0]).parent}); download the "
                         f"files `resnet-study weights` lists into it")
    rows, responses = [], []
    for entry in cached:
        info = model_info(entry.model)
        result = evaluate(entry.model, entry.tag, data_dir, out / entry.name, normalize=normalize, device=device,
                          batch_size=batch_size, download=False)
        log(f"{entry.name}: {100 * result['error']:.2f}% error on {result['images']:,} images of "
            f"{SPLITS[result['split']]}; stated test error "
            + (f"{entry.stated_error:.2f}%" if entry.stated_error is not None else "none"))
        net = dict(source=entry.source, tag=entry.tag, net=entry.model, depth=info.depth, residual=info.residual)
        rows.append({**net, **{k: result[k] for k in COLUMNS if k in result}})
        responses.append(pd.read_csv(out / entry.name / RESPONSES.file).assign(**net))
    published = pd.DataFrame(rows, columns=COLUMNS)
    stacked = pd.concat(responses, ignore_index=True)
    stacked = stacked[["source", "tag", "net", "depth", "residual", "layer", "name", "std"]]
    write_csv(out / "published.csv", published)
    write_csv(out / RESPONSES.file, stacked)
    if "train" in set(published.split):
        log(f"note: {SPLITS['train']}: these errors are TRAINING errors of these nets, not test errors; their "
            f"stated test errors are in the stated_error column")
    return published, stacked
