"""The paper's figures redrawn from sweep tables (``curves.csv``, ``responses.csv``, ...).

Each function takes tidy frames and returns a matplotlib Figure; the notebooks call them.
Conventions as the paper: error in %, iterations on x, dashed/thin lines training error and
bold lines test error (Fig. 1, 4, 6).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .findings import label
from .paper import REPRODUCTIONS, TABLE6

sns.set_theme(context="notebook", style="whitegrid")


class MissingResults(LookupError):
    """The tables lack what a figure needs; the message says which sweep to run."""


def _require(frame: pd.DataFrame, models: list[str], what: str, sweep: str) -> list[str]:
    present = [m for m in models if m in set(frame.get("model", []))]
    if not present:
        raise MissingResults(f"{what} needs runs of {', '.join(models)}; run `{sweep}` and point the notebook "
                             f"at its --out folder")
    return present


def _mean_curves(curves: pd.DataFrame) -> pd.DataFrame:
    keys = ["model", "iteration"] + (["epoch"] if "epoch" in curves else [])
    return curves.groupby(keys, as_index=False)[["train_error", "test_error"]].mean()


# One encoding in every figure: plain nets in oranges, ResNets in blues, darker for deeper.
DEPTHS = {"cifar": [20, 32, 44, 56, 110, 1202], "imagenet": [18, 34, 50, 101, 152]}


def color(model: str):
    """The model's colour: its family's hue (plain or ResNet), its depth's shade."""
    depth = int("".join(c for c in model.rsplit("_", 1)[-1] if c.isdigit()))
    depths = DEPTHS["cifar" if model.startswith("cifar_") else "imagenet"]
    rank = depths.index(depth) if depth in depths else len(depths) - 1
    shades = sns.color_palette("Blues" if "resnet" in model else "Oranges", len(depths) + 2)
    return shades[rank + 2]


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


def _caption(fig: plt.Figure, text: str) -> None:
    if text:
        fig.text(0.01, -0.02, text, fontsize=8, color="0.35", ha="left", va="top")


def error_curves(curves: pd.DataFrame, panels: list[list[str]], titles: list[str], *, sweep: str,
                 what: str = "this figure", split_axes: bool = False, caption: str = "", x: str = "iteration",
                 test_label: str = "test") -> plt.Figure:
    """Training (dashed) and test (bold) error against ``x`` (iteration or epoch), one panel per
    model group; a group without runs keeps its panel, which names the runs it lacks.

    ``split_axes`` draws training and test error on separate panels instead (Fig. 1 style).
    ``test_label`` names what the bold curves measure: test, holdout or validation error.
    """
    _require(curves, [m for group in panels for m in group], what, sweep)
    mean = _mean_curves(curves)
    columns = 2 if split_axes else len(panels)
    fig, axes = plt.subplots(1, columns, figsize=(5.2 * columns, 4), sharey=True, squeeze=False)
    for p, group in enumerate(panels):
        for model in group:
            run = mean[mean.model == model]
            if run.empty:
                continue
            tests = run.dropna(subset=["test_error"])
            style = dict(color=color(model), label=label(model))
            if split_axes:
                axes[0][0].plot(run[x], 100 * run.train_error, ls="--", lw=1.2, **style)
                axes[0][1].plot(tests[x], 100 * tests.test_error, lw=2.2, **style)
            else:
                ax = axes[0][p]
                ax.plot(run[x], 100 * run.train_error, ls="--", lw=1, color=style["color"])
                ax.plot(tests[x], 100 * tests.test_error, lw=2.2, **style)
        missing = [m for m in group if m not in set(mean.model)]
        if missing and not split_axes:
            if len(missing) == len(group):
                axes[0][p].set_xticks([])
            axes[0][p].text(0.5, 0.5 if len(missing) == len(group) else 0.04,
                            "not run: " + ", ".join(map(label, missing)), transform=axes[0][p].transAxes,
                            ha="center", va="center" if len(missing) == len(group) else "bottom", color="0.4")
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


def layer_response_figure(responses: pd.DataFrame, models: list[str], *, sweep: str, caption: str = "",
                          published: pd.DataFrame | None = None) -> plt.Figure:
    """Fig. 7: std of layer responses, in layer order (top) and sorted by magnitude (bottom).

    ``published``: responses of evaluated published checkpoints (``load_published``), drawn
    dotted with crosses beside our runs and labelled with their source.
    """
    present = _require(responses, models, "Fig. 7", sweep)
    published = published if published is not None else pd.DataFrame(columns=["model", "source", "layer", "std"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.5 if published.empty else 8))
    lines = [(responses[responses.model == model], model, dict(ls="--" if "plain" in model else "-", marker=".",
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


def gradient_figure(gradients: pd.DataFrame, models: list[str], *, sweep: str, caption: str = "") -> plt.Figure:
    """Per-layer gradient norm at initialisation and at the last logged iteration, log scale."""
    present = _require(gradients, models, "the gradient-flow figure", sweep)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for model in present:
        frame = gradients[gradients.model == model]
        for ax, iteration in zip(axes, [0, frame.iteration.max()]):
            at = frame[frame.iteration == iteration].groupby("layer", as_index=False)["grad_norm"].mean()
            ax.plot(at.layer, at.grad_norm, color=color(model), ls="--" if "plain" in model else "-",
                    marker=".", label=label(model))
            ax.set_title("at initialisation" if iteration == 0 else f"at iteration {iteration}")
    for ax in axes:
        ax.set(yscale="log", xlabel="conv layer (input side → output side)")
        ax.legend()
    axes[0].set_ylabel("gradient norm of the layer's weights")
    fig.tight_layout()
    _caption(fig, caption)
    return fig


def table6(runs: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Our test error (%) per ResNet, mean ± std over seeds, beside Table 6 and a reproduction.

    ``published``: evaluations of published checkpoints (``load_published``); adds their error
    (%) as we measured it (``published_weights``), on what (``published_on``) and from where.
    """
    ours = runs[runs.status == "done"].groupby("model")["final_test_error"].agg(["mean", "std", "count"])
    ours = ours.mul([100, 100, 1]).reset_index()
    table = TABLE6.merge(REPRODUCTIONS, on="model").merge(ours, on="model", how="left")
    table["ours"] = [("—" if pd.isna(m) else f"{m:.2f}" + (f" ± {s:.2f}" if c > 1 else ""))
                     for m, s, c in zip(table["mean"], table["std"], table["count"])]
    table["runs"] = table["count"].fillna(0).astype(int)
    columns = ["model", "depth", "parameters", "paper_error", "paper_mean_std", "akamaster_error", "ours", "runs"]
    if published is not None and not published.empty:
        evaluated = published.assign(published_weights=100 * published.error, published_on=published.split,
                                     published_source=published.source)
        table = table.merge(evaluated[["model", "published_weights", "published_on", "published_source"]],
                            on="model", how="left")
        columns += ["published_weights", "published_on", "published_source"]
    return table[columns]


def published_label(source: str) -> str:
    return f"published weights ({source})"


def load_published(published_dir) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluations (``evaluation.json``) and responses (``responses.csv``) that ``resnet-study
    evaluate`` wrote into the subfolders of ``published_dir``; empty frames when it is ""."""
    import json
    from pathlib import Path

    paths = sorted(Path(published_dir).glob("*/evaluation.json")) if published_dir else []
    if published_dir and not paths:
        raise MissingResults(f"{published_dir} holds no */evaluation.json; run `resnet-study evaluate --model "
                             f"cifar_resnet56 --weights resnet56-4bfd9763.th --data-dir DIR --out "
                             f"{published_dir}/resnet56` (README, 'Published checkpoints')")
    evaluations, responses = [], []
    for path in paths:
        evaluation = json.loads(path.read_text())
        evaluations.append(evaluation)
        responses.append(pd.read_csv(path.parent / "responses.csv").assign(model=evaluation["model"],
                                                                          source=evaluation["source"]))
    return (pd.DataFrame(evaluations, columns=["model", "source", "error", "split", "images", "normalize",
                                               "best_prec1", "weights"]),
            pd.concat(responses, ignore_index=True) if responses else
            pd.DataFrame(columns=["model", "source", "layer", "name", "std"]))


def caption_for(results_dir) -> str:
    """``provenance`` of ``results_dir/runs.csv``, or nothing when it is missing."""
    from pathlib import Path

    path = Path(results_dir) / "runs.csv"
    return provenance(pd.read_csv(path)) if path.exists() else ""


def load_table(results_dir, name: str, *, sweep: str) -> pd.DataFrame:
    """``results_dir/name`` as a frame, or ``MissingResults`` naming the sweep that makes it."""
    from pathlib import Path

    path = Path(results_dir) / name
    if not path.exists():
        raise MissingResults(f"{path} does not exist; run `{sweep}` and pass its --out folder as results_dir")
    return pd.read_csv(path)


def save(fig: plt.Figure, figures_dir, stem: str) -> list[str]:
    """Write ``stem.png`` and ``stem.pdf`` under ``figures_dir``; returns the paths."""
    from pathlib import Path

    folder = Path(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.png", folder / f"{stem}.pdf"]
    for path in paths:
        # No creation date in the PDF: redrawing the same tables gives the same files.
        metadata = {"CreationDate": None} if path.suffix == ".pdf" else None
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata=metadata)
    return [str(p) for p in paths]
