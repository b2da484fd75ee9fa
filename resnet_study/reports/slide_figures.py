"""The deck's figures: drawn at the size they take on a 16:9 slide (13.33 x 7.5 in), so their
fonts (>= 18 pt) and lines (>= 2 pt) are what the audience sees. Language-neutral: model names,
numbers and symbols only; the slide's own text (in the deck's language) says what the axes are.

Same encoding as the notebooks (``plots.color``): plain nets warm, ResNets cool, one colour per
depth; dashed lines training error, bold lines test (or holdout) error, as the paper's Fig. 1, 4, 6.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from ..io import atomic_path
from .findings import label
from .plots import TEST_LW, TRAIN_LW, color, line_style, theme

RC = {"font.size": 20, "axes.labelsize": 20, "xtick.labelsize": 18, "ytick.labelsize": 18,
      "legend.fontsize": 18, "axes.linewidth": 1.5, "lines.linewidth": TEST_LW, "grid.linewidth": 1.0,
      "svg.hashsalt": "resnet-study"}


@contextmanager
def slide_style():
    with theme(), plt.style.context("seaborn-v0_8-whitegrid"), plt.rc_context(RC):
        yield


def _thousands(value: float, _) -> str:
    return f"{value / 1000:g}k" if value else "0"


def curves(curves: pd.DataFrame, panels: list[list[str]], size: tuple[float, float]) -> plt.Figure:
    """Error (%) against iterations: one panel per group of models, dashed training error, bold
    test error, each panel's legend naming its models. Models without curves are left out."""
    keys = ["model", "iteration"]
    mean = curves.groupby(keys, as_index=False)[["train_error", "test_error"]].mean()
    with slide_style():
        fig, axes = plt.subplots(1, len(panels), figsize=size, sharey=True, squeeze=False)
        for ax, group in zip(axes[0], panels):
            for model in group:
                run = mean[mean.model == model]
                if run.empty:
                    continue
                tests = run.dropna(subset=["test_error"])
                ax.plot(run.iteration, 100 * run.train_error, ls="--", lw=TRAIN_LW, color=color(model))
                ax.plot(tests.iteration, 100 * tests.test_error, lw=TEST_LW, color=color(model), label=label(model))
            ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="upper right", frameon=True)
        axes[0][0].set_ylabel("%")
        fig.tight_layout()
    return fig


def responses(responses: pd.DataFrame, models: list[str], size: tuple[float, float]) -> plt.Figure:
    """Fig. 7: std of each layer's response in layer order (left) and sorted (right); plain nets
    dashed, ResNets solid."""
    with slide_style():
        fig, (ordered, sorted_) = plt.subplots(1, 2, figsize=size, sharey=True)
        for model in models:
            frame = responses[responses.model == model].groupby("layer", as_index=False)["std"].mean()
            if frame.empty:
                continue
            style = dict(color=color(model), ls=line_style(model), lw=TEST_LW, label=label(model))
            ordered.plot(frame.layer, frame["std"], **style)
            values = frame["std"].sort_values(ascending=False).to_numpy()
            sorted_.plot(range(1, len(values) + 1), values, **style)
        ordered.set_ylabel("std")
        ordered.legend(loc="upper right", frameon=True)
        fig.tight_layout()
    return fig


def block(size: tuple[float, float]) -> plt.Figure:
    """The paper's Fig. 2 redrawn: x -> conv -> ReLU -> conv -> (+ x) -> ReLU, the shortcut in red."""
    with slide_style():
        fig = plt.figure(figsize=size)
        ax = fig.add_axes([0, 0, 1, 1])
        ax.set(xlim=(0, 16), ylim=(0, 10))
        ax.axis("off")
        arrow = dict(arrowstyle="-|>", lw=2.5, color="0.15", mutation_scale=22)
        shortcut = "#d7191c"
        for y, text in [(7.0, "3×3 conv, BN"), (3.6, "3×3 conv, BN")]:
            ax.add_patch(plt.Rectangle((3.5, y), 5, 1.3, fc="#d6e6f4", ec="0.15", lw=2.5))
            ax.text(6, y + 0.65, text, ha="center", va="center", fontsize=22)
        ax.annotate("", (6, 8.3), (6, 9.7), arrowprops=arrow)
        ax.text(6.3, 9.3, "x", fontsize=28, style="italic")
        ax.annotate("", (6, 4.9), (6, 7.0), arrowprops=arrow)
        ax.text(6.3, 5.8, "ReLU", fontsize=22)
        ax.annotate("", (6, 2.1), (6, 3.6), arrowprops=arrow)
        ax.add_patch(plt.Circle((6, 1.6), 0.5, fc="white", ec="0.15", lw=2.5))
        ax.text(6, 1.6, "+", ha="center", va="center", fontsize=30)
        ax.plot([6, 10.5, 10.5], [9.2, 9.2, 1.6], color=shortcut, lw=3)
        ax.annotate("", (6.55, 1.6), (10.5, 1.6), arrowprops=dict(arrowstyle="-|>", lw=3, color=shortcut,
                                                                 mutation_scale=22))
        ax.text(10.8, 5.4, "x", fontsize=28, color=shortcut, style="italic", va="center")
        ax.text(1.2, 5.4, "F(x)", fontsize=28, style="italic", va="center")
        ax.annotate("", (6, 0.0), (6, 1.1), arrowprops=arrow)
        ax.text(6.3, 0.35, "ReLU( F(x) + x )", fontsize=22, style="italic")
    return fig


def save_png(fig: plt.Figure, path: Path) -> Path:
    """Write ``fig`` at its own size (no trimming: it fills its box on the slide) at 200 dpi."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:  # a refused write: one sentence, and no half-drawn figure
        fig.savefig(tmp, format="png", dpi=200, metadata={"Software": None})
    plt.close(fig)
    return path


def constructed(table: pd.DataFrame, construction: str, split: str, size: tuple[float, float]) -> plt.Figure:
    """Error (%) on ``split`` (``constructed.eval_split``) of one construction's nets as bars: the
    shallow net, the deeper net built from it, the deeper net from scratch, and the built net trained
    on in arms a and b."""
    rows = table[(table.construction == construction) & (table.split == split)]
    roles = [r for r in ["shallow", "built", "from scratch", "built, trained on (trained_on)",
                         "built, trained on (frozen_bn)"] if r in set(rows.role)]
    names = {"shallow": label(rows[rows.role == "shallow"].net.iloc[0]), "built": f"{label(rows.net.iloc[-1])}\nbuilt",
             "from scratch": f"{label(rows.net.iloc[-1])}\nSGD", "built, trained on (trained_on)": "built\n+ SGD (a)",
             "built, trained on (frozen_bn)": "built\n+ SGD (b)"}
    errors = [100 * rows[rows.role == r].error.iloc[0] for r in roles]
    colours = [color(rows[rows.role == r].net.iloc[0]) for r in roles]
    with slide_style():
        fig, ax = plt.subplots(figsize=size)
        bars = ax.bar([names[r] for r in roles], errors, color=colours, edgecolor="0.2", linewidth=1.5)
        for bar, value in zip(bars, errors):
            ax.annotate(f"{value:.1f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", xytext=(0, 4), textcoords="offset points")
        ax.set_ylabel("%")
        ax.set_ylim(0, max(errors) * 1.2)
        fig.tight_layout()
    return fig
