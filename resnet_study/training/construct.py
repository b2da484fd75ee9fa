"""The constructed solution of section 1, built, evaluated and trained on (``resnet-study construct``).

A trained shallower net is deepened (``models.deepen``): copied layers, identity added layers. The
built net is evaluated beside the shallow net and beside the same-depth net trained from scratch,
then trained on as an ordinary run folder in two arms:

- arm a, ``trained_on``: plain SGD with the run's recipe; train-mode BN normalises each batch, so
  the added layers of a plain net stop being identities at the first step;
- arm b, ``frozen_bn``: the same, but the added layers' BNs normalise with their construction
  statistics (running mean 0, variance 1 - eps) and never update them (``freeze_bn_statistics``),
  so the added layers stay identities until SGD moves their weights.

``OUT/construct.csv`` (net, role, arm, split, images, error, seen_in_training) is rewritten,
atomically, after each step; ``OUT/curves.csv`` gathers both arms' ``curves.csv``. Rerunning the
command resumes each arm from its checkpoint and skips what is finished.
"""

from __future__ import annotations

import copy
import platform
import time
from pathlib import Path

import pandas as pd
import torch

from ..config import TrainConfig
from ..data import DeviceLoader, dataset_info, normalization
from ..errors import StudyError
from ..io import check_writable, git_commit, read_json, write_csv, write_json
from ..models import create_model, deepen, model_info
from ..models.cifar import check_deepening
from ..models.published import published_weights
from ..models.constructed import added_blocks, freeze_bn_statistics
from .artefacts import CHECKPOINT, CURVES
from .device import cpu_model, resolve_device
from .evaluate import error_on
from .loop import Trainer

ARMS = {"trained_on": "a: plain training on", "frozen_bn": "b: added layers' BN statistics frozen"}
COLUMNS = ["net", "role", "arm", "split", "images", "error", "seen_in_training"]


def is_path(weights: str) -> bool:
    return "/" in weights or Path(weights).suffix in (".pt", ".pth", ".th")


class Construction:
    """``construct`` of one deeper net from one shallower one; ``run()`` returns the table."""

    def __init__(self, cfg: TrainConfig, source: str, weights: str, out: str | Path, *,
                 scratch: str | None = None, arms: tuple[str, ...] = tuple(ARMS), log=print) -> None:
        check_deepening(cfg.model.name, source)
        if not arms or any(arm not in ARMS for arm in arms):
            raise StudyError(f"arms are {', '.join(ARMS)}; got {', '.join(arms) or 'none'}")
        self.cfg, self.source, self.weights, self.out, self.log = cfg.validate(), source, weights, Path(out), log
        self.scratch = scratch if scratch is not None or is_path(weights) else weights
        for tag, net in ((weights, source), (self.scratch, cfg.model.name)):
            if tag is not None and not is_path(tag) and published_weights(tag, net).normalize != cfg.data.normalize:
                raise StudyError(f"{tag}'s {net} takes {published_weights(tag, net).normalize} input normalisation "
                                 f"but construct evaluates and trains with {cfg.data.normalize} (--normalize pixel "
                                 f"or channel)")
        self.arms = arms
        check_writable(self.out)
        self.request = {"model": cfg.model.name, "from": source, "weights": weights, "scratch": self.scratch,
                        "seed": cfg.run.seed, "preset": cfg.run.preset}

    def _check_same_request(self) -> None:
        saved = read_json(self.out / "construct.json")
        if saved is not None and saved.get("request") != self.request:
            raise StudyError(f"{self.out} holds the construction {saved.get('request')}, not {self.request}; "
                             f"choose another --out")

    def _load(self) -> None:
        cfg = self.cfg
        # A subset's warnings are stated in construct.json and the README.
        data, self.data_notes = dataset_info(cfg.data.dataset).read(cfg.data)
        self.data = data
        mean, std = normalization(cfg.data.normalize, data.train)
        device = resolve_device(cfg.run.device)
        split_name, split = data.eval_split
        self.splits = {split_name: DeviceLoader(split, mean, std, 500, device=device, augment=False),
                       "train": DeviceLoader(data.train, mean, std, 500, device=device, augment=False)}
        self.device = device
        self.shallow = create_model(self.source, weights=self.weights).to(device)
        torch.manual_seed(cfg.run.seed)  # a ResNet's added convs are drawn: the same built net at every rerun
        self.built = deepen(self.shallow, model_info(cfg.model.name).depth).eval()
        self.from_scratch = (create_model(cfg.model.name, weights=self.scratch).to(device)
                             if self.scratch is not None else None)

    def _rows(self, net: str, role: str, model: torch.nn.Module, published: bool, arm: str = "") -> list[dict]:
        # Every image of a folder without test_batch was a training image of a published net. Errors
        # in fp32, so that the built net's error equals the shallow net's.
        return [{"net": net, "role": role, "arm": arm, "split": name, "images": len(loader.labels),
                 "error": error_on(model, loader), "seen_in_training": name == "train" or published and name != "test"}
                for name, loader in self.splits.items()]

    def _base_rows(self) -> list[dict]:
        published = not is_path(self.weights)
        rows = (self._rows(self.source, "shallow", self.shallow, published)
                + self._rows(self.cfg.model.name, "built", self.built, published))
        if self.from_scratch is not None:
            rows += self._rows(self.cfg.model.name, "from scratch", self.from_scratch, not is_path(self.scratch))
        return rows

    def _start(self, arm: str) -> torch.nn.Module:
        model = copy.deepcopy(self.built).train()
        if arm == "frozen_bn":
            freeze_bn_statistics(added_blocks(model, model_info(self.source).depth))
        return model

    def _trained(self, arm: str) -> torch.nn.Module:
        state = torch.load(self.out / arm / CHECKPOINT.file, map_location=self.device, weights_only=True)
        model = copy.deepcopy(self.built)
        model.load_state_dict(state["model"])
        return model

    def _write(self, table: pd.DataFrame) -> None:
        write_csv(self.out / "construct.csv", table)
        curves = [pd.read_csv(self.out / arm / CURVES.file).assign(arm=arm) for arm in self.arms
                  if (self.out / arm / CURVES.file).exists()]
        if curves:
            write_csv(self.out / CURVES.file, pd.concat(curves, ignore_index=True))

    def provenance(self) -> dict:
        return {"request": self.request, "arms": {a: ARMS[a] for a in self.arms}, "config": self.cfg.to_dict(),
                "data": self.data.describe(), "data_notes": self.data_notes,
                "normalize": self.cfg.data.normalize, "evaluation": "eval mode, fp32, no augmentation",
                "shortcut": self.built.shortcut, "pad": self.built.pad,
                "note": "seen_in_training: the images were training images of the net (or of the net it was "
                        "built from); the shared subset's images are all training images of the published nets",
                "hardware": cpu_model(), "cpu_threads": torch.get_num_threads(), "torch_version": torch.__version__,
                "python_version": platform.python_version(), "commit": git_commit(),
                "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}

    def run(self) -> pd.DataFrame:
        self._check_same_request()
        self._load()
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.out / "construct.json", self.provenance())
        rows = self._base_rows()  # each net is evaluated once; a rerun evaluates them again
        self._write(pd.DataFrame(rows, columns=COLUMNS))
        for arm in self.arms:
            summary = Trainer(self.cfg, self.out / arm, log=self.log,
                              make_model=lambda arm=arm: self._start(arm)).run()
            if summary["status"] != "done":
                raise StudyError(f"{self.out / arm}: training stopped ({summary['status']}); see its curves.csv")
            rows += self._rows(self.cfg.model.name, f"built, trained on ({arm})", self._trained(arm),
                               not is_path(self.weights), ARMS[arm])
            self._write(pd.DataFrame(rows, columns=COLUMNS))
        return pd.DataFrame(rows, columns=COLUMNS)


def construct(cfg: TrainConfig, source: str, weights: str, out: str | Path, **kwargs) -> pd.DataFrame:
    """Build ``cfg.model.name`` from ``source`` trained ``weights``, evaluate, train on; see the module."""
    return Construction(cfg, source, weights, out, **kwargs).run()


def describe(table: pd.DataFrame) -> str:
    """The command's report: the table, and whose training images the errors were measured on."""
    lines = [table.to_string(index=False, float_format=lambda e: f"{100 * e:.2f}%")]
    if table["seen_in_training"].any():
        lines.append("note: rows with seen_in_training True are errors on training images of that net (or of the "
                     "net it was built from), not test errors; the shared subset's images are all training images "
                     "of the published nets")
    return "\n".join(lines)
