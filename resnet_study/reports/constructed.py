"""Section 1's constructed solution, drawn and stated from ``resnet-study construct`` tables.

``load_constructions(results_dir)`` reads every ``*/construct.csv`` and ``*/curves.csv`` under
``results_dir`` (one folder per construction, e.g. ``plain20-56/``); ``constructed_figure`` draws
the errors of the shallow, built and from-scratch nets with the built net's training curves;
``constructed_findings`` and ``trained_on_summary`` state what the tables show. The notebook
``constructed_solution.ipynb`` and the deck call them.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..models import model_info
from .findings import Finding, label
from .plots import ThemedFigure, color, themed
from .tables import CONSTRUCTED_RUN, MissingResults, load_constructed, require_folder

ROLES = ["shallow", "built", "from scratch", "built, trained on (trained_on)", "built, trained on (frozen_bn)"]
SHORT = {"shallow": "shallow", "built": "built", "from scratch": "from\nscratch",
         "built, trained on (trained_on)": "built +\ntrained (a)",
         "built, trained on (frozen_bn)": "built +\ntrained (b)"}
ARM_NAMES = {"trained_on": "a: trained on", "frozen_bn": "b: added BN frozen"}
SEEN = "errors on training images of the published nets (the shared subset), not test errors"


def load_constructions(results_dir) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table, curves) of every construction folder under ``results_dir``, each with a
    ``construction`` column (the folder's name); ``MissingResults`` when there is none."""
    table = load_constructed(require_folder(results_dir, sweep=CONSTRUCTED_RUN))
    if table is None:
        raise MissingResults(f"{Path(results_dir) / '*' / 'construct.csv'} does not exist; run `{CONSTRUCTED_RUN}` "
                             f"and pass its CONSTRUCTED_OUT folder as results_dir")
    curves = [pd.read_csv(path).assign(construction=path.parent.name)
              for path in sorted(Path(results_dir).glob("*/curves.csv"))]
    return table, pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()


def eval_split(table: pd.DataFrame) -> str:
    """The split a construction's errors are judged on: "test" when the table has it, else "holdout"."""
    return "test" if "test" in set(table.split) else "holdout"


def _error(table: pd.DataFrame, role: str, split: str) -> float | None:
    rows = table[(table.role == role) & (table.split == split)]
    return float(rows.error.iloc[0]) if len(rows) else None


@themed
def constructed_figure(table: pd.DataFrame, curves: pd.DataFrame, *, caption: str = "") -> plt.Figure:
    """One row per construction: errors (%) with binomial 95% intervals of the shallow net, the
    built deep net (equal by construction), the deep net from scratch and the built net trained
    on (left); the built net's error curves while trained on, from iteration 0 (right)."""
    split = eval_split(table)
    constructions = list(dict.fromkeys(table.construction))
    fig, axes = plt.subplots(len(constructions), 2, figsize=(11, 3.6 * len(constructions)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1.3]}, FigureClass=ThemedFigure)
    for (bars, lines), name in zip(axes, constructions):
        rows = table[(table.construction == name) & (table.split == split)].set_index("role")
        roles = [r for r in ROLES if r in rows.index]
        errors = [100 * rows.error[r] for r in roles]
        # A binomial 95% interval: how far the error on these few images could move by chance.
        spread = [196 * math.sqrt(rows.error[r] * (1 - rows.error[r]) / rows.images[r]) for r in roles]
        # The family's hue (plain: oranges, ResNet: blues), a shade per role.
        shades = sns.color_palette("Blues" if model_info(rows.net["built"]).residual else "Oranges", len(ROLES) + 1)[1:]
        bars.bar([SHORT[r] for r in roles], errors, yerr=spread, color=[shades[ROLES.index(r)] for r in roles],
                 capsize=4, edgecolor="0.2")
        bars.tick_params(axis="x", labelsize=8)
        for x, e in enumerate(errors):
            bars.text(x, e, f"{e:.1f}%", ha="center", va="bottom", fontsize=8)
        deep, shallow = rows.net["built"], rows.net["shallow"]
        bars.set(ylabel=f"{split} error (%)", title=f"{label(shallow)} → {label(deep)}: {split} error")
        built = 100 * rows.error["built"]
        for arm, style in (("trained_on", "-"), ("frozen_bn", "--")):
            arm_curve = curves[(curves.construction == name) & (curves.arm == arm)].dropna(subset=["test_error"]) \
                if len(curves) else pd.DataFrame()
            if len(arm_curve):
                x = [0, *arm_curve.iteration]
                lines.plot(x, [built, *(100 * arm_curve.test_error)], style, color=color(deep), label=ARM_NAMES[arm])
        for role, style in (("shallow", ":"), ("from scratch", "-.")):
            if role in rows.index:
                lines.axhline(100 * rows.error[role], ls=style, color=color(rows.net[role]), lw=1,
                              label=f"{role} ({label(rows.net[role])})")
        lines.set(xlabel="iterations of training on", ylabel=f"{split} error (%)",
                  title=f"{label(deep)} built, then trained on")
        lines.legend(fontsize=8)
    fig.tight_layout()
    if table[table.split == split].seen_in_training.any():
        caption = "; ".join(c for c in (caption, SEEN) if c)
    if caption:
        fig.text(0.01, -0.01, caption, fontsize=8, color="0.35", ha="left", va="top")
    return fig


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def constructed_findings(table: pd.DataFrame) -> list[Finding]:
    """Section 1's two claims on each construction: the built net is as good as the shallow one,
    and (for plain nets) SGD from scratch finds a worse deep net; for ResNets the paper expects
    the deeper net from scratch to be no worse (section 4.2)."""
    split, found = eval_split(table), []
    for name, rows in table[table.split == eval_split(table)].groupby("construction", sort=False):
        shallow, built = _error(rows, "shallow", split), _error(rows, "built", split)
        nets = rows.set_index("role").net
        pair = f"{label(nets['shallow'])} → {label(nets['built'])}"
        images = int(rows.images.iloc[0])
        found.append(Finding(
            "section 1: a deeper model built from a shallower one, 'the added layers are identity mapping, and the "
            "other layers are copied', has no higher error than the shallower one",
            f"{pair}: built {_pct(built)} vs shallow {_pct(shallow)} {split} error on {images:,} images",
            built <= shallow))
        scratch = _error(rows, "from scratch", split)
        if scratch is None:
            continue
        residual = model_info(nets["built"]).residual
        claim = ("section 1: SGD from scratch finds a deeper plain net worse than the constructed one" if not residual
                 else "section 4.2: a deeper ResNet trained from scratch is no worse than the shallower one")
        found.append(Finding(claim, f"{pair}: from scratch {_pct(scratch)} vs built {_pct(built)} {split} error",
                             scratch <= built if residual else scratch > built))
    return found


def trained_on_summary(table: pd.DataFrame, curves: pd.DataFrame) -> list[str]:
    """What SGD did to each built net: its error when built, at its worst and at the end of each arm."""
    split, lines = eval_split(table), []
    for name, rows in table[table.split == split].groupby("construction", sort=False):
        built = _error(rows, "built", split)
        for arm, words in ARM_NAMES.items():
            final = _error(rows, f"built, trained on ({arm})", split)
            if final is None:
                continue
            arm_curve = curves[(curves.construction == name) & (curves.arm == arm)].dropna(subset=["test_error"])
            worst = f", worst {_pct(arm_curve.test_error.max())} on the way" if len(arm_curve) else ""
            iterations = int(arm_curve.iteration.max()) if len(arm_curve) else 0
            lines.append(f"{name}, arm {words}: {split} error {_pct(built)} when built{worst}, {_pct(final)} after "
                         f"{iterations:,} iterations ({100 * (final - built):+.2f} points)")
    return lines
