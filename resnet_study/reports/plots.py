"""The paper's figures redrawn from sweep tables (``curves.csv``, ``responses.csv``, ...).

Each function takes tidy frames and returns a matplotlib Figure; the notebooks call them.
Conventions as the paper: error in %, iterations on x, dashed/thin lines training error and
bold lines test error (Fig. 1, 4, 6).
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Callable

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ..io import atomic_path
from ..models import model_info
from ..paper import REPRODUCTIONS, TABLE6
from .findings import label
from .outcomes import diverged_where, mean_cell
from .tables import MissingResults


@contextmanager
def theme():
    """seaborn's notebook context and whitegrid style for the figures drawn inside; matplotlib's
    settings are as they were afterwards (importing this module changes nothing)."""
    with plt.rc_context():
        sns.set_theme(context="notebook", style="whitegrid")
        yield


class ThemedFigure(Figure):
    """A figure that is drawn in ``theme()`` wherever it is drawn (``savefig``, a notebook's
    display): matplotlib reads fonts and ticks from its settings when it draws."""

    def draw(self, renderer):
        with theme():
            super().draw(renderer)

    def __repr__(self) -> str:  # as a notebook shows it: "<Figure size 1100x400 with 2 Axes>"
        return super().__repr__().replace(type(self).__name__, "Figure", 1)


def themed(draw: Callable[..., plt.Figure]) -> Callable[..., plt.Figure]:
    """``draw`` run inside ``theme()``; it makes its figure with ``FigureClass=ThemedFigure``."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with theme():
            return draw(*args, **kwargs)
    return drawn


def line_style(model: str) -> str:
    """Plain nets dashed, ResNets solid (as the paper's figures)."""
    return "-" if model_info(model).residual else "--"


def _require(frame: pd.DataFrame, models: list[str], what: str, sweep: str) -> list[str]:
    present = [m for m in models if m in set(frame.get("model", []))]
    if not present:
        raise MissingResults(f"{what} needs runs of {', '.join(models)}; run `{sweep}` and point the notebook "
                             f"at its --out folder")
    return present


def _mean_curves(curves: pd.DataFrame) -> pd.DataFrame:
    keys = ["model", "iteration"] + (["epoch"] if "epoch" in curves else [])
    return curves.groupby(keys, as_index=False)[["train_error", "test_error"]].mean()


TRAIN_LW, TEST_LW = 2.0, 3.0  # points: dashed training error, bold test error

# One encoding in every figure and slide: plain nets in warm colours, ResNets in cool ones, one
# clearly different colour per depth (shades of one hue could not be told apart on a projector).
PALETTE = {"plain": ["#e6ab02", "#e66101", "#d7191c", "#8c2d04", "#67000d", "#3f007d"],
           "resnet": ["#1b9e77", "#56b4e9", "#2166ac", "#7b3294", "#252525", "#878787"]}


def color(model: str) -> str:
    """The model's colour: warm for plain nets, cool for ResNets, one colour per depth."""
    info = model_info(model)
    depths = list(info.paper_depths)
    rank = depths.index(info.depth) if info.depth in depths else len(depths) - 1
    return PALETTE["resnet" if info.residual else "plain"][rank]


def _caption(fig: plt.Figure, text: str) -> None:
    if text:
        fig.text(0.01, -0.02, text, fontsize=8, color="0.35", ha="left", va="top")


@themed
def error_curves(curves: pd.DataFrame, panels: list[list[str]], titles: list[str], *, sweep: str,
                 what: str = "this figure", split_axes: bool = False, caption: str = "", x: str = "iteration",
                 test_label: str = "test", runs: pd.DataFrame | None = None) -> plt.Figure:
    """Training (dashed) and test (bold) error against ``x`` (iteration or epoch), one panel per
    model group; a group without runs keeps its panel, which names the runs it lacks. With the
    sweep's ``runs``, a net with a diverged run says so in its legend entry or, without rows, its title.

    ``split_axes`` draws training and test error on separate panels instead (Fig. 1 style).
    ``test_label`` names what the bold curves measure: test, holdout or validation error.
    """
    diverged = diverged_where(runs) if runs is not None else {}
    _require(curves, [m for group in panels for m in group if m not in diverged], what, sweep)
    mean = _mean_curves(curves)
    columns = 2 if split_axes else len(panels)
    fig, axes = plt.subplots(1, columns, figsize=(5.2 * columns, 4), sharey=True, squeeze=False,
                             FigureClass=ThemedFigure)
    for p, group in enumerate(panels):
        for model in group:
            run = mean[mean.model == model]
            if run.empty:
                continue
            tests = run.dropna(subset=["test_error"])
            named = f"{label(model)} (diverged at {diverged[model]})" if model in diverged else label(model)
            style = dict(color=color(model), label=named)
            if split_axes:
                axes[0][0].plot(run[x], 100 * run.train_error, ls="--", lw=TRAIN_LW, **style)
                axes[0][1].plot(tests[x], 100 * tests.test_error, lw=TEST_LW, **style)
            else:
                ax = axes[0][p]
                ax.plot(run[x], 100 * run.train_error, ls="--", lw=TRAIN_LW, color=style["color"])
                ax.plot(tests[x], 100 * tests.test_error, lw=TEST_LW, **style)
        missing = [m for m in group if m not in set(mean.model)]
        if missing and not split_axes:  # in the title, where no legend or curve can cover it
            not_run = ", ".join(label(m) for m in missing if m not in diverged)
            said = [f"{label(m)} diverged at {diverged[m]}" for m in missing if m in diverged] + [f"not run: {not_run}"]
            titles = [*titles[:p], f"{titles[p]} ({', '.join(said[:-1] if not not_run else said)})", *titles[p + 1:]]
            if len(missing) == len(group):
                axes[0][p].set_xticks([])
    names = ["training error (%)", f"{test_label} error (%)"] if split_axes else titles
    for ax, title in zip(axes[0], names):
        ax.set_title(title)
        ax.set_xlabel(x)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=True)
    axes[0][0].set_ylabel("error (%)")
    if not split_axes:
        fig.suptitle(f"dashed: training error, bold: {test_label} error", fontsize=10, color="0.3", y=0.99)
    fig.tight_layout()
    _caption(fig, caption)
    return fig


@themed
def layer_response_figure(responses: pd.DataFrame, models: list[str], *, sweep: str, caption: str = "",
                          published: pd.DataFrame | None = None) -> plt.Figure:
    """Fig. 7: std of layer responses, in layer order (top) and sorted by magnitude (bottom).

    ``published``: responses of evaluated published checkpoints (``load_published``), drawn
    dotted with crosses beside our runs and labelled with their source.
    """
    present = _require(responses, models, "Fig. 7", sweep)
    published = published if published is not None else pd.DataFrame(columns=["model", "source", "layer", "std"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.5 if published.empty else 8), FigureClass=ThemedFigure)
    lines = [(responses[responses.model == model], model, dict(ls=line_style(model), marker=".",
                                                                 label=label(model))) for model in present]
    lines += [(frame, model, dict(ls=":", marker="x", label=f"{label(model)}, {published_label(source)}"))
              for (model, source), frame in published.groupby(["model", "source"])]
    for frame, model, style in lines:
        frame = frame.groupby("layer", as_index=False)["std"].mean()
        top.plot(frame.layer, frame["std"], color=color(model), **style)
        ordered = frame["std"].sort_values(ascending=False).to_numpy()
        bottom.plot(range(1, len(ordered) + 1), ordered, color=color(model), **style)
    top.set(xlabel="layer index (original)", ylabel="std")
    bottom.set(xlabel="layer index (sorted by magnitude)", ylabel="std")
    top.legend(ncol=3 if published.empty else 1, fontsize=None if published.empty else 8)
    fig.tight_layout()
    _caption(fig, caption)
    return fig


@themed
def gradient_figure(gradients: pd.DataFrame, models: list[str], *, sweep: str, caption: str = "") -> plt.Figure:
    """Per-layer gradient norm at initialisation and at the last logged iteration, log scale."""
    present = _require(gradients, models, "the gradient-flow figure", sweep)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, FigureClass=ThemedFigure)
    for model in present:
        frame = gradients[gradients.model == model]
        for ax, iteration in zip(axes, [0, frame.iteration.max()]):
            at = frame[frame.iteration == iteration].groupby("layer", as_index=False)["grad_norm"].mean()
            ax.plot(at.layer, at.grad_norm, color=color(model), ls=line_style(model),
                    marker=".", label=label(model))
            ax.set_title("at initialisation" if iteration == 0 else f"at iteration {iteration}")
    for ax in axes:
        ax.set(yscale="log", xlabel="conv layer (input side → output side)")
        ax.legend()
    axes[0].set_ylabel("gradient norm of the layer's weights")
    fig.tight_layout()
    _caption(fig, caption)
    return fig


def millions(count: float) -> str:
    return f"{count / 1e6:.2f}M" if count < 1e7 else f"{count / 1e6:.1f}M"


def table6_frame(runs: pd.DataFrame, published: pd.DataFrame | None = None, *, split: str = "test") -> pd.DataFrame:
    """Our error (%) per ResNet, mean ± std over seeds, beside Table 6 and a reproduction, as
    text cells ready to show: parameters as 0.27M, "—" where nothing was measured, indexed by net.

    ``split`` names what our error was measured on (``findings.eval_name``: test, holdout,
    validation). ``published``: evaluations of published checkpoints (``tables.load_published``);
    adds their error as we measured it, on which images, and as their authors state it (``stated_error``,
    a fraction like every error in the tables).
    """
    ours = runs[runs.status == "done"].groupby("model")["final_test_error"].agg(["mean", "std", "count"])
    ours = ours.mul([100, 100, 1]).reset_index()
    table = TABLE6.merge(REPRODUCTIONS, on="model").merge(ours, on="model", how="left")
    rows = {"net": table.model.map(label), "parameters": table.parameters.map(millions),
            "paper test error (%)": [m if isinstance(m, str) else f"{e:.2f}"
                                     for e, m in zip(table.paper_error, table.paper_mean_std)],
            "akamaster test error (%)": table.akamaster_error.map("{:.2f}".format),
            f"ours: {split} error (%)": [mean_cell(runs, model, m, s, c) for model, m, s, c
                                         in zip(table.model, table["mean"], table["std"], table["count"])],
            "our runs": table["count"].fillna(0).astype(int)}
    if published is not None and not published.empty:
        for (source, on), group in published.groupby(["source", "split"]):
            errors = dict(zip(group.model, 100 * group.error))
            rows[f"{published_label(source)} on {on} images (%)"] = [
                f"{errors[m]:.2f}" if m in errors else "—" for m in table.model]
            if "stated_error" in group and group.stated_error.notna().any():
                stated = dict(zip(group.model, group.stated_error))
                rows[f"{source}: stated test error (%)"] = [
                    f"{100 * stated[m]:.2f}" if pd.notna(stated.get(m)) else "—"
                    for m in table.model]
    return pd.DataFrame(rows).set_index("net")


def published_label(source: str) -> str:
    return f"published weights ({source})"


def save(fig: plt.Figure, figures_dir, stem: str) -> list[str]:
    """Write ``stem.png`` and ``stem.pdf`` under ``figures_dir``; returns the paths."""
    from pathlib import Path

    folder = Path(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.png", folder / f"{stem}.pdf"]
    for path in paths:
        # No creation date in the PDF: redrawing the same tables gives the same files.
        metadata = {"CreationDate": None} if path.suffix == ".pdf" else None
        with atomic_path(path) as tmp:  # a refused write: one sentence, and no half-drawn figure
            fig.savefig(tmp, format=path.suffix[1:], dpi=150, bbox_inches="tight", metadata=metadata)
    return [str(p) for p in paths]
