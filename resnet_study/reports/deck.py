"""The deck's pages and what they read: ``Slide`` (one page), ``Sources`` (a folder per kind of
results) and ``Deck``, which loads the tables once and gives each analysis's page function
(``reports/analyses/``) the words of one language and the appendix's bookkeeping. Each page's
title states what the tables show, at most three short lines sit under one figure or table, and
the numbers, data and caveats go to the speaker notes and the appendix. ``story`` puts the pages
in order; ``pptx_deck`` and ``pdf_deck`` draw the same pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..paper import FIG6_RESNET, pairs
from . import findings, outcomes, slide_figures, tables

FIGURE_SIZE = (12.33, 4.45)  # inches: the figure box of a 13.33 x 7.5 in slide (92% of its width)


@dataclass
class Slide:
    title: str
    lines: list[str] = field(default_factory=list)  # at most three short lines
    figure: Path | None = None
    table: list[list[str]] | None = None  # header row first
    notes: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)  # appendix text, in place of a figure
    title_page: bool = False


class Sources(dict):
    """Where the deck reads from: a folder per kind of results (``registry.folders()``' keys), e.g.
    ``Sources(cifar=Path("results/cifar_study"), published=Path("results/published"))``, read as
    ``sources.cifar``. Every folder may be missing or not given (its slides are left out and the
    appendix says so), but the CIFAR results folder, which the story needs, must exist."""

    def __init__(self, **folders):
        super().__init__({key: Path(folder) for key, folder in folders.items()})

    def __getattr__(self, key: str) -> Path:
        if key.startswith("_"):
            raise AttributeError(key)
        return self.get(key, Path(f"<no {key} folder given>"))


def pct(fraction: float) -> str:
    """A title's error: 0.7188 -> '72%'."""
    return f"{100 * fraction:.0f}%"


class Deck:
    """Loads the tables once and makes the pages in one language.

    ``words``: the deck's strings in that language (``registry.words``); ``figures``: the folder
    for the slides' PNGs. The CIFAR folder's ``runs.csv`` and ``curves.csv`` are read at once
    (``MissingResults`` when missing: the story needs them); every other table when a page asks.
    """

    def __init__(self, sources: Sources, words: dict, figures: Path):
        self.s, self.sources, self.figures = words, sources, figures
        tables.require_folder(sources.cifar, sweep=tables.CIFAR_SWEEP)
        self.runs = tables.load_table(sources.cifar, "runs.csv", sweep=tables.CIFAR_SWEEP)
        self.curves = tables.load_table(sources.cifar, "curves.csv", sweep=tables.CIFAR_SWEEP)
        self.finals = tables.finals(self.runs)  # fractions, by model
        self.split = self.s["splits"][findings.eval_name(self.runs)]
        self.made: list[str] = []  # appendix lines: which tables each figure came from, and how they were made
        self.missing: list[str] = []  # appendix lines: slides left out for a missing table
        self.claims: list[tuple[str, findings.Finding]] = []
        self._read: dict[tuple[str, str], pd.DataFrame | None] = {}

    def table(self, folder: str, name: str) -> pd.DataFrame | None:
        """``name`` in the ``folder`` kind's folder (``Sources``), read once, or None when missing."""
        if (folder, name) not in self._read:
            path = Path(getattr(self.sources, folder)) / name
            self._read[folder, name] = pd.read_csv(path) if path.exists() else None
        return self._read[folder, name]

    @cached_property
    def _published(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        folder = Path(self.sources.published)
        given = (folder / "published.csv").exists() or any(folder.glob("*/evaluation.json"))
        return tables.load_published(folder if given else "")

    @property
    def published(self) -> pd.DataFrame:
        """The published nets' evaluations (``tables.load_published``; empty when there are none)."""
        return self._published[0]

    @property
    def published_responses(self) -> pd.DataFrame:
        return self._published[1]

    @cached_property
    def constructed(self) -> pd.DataFrame | None:
        return tables.load_constructed(self.sources.constructed)

    def published_source(self, kind: str) -> str | None:
        """The published source with the most nets of ``kind`` ('resnet': Fig. 6's ResNets, or 'pair':
        plain/ResNet twins with responses), None when none has any."""
        frame = self.published if kind == "resnet" else self.published_responses
        if frame.empty:
            return None
        counts = {}
        for source, group in frame.groupby("source"):
            models = set(group.model)
            counts[source] = sum(m in models for m in FIG6_RESNET) if kind == "resnet" else len(pairs(models))
        best = max(sorted(counts), key=counts.get)
        return best if counts[best] else None

    def left_out(self, figure: str, path) -> None:
        """Note for the appendix that ``figure``'s page is left out: ``path`` does not exist."""
        self.missing.append(self.t("appendix.missing", figure=figure, path=path))

    def t(self, key: str, **values) -> str:
        return self.s[key].format(**values)

    def data_line(self, runs: pd.DataFrame) -> str:
        """What the runs trained on, and every run that did not finish: a diverged net is a result."""
        done = runs[runs.status == "done"]
        first = done.iloc[0]
        line = self.t("data", dataset=first.dataset, images=f"{int(first.train_images):,}",
                      epochs=f"{done.epochs.max():g}", seeds=runs.seed.nunique())
        return "; ".join([line, *outcomes.gaps(runs)])

    def provenance(self, runs: pd.DataFrame) -> str:
        first = runs[runs.status == "done"].iloc[0]
        return self.t("appendix.provenance", dataset=first.dataset, epochs=f"{first.epochs:g}",
                      iterations=f"{int(first.iterations):,}", seeds=runs.seed.nunique(), device=first.device,
                      torch=first.torch_version, commit=first.commit)

    def source(self, folder: Path, *names: str) -> str:
        return ", ".join(str(Path(folder) / n) for n in names)

    def record(self, figure: str, folder: Path, names: list[str], runs: pd.DataFrame | None) -> str:
        """Note for the appendix that ``figure`` was drawn from ``folder/names`` (made as ``runs`` say)."""
        tables_read = self.source(folder, *names)
        self.made.append(self.t("appendix.figure", figure=figure, tables=tables_read))
        made = self.t("appendix.made", provenance=self.provenance(runs)) if runs is not None else None
        if made and made not in self.made:
            self.made.append(made)
        return tables_read

    def notes(self, found: list[tuple[str, findings.Finding]], runs: pd.DataFrame | None,
              tables_read: str) -> list[str]:
        self.claims += found
        lines = []
        for key, finding in found:
            lines += [self.t("notes.paper", claim=self.s["claims"][key]),
                      self.t("notes.ours", values=finding.values or "—", verdict=self.s["verdict"][finding.agrees])]
        if runs is not None:
            lines.append(self.t("notes.data", provenance=self.provenance(runs)))
        return lines + [self.t("notes.tables", tables=tables_read)]

    def figure(self, name: str, fig) -> Path:
        return slide_figures.save_png(fig, self.figures / f"{name}.png")
