"""Trained nets, evaluated: the run-level commands above the engine.

``resnet-study evaluate``: test error and layer responses (Fig. 7) of any checkpoint that
``create_model(name, weights=...)`` reads: akamaster's published ``.th`` files, torchvision state
dicts, our ``checkpoint.pt``; writes ``evaluation.json`` and ``responses.csv``.
``resnet-study responses``: ``responses.csv`` of one of our run folders, from its checkpoint.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..config import DataConfig, check_value, config_from_saved, key_type
from ..data import DeviceLoader, Split, dataset_info, make_loaders, normalization
from ..errors import StudyError
from ..io import atomic_path, check_writable, git_commit, read_json, write_csv
from ..models import load_weights, model_info, read_checkpoint, sha256
from ..models.layouts import AKAMASTER
from ..models.published import PUBLISHED
from .artefacts import CHECKPOINT, CONFIG, EVALUATION, RESPONSES
from .checkpoint import load_checkpoint
from .device import resolve_device
from .build import build_model
from .precision import autocast
from .probes import layer_responses, response_layers
from .runfolder import check_same_config, read_config, restore, writer_lock


def run_responses(run: str | Path, batch_size: int = 256, device: str = "auto") -> pd.DataFrame:
    """Compute ``responses.csv`` of a finished run folder from its checkpoint and eval images."""
    run = Path(run)
    saved = read_config(run)
    if saved is None or not (run / CHECKPOINT.file).exists():
        raise StudyError(f"{run} is not a run folder (it needs {CONFIG.file} and {CHECKPOINT.file})")
    try:
        cfg = config_from_saved(saved, download=False)  # read, never fetch
    except StudyError as err:
        raise StudyError(f"{run / CONFIG.file}: {err}") from None
    dev = resolve_device(device)
    loaders = make_loaders(cfg, dev)
    model = build_model(cfg, loaders.description.get("classes")).to(dev)
    with writer_lock(run):
        checkpoint = load_checkpoint(run, print)
        check_same_config(run, cfg.to_dict(), checkpoint.config, "checkpoint",
                          remedy="the checkpoint is not this run's; restore the run's own checkpoint.pt")
        restore(model, checkpoint.model, run / CHECKPOINT.file)
        frame = layer_responses(model.eval(), loaders.eval.eval_batches(batch_size), batch_size)
        write_csv(run / RESPONSES.file, frame)
    return frame


def _declare_from_run_folder(checkpoint) -> None:
    """An older checkpoint.pt has no "net" entry; its run folder's config.json says what it holds."""
    if checkpoint.container != "checkpoint.pt" or checkpoint.model is not None:
        return
    config = read_config(checkpoint.path.parent) or {}
    for key in ("model", "model_options", "normalize", "holdout"):
        if key in config:
            try:
                check_value(config[key], key_type(key), key)
            except StudyError as err:
                raise StudyError(f"{checkpoint.path.parent / CONFIG.file}: {err}") from None
    checkpoint.model = config.get("model")
    checkpoint.model_kwargs = dict(config.get("model_options") or {})
    checkpoint.normalize = config.get("normalize", "pixel")
    checkpoint.holdout = config.get("holdout", 0)
    precision = (read_json(checkpoint.path.parent / CONFIG.file) or {}).get("precision", {})
    checkpoint.precision = precision.get("autocast") if isinstance(precision, dict) else None


def _images(checkpoint, data) -> tuple[str, Split, Split]:
    """Images to evaluate on and training images for the statistics. The official test batch;
    without one, our net's holdout, and for a published net every training image of the folder
    (all are its training images: nothing was held out from it)."""
    if checkpoint.entry is None:
        return (*data.eval_split, data.train)
    parts = [s for s in (data.train, data.holdout) if s is not None]
    train = Split(np.concatenate([s.images for s in parts]), np.concatenate([s.labels for s in parts]))
    return ("test", data.test, train) if data.test is not None else ("train", train, train)


def _statistics(checkpoint, normalize: str | None, train: Split) -> tuple[str, Tensor, Tensor, str]:
    """Normalisation, mean, std and where they come from: the weights' own, else ``normalize``
    (which overrides them) computed on the training images ``train``."""
    if normalize is None and checkpoint.mean is not None:
        said = "its published entry" if checkpoint.entry else f"the {checkpoint.container}"
        return checkpoint.normalize, checkpoint.mean, checkpoint.std, f"as stated by {said}"
    kind = normalize or checkpoint.normalize
    mean, std = normalization(kind, train)
    why = "--normalize" if normalize else f"{kind}, as the weights state"
    return kind, mean, std, f"{why}; statistics of the folder's {len(train):,} training images" \
        if kind != "imagenet" else f"{why}; ImageNet's constants"


@torch.no_grad()
def error_on(model: torch.nn.Module, loader: DeviceLoader, precision: str = "fp32", batch_size: int = 500) -> float:
    """Top-1 error of ``model`` in eval mode on all of ``loader``'s images, under the autocast of
    ``precision`` (fp32: none; ``"bf16"``, ``"fp16"``: as a run in that precision evaluated)."""
    model.eval()
    wrong = 0
    with autocast(precision, loader.device):
        for x, y in loader.eval_batches(batch_size):
            wrong += int((model(x).argmax(1) != y).sum())
    return wrong / len(loader.labels)


@torch.no_grad()
def evaluate(model_name: str, weights: str | Path, data_dir: str | Path, out: str | Path | None = None, *,
             normalize: str | None = None, device: str = "auto", batch_size: int = 500,
             download: bool = True) -> dict:
    """Error of ``weights`` (a path, or a published tag) in ``model_name`` on the folder's test
    batch (else its holdout, or for published nets every training image), and the std of every
    3x3 layer's response on the same images (Fig. 7); both written under ``out``.

    Normalisation comes with the weights (our checkpoint's statistics, a published entry's);
    ``normalize`` overrides it. A run trained at bf16/fp16 is evaluated at fp32 and at its precision.
    """
    if model_info(model_name).family != "cifar":
        raise StudyError(f"evaluate takes CIFAR nets (cifar_resnet<D>, cifar_plain<D>); got {model_name}")
    if not (isinstance(weights, str) and weights in PUBLISHED):
        weights = read_checkpoint(weights)
        _declare_from_run_folder(weights)
    model, checkpoint = load_weights(model_name, weights, download=download)
    digest = sha256(checkpoint.path)
    out = Path(out) if out is not None else Path("evaluations") / f"{model_name}-{digest[:8]}"
    check_writable(out)
    if normalize is None and checkpoint.normalize is None:
        raise StudyError(f"{checkpoint.path.name} does not say how its inputs were normalised "
                         f"({checkpoint.source} layout); pass --normalize pixel, channel or imagenet")
    # A subset is stated below, beside the error.
    data, _ = dataset_info("cifar10").read(DataConfig(data_dir=str(data_dir), holdout=checkpoint.holdout),
                                           allow_download=False)
    split_name, split, train = _images(checkpoint, data)
    normalize, mean, std, statistics = _statistics(checkpoint, normalize, train)
    dev = resolve_device(device)
    loader = DeviceLoader(split, mean, std, batch_size, device=dev, augment=False)
    model = model.to(dev).eval()
    # One pass at fp32: the forward passes that measure the responses also give the predictions.
    predictions = []
    handle = model.register_forward_hook(lambda module, inputs, output: predictions.append(output.argmax(1)))
    try:
        responses = layer_responses(model, (x for x, _ in loader.eval_batches(batch_size)))
    finally:
        handle.remove()
    errors = {"fp32": (torch.cat(predictions) != loader.labels).sum().item() / len(loader.labels)}
    if checkpoint.precision in ("bf16", "fp16"):
        errors[checkpoint.precision] = error_on(model, loader, checkpoint.precision, batch_size)
    entry = checkpoint.entry
    result = {
        "model": model_name,
        "weights": str(checkpoint.path.resolve()),
        "weights_sha256": digest,
        "source": checkpoint.source,
        "tag": entry.tag if entry else None,
        "layout": checkpoint.layout,
        "normalize": normalize,
        "normalize_statistics": statistics,
        "data": data.path,
        "split": split_name,
        "images": len(split),
        "error": errors["fp32"],
        "precision": "fp32",
        "run_precision": checkpoint.precision,
        "error_at_run_precision": errors.get(checkpoint.precision or "fp32"),
        "stated_error": None if entry is None or entry.stated_error is None else entry.stated_error / 100,
        "best_prec1": checkpoint.best_prec1,
        "mean_abs_gamma": torch.stack([bn.weight.abs().mean() for _, bn in response_layers(model)]).mean().item(),
        "device": str(dev),
        "torch_version": torch.__version__,
        "commit": git_commit(),
        "evaluated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.mkdir(parents=True, exist_ok=True)
    # Both files or neither: a full disk leaves no responses.csv without its evaluation.json.
    with atomic_path(out / RESPONSES.file) as responses_tmp, atomic_path(out / EVALUATION.file) as result_tmp:
        responses.to_csv(responses_tmp, index=False)
        result_tmp.write_text(json.dumps(result, indent=2) + "\n")
    return dict(result, out=str(out))


def describe(result: dict) -> str:
    """The command's report: the error, what it was measured on, and what the weights' authors state."""
    on = {"test": "the official test batch",
          "holdout": "a holdout of the training images (the folder has no test_batch)",
          "train": "training images of this net (the folder has no test_batch): a training error, not a test error"}
    line = (f"{result['model']} with {Path(result['weights']).name}: {100 * result['error']:.2f}% error on "
            f"{on[result['split']]}, {result['images']:,} images, {result['normalize']} normalisation")
    if result["run_precision"] not in (None, "fp32"):
        line += (f"\nat {result['run_precision']}, the precision the run trained and evaluated at: "
                 f"{100 * result['error_at_run_precision']:.2f}% (above: fp32)")
    if result["split"] == "holdout" and result["source"] == AKAMASTER.source:
        line += "\nnote: akamaster's nets trained on all 50,000 training images, so this holdout is not a test set"
    if result["stated_error"] is not None:
        line += f"\nits authors state {100 * result['stated_error']:.2f}% error on the official test set"
    elif result["best_prec1"] is not None:
        best = result["best_prec1"]
        line += f"\nthe checkpoint states best_prec1 {best:.2f} ({100 - best:.2f}% error)"
    return line
