"""The deck as a list of pages, computed from the tables: each page's title states what the
tables show, at most three short lines sit under one figure or table, and the numbers, data and
caveats go to the speaker notes and the appendix. ``pages`` makes them;
``pptx_deck`` and ``pdf_deck`` draw the same pages.

Story (He et al. 2015): title; the question (Fig. 1); the residual block (Fig. 2); plain against
ResNet (Fig. 6); deeper ResNets (Table 6, with published nets); Fig. 4 on an ImageNet subset;
Fig. 7 on fully trained published pairs; the constructed solution (when its table exists);
takeaways; appendix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import findings, outcomes, slide_figures, tables
from .findings import label
from .strings import strings

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


@dataclass
class Sources:
    """Where the deck reads from; every folder may be missing (its slides are left out and the
    appendix says so), but the CIFAR results folder, which the story needs, must exist."""
    cifar: Path
    imagenet: Path
    published: Path
    constructed: Path


def pct(fraction: float) -> str:
    """A title's error: 0.7188 -> '72%'."""
    return f"{100 * fraction:.0f}%"


class Deck:
    """Loads the tables once and makes the pages in one language."""

    def __init__(self, sources: Sources, language: str, figures: Path):
        self.s, self.sources, self.figures = strings(language), sources, figures
        tables.require_folder(sources.cifar, sweep=tables.CIFAR_SWEEP)
        self.runs = tables.load_table(sources.cifar, "runs.csv", sweep=tables.CIFAR_SWEEP)
        self.curves = tables.load_table(sources.cifar, "curves.csv", sweep=tables.CIFAR_SWEEP)
        self.responses = self._optional(sources.cifar, "responses.csv")
        self.imagenet = self._optional(sources.imagenet, "runs.csv")
        self.imagenet_curves = self._optional(sources.imagenet, "curves.csv")
        self.published, self.published_responses = (
            tables.load_published(sources.published) if (Path(sources.published) / "published.csv").exists()
            or any(Path(sources.published).glob("*/evaluation.json")) else tables.load_published(""))
        self.constructed = tables.load_constructed(sources.constructed)
        self.finals = self._finals(self.runs)
        self.split = self.s["splits"][findings.eval_name(self.runs)]
        self.made: list[str] = []  # appendix lines: which tables each figure came from, and how they were made
        self.missing: list[str] = []  # appendix lines: slides left out for a missing table
        self.claims: list[tuple[str, findings.Finding]] = []

    @staticmethod
    def _optional(folder: Path, name: str) -> pd.DataFrame | None:
        path = Path(folder) / name
        return pd.read_csv(path) if path.exists() else None

    @staticmethod
    def _finals(runs: pd.DataFrame) -> pd.DataFrame:
        return runs[runs.status == "done"].groupby("model")[["final_train_error", "final_test_error"]].mean()

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


def model_pairs(depths: list[int], prefix: str = "cifar_") -> list[tuple[str, str]]:
    return [(f"{prefix}plain{d}", f"{prefix}resnet{d}") for d in depths]


__all__ = ["Deck", "Slide", "Sources", "pct", "label", "model_pairs", "FIGURE_SIZE"]
