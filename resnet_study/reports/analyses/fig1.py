"""Fig. 1: plain-20 against plain-56 on CIFAR-10, training and test error throughout training."""

from __future__ import annotations

from pathlib import Path

from ...paper import FIG1
from .. import findings, outcomes, plots, slide_figures, tables
from ..analysis import Analysis
from ..deck import FIGURE_SIZE, Deck, Slide, pct

TABLES = ("runs.csv", "curves.csv")
STRINGS = {
    "en": {
        "fig1.title.agrees": "Deeper plain nets train worse: {shallow} → {deep} training error from 20 to 56 layers",
        "fig1.title.differs": "Our plain-56 does not train worse than plain-20: {deep} vs {shallow} training error",
        "fig1.title.diverged": "Deeper plain nets train worse: plain-56 diverged at iteration {iteration}, plain-20 "
                               "trained to {shallow} error",
        "fig1.lines": ["The question: does a deeper network always learn better?",
                       "Higher training error, not only test error: this is not overfitting"],
        "claims": {"fig1": "Fig. 1: plain-56 has higher training error than plain-20"},
    },
    "ko": {
        "fig1.title.agrees": "층이 깊어질수록 plain 네트워크는 더 못 배운다: "
                             "20층 → 56층에서 학습 에러 {shallow} → {deep}",
        "fig1.title.differs": "우리 plain-56은 plain-20보다 학습이 나쁘지 않았다: 학습 에러 {deep} vs {shallow}",
        "fig1.title.diverged": "층이 깊어질수록 plain 네트워크는 더 못 배운다: plain-56은 iteration {iteration}에서 "
                               "발산, plain-20은 학습 에러 {shallow}",
        "fig1.lines": ["질문: 망이 깊어지면 항상 더 잘 배울까?",
                       "test error만이 아니라 학습 에러도 높다: 과적합이 아니다"],
        "claims": {"fig1": "그림 1: plain-56의 학습 에러가 plain-20보다 높다"},
    },
}


def found(results_dir) -> list[findings.Finding]:
    """The paper's Fig. 1 claim on a CIFAR sweep's tables."""
    runs, curves = (tables.load_table(results_dir, n, sweep=tables.CIFAR_SWEEP) for n in TABLES)
    return findings.fig1(runs, curves)


def plot(results_dir):
    runs, curves = (tables.load_table(results_dir, n, sweep=tables.CIFAR_SWEEP) for n in TABLES)
    return plots.error_curves(curves, [FIG1], ["plain nets"], split_axes=True, sweep=tables.CIFAR_SWEEP,
                              what="Fig. 1", caption=tables.caption_for(results_dir),
                              test_label=findings.eval_name(runs), runs=runs)


def page(d: Deck) -> Slide | None:
    (plain20, plain56), counts = FIG1, tables.census(d.runs)
    diverged = outcomes.diverged_all(counts, plain56)  # a result: the degradation at its strongest
    if plain20 not in d.finals.index or plain56 not in d.finals.index and not diverged:
        return d.left_out("Fig. 1", Path(d.sources.cifar) / "runs.csv (plain-20, plain-56)")
    shallow = d.finals.loc[plain20, "final_train_error"]
    deep = 0.0 if diverged else d.finals.loc[plain56, "final_train_error"]
    key = "diverged" if diverged else "agrees" if deep > shallow else "differs"
    figure = d.figure("fig1", slide_figures.curves(d.curves, [FIG1], FIGURE_SIZE))
    read = d.record("Fig. 1", d.sources.cifar, ["curves.csv", "runs.csv"], d.runs)
    notes = d.notes([("fig1", f) for f in findings.fig1(d.runs, d.curves)], d.runs, read)
    return Slide(d.t(f"fig1.title.{key}", shallow=pct(shallow), deep=pct(deep),
                     iteration=outcomes.diverged_iterations(counts, plain56)),
                 d.s["fig1.lines"] + [d.t("axes.curves", split=d.split)], figure, notes=notes)


ANALYSIS = Analysis("fig1", "Fig. 1", "cifar", TABLES, findings=found, plot=plot, notebook="fig1_cifar_20_56",
                    pages=page, order=10, strings=STRINGS)
