"""Lesions (Veit et al. 2016, section 4): delete blocks of a trained net at test time.

A deleted ResNet block outputs its shortcut (the identity, or option A's subsample-and-pad at a
downsampling block); a deleted plain block becomes the identity, and at a downsampling block the
same option-A shortcut, since no identity changes the shape. Both ends of a block follow a ReLU, so
ReLU(shortcut(x)) = shortcut(x) and the deletion is exact. Single deletions take each block in turn;
random deletions take k = 1 ... n/2 blocks at random, several draws each.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import StudyError
from ..models.resnet import ResNet, ZeroPadShortcut
from ..training.precision import autocast
from .estimate import Work
from .images import ImageSet
from .nets import NetSpec, load_net
from .table import ResultsTable, progress

COLUMNS = ["net", "depth", "residual", "source", "kind", "k", "draw", "blocks", "downsampling", "images", "loss",
           "error"]
KEY = ["net", "kind", "k", "draw"]
GROUP = 16  # lesions evaluated together on each batch
PROBE = "forward"


def blocks(model: ResNet) -> list[nn.Module]:
    """The net's blocks in forward order."""
    return [block for i in range(model.num_stages) for block in getattr(model, f"layer{i + 1}")]


def deleted(block: nn.Module, pad: str) -> nn.Module:
    """What a deleted block computes: its shortcut (option A at a downsampling block), else the identity."""
    if block.residual and block.downsample is not None:
        return block.downsample
    planes_in, planes_out = block.conv1.in_channels, block.bn2.num_features
    stride = block.conv1.stride[0]
    if stride == 1 and planes_in == planes_out:
        return nn.Identity()
    return ZeroPadShortcut(planes_out - planes_in, stride, pad)


def is_downsampling(block: nn.Module) -> bool:
    return block.conv1.stride[0] != 1 or block.conv1.in_channels != block.bn2.num_features


class Lesioned:
    """Forward passes of ``model`` with sets of blocks deleted, sharing the undeleted prefix: the input
    of every block is computed once per batch, and a lesion starts at its first deleted block."""

    def __init__(self, model: ResNet) -> None:
        self.model, self.blocks = model, blocks(model)
        self.replacements = [deleted(b, model.pad) for b in self.blocks]

    def inputs(self, x: Tensor, seconds: list[float] | None = None) -> list[Tensor]:
        """The input of each block (and the last block's output) for a batch x (N, 3, 32, 32); each
        block's seconds appended to ``seconds`` when given (for the estimate)."""
        m = self.model
        h = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        found = [h]
        for block in self.blocks:
            start = time.perf_counter()
            h = block(h)
            if seconds is not None:
                if h.is_cuda:
                    torch.cuda.synchronize(h.device)
                seconds.append(time.perf_counter() - start)
            found.append(h)
        return found

    def logits(self, inputs: list[Tensor], lesion: set[int]) -> Tensor:
        """Logits (N, classes) with the blocks of ``lesion`` (0-based indices) deleted."""
        start = min(lesion) if lesion else len(self.blocks)
        h = inputs[start]
        for i in range(start, len(self.blocks)):
            h = self.replacements[i](h) if i in lesion else self.blocks[i](h)
        return self.model.fc(torch.flatten(self.model.avgpool(h), 1))


def lesion_sets(n_blocks: int, max_k: int, draws: int, seed: int) -> list[tuple[str, int, int, tuple[int, ...]]]:
    """(kind, k, draw, blocks): none, each single block, then ``draws`` random sets of each k <= max_k.
    A random set depends on (seed, k, draw) only, so a resumed run draws the same sets."""
    if max_k > n_blocks:
        raise StudyError(f"--max-k {max_k} deletes more blocks than the net has ({n_blocks})")
    sets = [("none", 0, 0, ())] + [("single", 1, i, (i,)) for i in range(n_blocks)]
    for k in range(1, max_k + 1):
        for draw in range(draws):
            rng = np.random.default_rng([seed, k, draw])
            sets.append(("random", k, draw, tuple(sorted(rng.choice(n_blocks, k, replace=False).tolist()))))
    return sets


@torch.inference_mode()
def run_lesions(specs: list[NetSpec], images: ImageSet, table: ResultsTable, *, max_k: int | None = None,
                draws: int = 10, seed: int = 0, precision: str = "fp32", batch_size: int = 250, group: int = GROUP,
                device: torch.device = torch.device("cpu"), log: Callable[[str], None] = print) -> int:
    """Append every lesion of every net to ``table``; returns the image passes made (for images/s).

    ``max_k`` None: half of each net's blocks. Lesions are evaluated ``group`` at a time, each group
    over all images in batches of ``batch_size``, so a killed run loses at most one group.
    """
    passes = 0
    for spec in specs:
        model, normalize, mean, std = load_net(spec, seed=seed)
        model = model.to(device).eval()
        lesioned = Lesioned(model)
        n = len(lesioned.blocks)
        if max_k is not None and max_k > n:
            raise StudyError(f"--max-k {max_k} deletes more blocks than {spec.label} has ({n})")
        sets = lesion_sets(n, n // 2 if max_k is None else max_k, draws, seed)
        todo = [s for s in sets if not table.has(net=spec.label, kind=s[0], k=s[1], draw=s[2])]
        if not todo:
            continue
        x, y = images.normalised(normalize, mean, std, device)
        bar = progress(len(sets), len(sets) - len(todo), f"lesion {spec.label}")
        for start in range(0, len(todo), group):
            chunk = todo[start:start + group]
            loss, wrong = np.zeros(len(chunk)), np.zeros(len(chunk))
            with autocast(precision, device):
                for b in range(0, len(y), batch_size):
                    inputs = lesioned.inputs(x[b:b + batch_size])
                    target = y[b:b + batch_size]
                    for j, (_, _, _, lesion) in enumerate(chunk):
                        logits = lesioned.logits(inputs, set(lesion)).float()
                        loss[j] += float(nn.functional.cross_entropy(logits, target, reduction="sum"))
                        wrong[j] += int((logits.argmax(1) != target).sum())
            passes += len(y) * (len(chunk) + 1)
            for j, (kind, k, draw, lesion) in enumerate(chunk):
                table.append(dict(net=spec.label, depth=spec.depth, residual=spec.residual, source=spec.source,
                                  kind=kind, k=k, draw=draw, blocks=" ".join(str(i + 1) for i in lesion),
                                  downsampling=any(is_downsampling(lesioned.blocks[i]) for i in lesion),
                                  images=len(y), loss=loss[j] / len(y), error=wrong[j] / len(y)))
            bar.update(len(chunk))
        bar.close()
        done = table.frame()
        single = done[(done.net == spec.label) & (done.kind == "single")]
        log(f"{spec.label}: error {100 * done[(done.net == spec.label) & (done.kind == 'none')].error.iloc[0]:.2f}% "
            f"intact; one block deleted: {100 * single.error.min():.2f}% to {100 * single.error.max():.2f}%")
    return passes


def plan(specs: list[NetSpec], image_count: int, table: ResultsTable, *, max_k: int | None = None, draws: int = 10,
         seed: int = 0, group: int = GROUP, **_) -> list[Work]:
    """The work ``run_lesions`` has left, a ``Work`` per net: per group, one whole forward (``images``),
    and per lesion the blocks after its first deleted one that it computes (``blocks``)."""
    work = []
    for spec in dict.fromkeys(specs):
        n = (spec.depth - 2) // 2  # 3 stages of n two-layer blocks (section 4.2)
        sets = lesion_sets(n, n // 2 if max_k is None else max_k, draws, seed)
        todo = [s[3] for s in sets if not table.has(net=spec.label, kind=s[0], k=s[1], draw=s[2])]
        groups = -(-len(todo) // group)
        blocks = [image_count * sum(min(lesion, default=n) < i and i not in lesion for lesion in todo)
                  for i in range(n)]
        work.append(Work(spec.model, image_count * (len(todo) + groups), image_count * groups, tuple(blocks)))
    return work


@torch.inference_mode()
def probe(model: ResNet, x: Tensor, y: Tensor, precision: str) -> list[float]:
    """The steps ``plan`` counts in: a forward of the batch x (N, 3, 32, 32); returns each block's seconds."""
    seconds = []
    with autocast(precision, x.device):
        Lesioned(model).inputs(x, seconds)
    return seconds
