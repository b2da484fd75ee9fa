"""How a sweep's runs ended, in words the findings, tables and slides share: a diverged run is a
result ("plain-56 diverged at iteration 812"), never a gap, and a mean over seeds says "k of n
runs" wherever a run is missing, diverged or failed."""

from __future__ import annotations

import math

import pandas as pd

from ..models import model_info
from .tables import census

DIVERGED = math.inf  # a diverged run's final error where depths are ordered: worse than any trained net


def label(model: str) -> str:
    return model_info(model).label


def _seeds(runs: pd.DataFrame) -> int:
    return runs.seed.nunique() if "seed" in runs else 1


def diverged_all(counts: pd.DataFrame, model: str) -> bool:
    """Whether no run of ``model`` finished and at least one diverged: the net could not be trained."""
    return model in counts.index and counts.loc[model, "done"] == 0 and counts.loc[model, "diverged"] > 0


def of_runs(counts: pd.DataFrame, model: str) -> str:
    """' (2 of 3 runs)' when ``model``'s mean leaves out a missing, diverged or failed run, else ''."""
    if model not in counts.index or counts.loc[model, "done"] == counts.loc[model, "n"]:
        return ""
    return f" ({counts.loc[model, 'done']} of {counts.loc[model, 'n']} runs)"


def diverged_text(counts: pd.DataFrame, model: str, seeds: int) -> str:
    """'plain-56 diverged at iteration 812' (with the seed when the grid has several)."""
    return "; ".join(f"{label(model)}{f' seed {s}' if seeds > 1 else ''} diverged"
                     + (f" at iteration {i:,}" if i is not None else "") for s, i in counts.loc[model, "diverged_at"])


def gaps(runs: pd.DataFrame, models: list[str] | None = None) -> list[str]:
    """One phrase per model of ``models`` (default: all) with a run that did not finish: every
    diverged run by name and iteration, then failed and missing runs counted ("ResNet-110: 1 of 3
    runs failed, 1 missing")."""
    counts, seeds = census(runs), _seeds(runs)
    phrases = []
    for model in models if models is not None else list(counts.index):
        if model not in counts.index:
            continue
        row = counts.loc[model]
        if row.diverged:
            phrases.append(diverged_text(counts, model, seeds))
        others = [f"{row[k]} {k}" for k in ("failed", "missing") if row[k]]
        if others:
            phrases.append(f"{label(model)}: {' and '.join(others)} of {row.n} run{'s' if row.n > 1 else ''}")
    return phrases


def finals_with_divergence(runs: pd.DataFrame, models: list[str], column: str) -> dict[str, float]:
    """Each of ``models``' mean final ``column`` over its finished runs (fractions), or ``DIVERGED``
    for a net whose every run that ended diverged; models with neither are left out."""
    counts = census(runs)
    done = runs[runs.status == "done"].groupby("model")[column].mean()
    return {m: done[m] if m in done.index else DIVERGED for m in models
            if m in done.index or diverged_all(counts, m)}


def value_text(runs: pd.DataFrame, model: str, value: float) -> str:
    """'plain-44 57.0% (2 of 3 runs)' or 'plain-56 diverged at iteration 812'."""
    counts = census(runs)
    if value == DIVERGED:
        return diverged_text(counts, model, _seeds(runs))
    return f"{label(model)} {100 * value:.1f}%{of_runs(counts, model)}"


def diverged_iterations(counts: pd.DataFrame, model: str) -> str:
    """'812', or '800, 801' for several seeds: where ``model``'s diverged runs stopped ('' for none)."""
    at = counts.loc[model, "diverged_at"] if model in counts.index else []
    return ", ".join(f"{i:,}" for _, i in at if i is not None)


def error_cell(runs: pd.DataFrame, model: str, finals: pd.DataFrame, diverged: str, of_runs: str) -> str:
    """Our mean test error of ``model`` (%) for a slide's table: '27.1', ``of_runs`` filled in
    ('{ours} ({k} of {n} runs)') when a run is missing, diverged or failed, ``diverged`` for a net
    none of whose runs finished, '—' for no runs. ``finals``: means over finished runs (fractions)."""
    counts = census(runs)
    if model not in finals.index:
        return diverged if diverged_all(counts, model) else "—"
    ours = f"{100 * finals.loc[model, 'final_test_error']:.1f}"
    done, n = counts.loc[model, ["done", "n"]]
    return ours if done == n else of_runs.format(ours=ours, k=done, n=n)


def diverged_where(runs: pd.DataFrame) -> dict[str, str]:
    """Each model with a diverged run -> 'iteration 812' (or 'iteration 800, iteration 801')."""
    counts = census(runs)
    return {m: ", ".join(f"iteration {i:,}" if i is not None else "?" for _, i in counts.loc[m, "diverged_at"])
            for m in counts.index if counts.loc[m, "diverged"]}


def mean_cell(runs: pd.DataFrame, model: str, mean: float, std: float, count: float) -> str:
    """A table's cell of our error (%): '6.60 ± 0.20', with ' (2 of 3 runs)' when a run is missing,
    diverged or failed, 'diverged at iteration 812' for a net none of whose runs finished, '—' for none."""
    counts = census(runs)
    if pd.isna(mean):
        if not diverged_all(counts, model):
            return "—"
        return diverged_text(counts, model, _seeds(runs)).removeprefix(f"{label(model)} ")
    return f"{mean:.2f}" + (f" ± {std:.2f}" if count > 1 else "") + of_runs(counts, model)
