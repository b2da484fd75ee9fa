"""Small pieces the training loop calls: the lr schedule and warm-up, and the rows of the probes
it writes (per-layer gradient norms, Fig. 7's layer responses)."""

from __future__ import annotations

import pandas as pd
import torch

from ..config import TrainConfig
from .probes import conv_weights, layer_responses


def learning_rate(cfg: TrainConfig, iteration: int, warm: bool) -> float:
    """Step schedule of section 4.2; nets of depth >= warmup_depth start at warmup_lr until
    the training error first falls below warmup_error (``warm`` is then True)."""
    if not warm:
        return cfg.optim.warmup_lr
    return cfg.optim.lr * cfg.optim.gamma ** sum(iteration >= m for m in cfg.optim.milestones)


def warmed_up(cfg: TrainConfig, warm: bool, train_error: float) -> bool:
    """Section 4.2: ResNet-110 goes back to lr 0.1 once its training error is below 80%."""
    return warm or train_error < cfg.optim.warmup_error


def gradient_rows(model: torch.nn.Module, norms: torch.Tensor, iteration: int) -> list[dict]:
    """gradients.csv rows: each main-path conv's gradient norm after ``iteration`` steps."""
    names = [name for name, _ in conv_weights(model)]
    return [{"iteration": iteration, "layer": i + 1, "name": name, "grad_norm": norm}
            for i, (name, norm) in enumerate(zip(names, norms.tolist()))]


def responses(model: torch.nn.Module, loader) -> pd.DataFrame:
    """responses.csv (Fig. 7): layer responses of the trained net on the test (or holdout) images, eval mode."""
    frame = layer_responses(model.eval(), loader.eval_batches(500))
    model.train()
    return frame


def report(row: dict, cfg: TrainConfig, bar, log) -> None:
    """A logged row on the progress bar, or as a line when there is none (files, cluster logs)."""
    test = "" if row["test_error"] is None else f" test_err {row['test_error']:.4f}"
    if bar is not None:
        bar.set_postfix_str(f"loss {row['train_loss']:.3f} err {row['train_error']:.3f}{test}")
    else:
        log(f"{cfg.model.name} it {row['iteration']}/{cfg.optim.iterations} lr {row['lr']:g} "
            f"loss {row['train_loss']:.4f} train_err {row['train_error']:.4f}{test}")
