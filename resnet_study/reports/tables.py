"""Reading the tables the notebooks and the deck draw from: a sweep's ``--out`` folder
(``runs.csv``, ``curves.csv``, ``responses.csv``, ``gradients.csv``), the published nets'
evaluations (``results/published``) and the constructed solution (``results/constructed``).

Every reader raises ``MissingResults`` (a ``StudyError``: one sentence, non-zero exit) naming
the command that makes the missing table; nothing falls back to shipped results silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import StudyError

CIFAR_SWEEP = "make cifar-study DATA_DIR=<cifar folder>"
IMAGENET_SWEEP = "make imagenet-study DATA_DIR=<imagefolder>"
PUBLISHED_RUN = "resnet-study evaluate (README, 'Published checkpoints')"
CONSTRUCTED_RUN = "make constructed DATA_DIR=<cifar folder>"


class MissingResults(StudyError, LookupError):
    """The tables lack what a figure needs; the message says which command makes them."""


def require_folder(results_dir, *, sweep: str) -> Path:
    """``results_dir`` as a Path; ``MissingResults`` when it is not a folder."""
    folder = Path(results_dir)
    if not folder.is_dir():
        raise MissingResults(f"{folder} does not exist; run `{sweep}` and pass its --out folder as results_dir")
    return folder


def load_table(results_dir, name: str, *, sweep: str) -> pd.DataFrame:
    """``results_dir/name`` as a frame, or ``MissingResults`` naming the sweep that makes it."""
    path = Path(results_dir) / name
    if not path.exists():
        raise MissingResults(f"{path} does not exist; run `{sweep}` and pass its --out folder as results_dir")
    return pd.read_csv(path)


def finals(runs: pd.DataFrame) -> pd.DataFrame:
    """Each model's final training and test error over its finished runs (mean over seeds), as
    fractions (0.0875, not 8.75), indexed by model: the one reading of a sweep's ``runs.csv``."""
    return runs[runs.status == "done"].groupby("model")[["final_train_error", "final_test_error"]].mean()


def provenance(runs: pd.DataFrame) -> str:
    """One line saying how a sweep's runs were made, for a figure's caption."""
    runs = runs.dropna(subset=["device"])
    if runs.empty:
        return ""
    first = runs.iloc[0]
    seeds = runs.seed.nunique()
    length = f"{int(first.iterations):,} iterations"
    if "epochs" in runs and pd.notna(first.get("epochs")):
        length = f"{first.epochs:g} epochs ({length})"
    return (f"{', '.join(runs.dataset.unique())} · preset {', '.join(runs.preset.unique())} · "
            f"{length} · {seeds} seed{'s' if seeds > 1 else ''} · {first.device} · "
            f"torch {first.torch_version} · commit {first.commit}")


def caption_for(results_dir) -> str:
    """``provenance`` of ``results_dir/runs.csv``, or nothing when it is missing."""
    path = Path(results_dir) / "runs.csv"
    return provenance(pd.read_csv(path)) if path.exists() else ""


EVALUATIONS = ["model", "source", "error", "split", "images", "stated_error"]


def _with_model(frame: pd.DataFrame) -> pd.DataFrame:
    if "model" not in frame and "net" in frame:
        frame = frame.assign(model=frame.net)
    return frame


def load_published(published_dir) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluations of published checkpoints and their layer responses, as two frames.

    Reads ``published.csv`` (source, net, depth, residual, images, error, split, stated_error;
    errors as fractions) and the stacked ``responses.csv`` when ``published_dir`` holds them, else
    the ``*/evaluation.json`` and ``*/responses.csv`` that ``resnet-study evaluate --out`` writes.
    ``published_dir`` "" gives two empty frames; a folder with neither raises ``MissingResults``.
    """
    empty = (pd.DataFrame(columns=EVALUATIONS), pd.DataFrame(columns=["model", "source", "layer", "std"]))
    if not published_dir:
        return empty
    folder = Path(published_dir)
    if (folder / "published.csv").exists():
        evaluations = _with_model(pd.read_csv(folder / "published.csv"))
        responses = (_with_model(pd.read_csv(folder / "responses.csv")) if (folder / "responses.csv").exists()
                     else empty[1])
        return evaluations, responses
    paths = sorted(folder.glob("*/evaluation.json"))
    if not paths:
        raise MissingResults(f"{folder} holds neither published.csv nor */evaluation.json; run `resnet-study "
                             f"evaluate --model cifar_resnet56 --weights resnet56-4bfd9763.th --data-dir DIR --out "
                             f"{folder}/resnet56` (README, 'Published checkpoints')")
    evaluations, responses = [], []
    for path in paths:
        evaluation = json.loads(path.read_text())
        evaluations.append(evaluation)
        responses.append(pd.read_csv(path.parent / "responses.csv").assign(model=evaluation["model"],
                                                                          source=evaluation["source"]))
    return (pd.DataFrame(evaluations).reindex(columns=sorted(set(EVALUATIONS) | set(evaluations[0]))),
            pd.concat(responses, ignore_index=True))


def load_constructed(constructed_dir) -> pd.DataFrame | None:
    """Every construction's table (``constructed_dir/*/construct.csv``, one folder per
    ``resnet-study construct --out``) with a ``construction`` column (the folder's name), or None."""
    folders = sorted(p.parent for p in Path(constructed_dir).glob("*/construct.csv")) if constructed_dir else []
    if not folders:
        return None
    return pd.concat([pd.read_csv(f / "construct.csv").assign(construction=f.name) for f in folders],
                     ignore_index=True)


def census(runs: pd.DataFrame) -> pd.DataFrame:
    """How every model's runs ended, indexed by model in the table's order: ``n`` (the runs the grid
    asks for: one per seed in the table), ``done``, ``diverged``, ``failed``, ``missing`` (the rest:
    queued, interrupted, running, or no row at all) and ``diverged_at`` ([(seed, iteration)] of the
    diverged runs; ``diverged_at`` from the summary, else the iterations it ran, else None)."""
    runs = runs if "seed" in runs else runs.assign(seed=0)  # a table without seeds: one run per model
    seeds = runs.seed.nunique()
    rows = {}
    for model, group in runs.groupby("model", sort=False):
        diverged = group[group.status == "diverged"]
        column = "diverged_at" if "diverged_at" in diverged and diverged.diverged_at.notna().all() else "iterations"
        row = dict(n=max(seeds, len(group)), done=int((group.status == "done").sum()), diverged=len(diverged),
                   failed=int((group.status == "failed").sum()),
                   diverged_at=[(int(s), int(i) if pd.notna(i) else None)
                                for s, i in zip(diverged.seed, diverged.get(column, [None] * len(diverged)))])
        row["missing"] = row["n"] - row["done"] - row["diverged"] - row["failed"]
        rows[model] = row
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["n", "done", "diverged", "failed", "missing", "diverged_at"])
