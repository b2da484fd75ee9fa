"""Trained nets, evaluated: the run-level commands above the engine.

``resnet-study evaluate``: test error and layer responses (Fig. 7) of any checkpoint that
``create_model(name, weights=...)`` reads: akamaster's published ``.th`` files, torchvision state
dicts, our ``checkpoint.pt``; writes ``evaluation.json`` and ``responses.csv``.
``resnet-study responses``: ``responses.csv`` of one of our run folders, from its checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import time
import typing
import warnings
from pathlib import Path

import pandas as pd
import torch

from ..config import TrainConfig, check_value, make_config
from ..data import DeviceLoader, load_cifar10, make_loaders, normalization
from ..errors import StudyError
from ..io import atomic_path, check_writable, git_commit, write_csv
from ..models import create_model, model_info, read_checkpoint
from ..models.weights import AKAMASTER, OURS, Checkpoint
from .checkpoint import load_checkpoint
from .device import resolve_device
from .loop import build_model
from .probes import layer_responses
from .runfolder import check_same_config, read_config, restore, writer_lock


def run_responses(run: str | Path, batch_size: int = 256, device: str = "auto") -> pd.DataFrame:
    """Compute ``responses.csv`` of a finished run folder from its checkpoint and eval images."""
    run = Path(run)
    saved = read_config(run)
    if saved is None or not (run / "checkpoint.pt").exists():
        raise StudyError(f"{run} is not a run folder (it needs config.json and checkpoint.pt)")
    try:
        cfg = make_config(saved.get("preset", "paper"), dict(saved, download=False))  # read, never fetch
    except StudyError as err:
        raise StudyError(f"{run / 'config.json'}: {err}") from None
    dev = resolve_device(device)
    loaders = make_loaders(cfg, dev)
    model = build_model(cfg, loaders.description.get("classes")).to(dev)
    with writer_lock(run):
        checkpoint = load_checkpoint(run, dev, print)
        check_same_config(run, cfg.to_dict(), checkpoint.config, "checkpoint",
                          remedy="the checkpoint is not this run's; restore the run's own checkpoint.pt")
        restore(model, checkpoint.model, run / "checkpoint.pt")
        frame = layer_responses(model.eval(), loaders.eval.eval_batches(batch_size), batch_size)
        write_csv(run / "responses.csv", frame)
    return frame


def described_by_run_folder(checkpoint: Checkpoint) -> None:
    """A checkpoint.pt from before checkpoints carried their ``net``: its run folder's config.json
    says which net it holds and how that net was fed."""
    config = read_config(checkpoint.path.parent) or {}
    hints = typing.get_type_hints(TrainConfig)
    for key in ("model", "shortcut", "normalize", "holdout"):
        if key in config:
            try:
                check_value(config[key], hints[key], key)
            except StudyError as err:
                raise StudyError(f"{checkpoint.path.parent / 'config.json'}: {err}") from None
    if config.get("shortcut"):
        checkpoint.model_kwargs["shortcut"] = config["shortcut"]
    checkpoint.normalize = config.get("normalize", "pixel")
    checkpoint.model, checkpoint.holdout = config.get("model"), config.get("holdout", 0)


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()  # hashlib.file_digest needs Python 3.11; we support 3.10
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@torch.no_grad()
def evaluate(model_name: str, weights: str | Path, data_dir: str | Path, out: str | Path | None = None, *,
             normalize: str | None = None, device: str = "auto", batch_size: int = 500) -> dict:
    """Error of ``weights`` in ``model_name`` on the folder's test batch (else its holdout), and
    the std of every 3x3 layer's response on the same images; both written under ``out``."""
    if model_info(model_name).family != "cifar":
        raise StudyError(f"evaluate takes CIFAR nets (cifar_resnet<D>, cifar_plain<D>); got {model_name}")
    checkpoint = read_checkpoint(weights)
    if checkpoint.source == OURS and checkpoint.model is None:
        described_by_run_folder(checkpoint)
    model = create_model(model_name, weights=checkpoint)
    digest = sha256(checkpoint.path)
    out = Path(out) if out is not None else Path("evaluations") / f"{model_name}-{digest[:8]}"
    check_writable(out)
    normalize = normalize or checkpoint.normalize
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a subset is stated below, beside the error
        data = load_cifar10(data_dir, holdout=checkpoint.holdout, allow_download=False)
    split_name, split = data.eval_split
    mean, std = normalization(normalize, data.train)
    dev = resolve_device(device)
    loader = DeviceLoader(split, mean, std, batch_size, device=dev, augment=False)
    model = model.to(dev).eval()
    # One pass: the forward passes that measure the responses also give the predictions.
    predictions = []
    handle = model.register_forward_hook(lambda module, inputs, output: predictions.append(output.argmax(1)))
    try:
        responses = layer_responses(model, (x for x, _ in loader.eval_batches(batch_size)))
    finally:
        handle.remove()
    error = (torch.cat(predictions) != loader.labels).double().mean().item()
    result = {
        "model": model_name,
        "weights": str(checkpoint.path.resolve()),
        "weights_sha256": digest,
        "source": checkpoint.source,
        "normalize": normalize,
        "data": data.path,
        "split": split_name,
        "images": len(split),
        "error": error,
        "best_prec1": checkpoint.best_prec1,
        "device": str(dev),
        "torch_version": torch.__version__,
        "commit": git_commit(),
        "evaluated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.mkdir(parents=True, exist_ok=True)
    # Both files or neither: a full disk leaves no responses.csv without its evaluation.json.
    with atomic_path(out / "responses.csv") as responses_tmp, atomic_path(out / "evaluation.json") as result_tmp:
        responses.to_csv(responses_tmp, index=False)
        result_tmp.write_text(json.dumps(result, indent=2) + "\n")
    return dict(result, out=str(out))


def describe(result: dict) -> str:
    """The command's report: the error, what it was measured on, and the checkpoint's own claim."""
    on = ("the official test batch" if result["split"] == "test" else
          "a holdout of the training images (the folder has no test_batch)")
    line = (f"{result['model']} with {Path(result['weights']).name}: {100 * result['error']:.2f}% error on {on}, "
            f"{result['images']:,} images, {result['normalize']} normalisation")
    if result["split"] != "test" and result["source"] == AKAMASTER:
        line += "\nnote: akamaster's nets trained on all 50,000 training images, so this holdout is not a test set"
    if result["best_prec1"] is not None:
        line += f"\nthe checkpoint states best_prec1 {result['best_prec1']:.2f} ({100 - result['best_prec1']:.2f}% error)"
    return line
