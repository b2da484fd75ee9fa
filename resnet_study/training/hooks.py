"""Small pieces the training loop calls: the lr schedule and warm-up, and the rows of the probes
it writes (per-layer gradient norms, Fig. 7's layer responses)."""

from __future__ import annotations

import pandas as pd
import torch

from ..config import TrainConfig
from .device import all_reduce_sum, broadcast_buffers
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


def due_gradients(progress, it: int, norms: torch.Tensor | None, asked: bool,
                  logs_next: bool) -> tuple[int | None, torch.Tensor | None]:
    """After step ``it``, which was ``asked`` for gradient norms (``norms``: None when fp16's scaler
    skipped it): (the iteration to record them as now, or None; the norms left for the next logged
    row, ``logs_next``). A skipped step leaves them due (``progress.gradients_due``), to be taken from
    the next step the scaler takes; at initialisation the net has not moved, so they stay iteration 0's."""
    due = progress.gradients_due
    if not asked or (norms is not None and due is None and it > 0):
        return None, norms
    if norms is None:  # skipped
        progress.gradients_due = (0 if it == 0 else -1) if due is None else due
        return None, None
    progress.gradients_due = None
    if due is None:  # it == 0: the gradients at initialisation
        return 0, None
    return (0 if due == 0 else it + 1), (norms if logs_next else None)


@torch.no_grad()
def top1_error(model: torch.nn.Module, loader, autocast, world: int, dtype: torch.dtype) -> float:
    """Top-1 error of ``model`` in eval mode on ``loader``'s images under ``autocast``: each of the
    ``world`` processes counts its share with process 0's BN statistics (the saved net's), summed
    in ``dtype``."""
    broadcast_buffers(model, world)
    model.eval()
    totals = torch.zeros(2, dtype=dtype, device=next(model.parameters()).device)  # errors, images
    for x, y in loader.eval_batches():
        with autocast:
            totals[0] += (model(x).argmax(1) != y).sum()
        totals[1] += len(y)
    model.train()
    errors, count = all_reduce_sum(world)(totals).tolist()
    return errors / count


def responses(model: torch.nn.Module, loader, world: int = 1) -> pd.DataFrame:
    """responses.csv (Fig. 7): layer responses of the trained net on the test (or holdout) images, eval mode.
    Under DDP each of the ``world`` processes calls it on its share of the images, with process 0's BN
    statistics (the saved net's), and the sums are summed over the processes: every image counts."""
    broadcast_buffers(model, world)
    frame = layer_responses(model.eval(), loader.eval_batches(500), reduce=all_reduce_sum(world))
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
