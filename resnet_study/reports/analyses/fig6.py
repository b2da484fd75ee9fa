"""Fig. 6: plain nets and ResNets of 20-110 layers on CIFAR-10; deeper plain nets train worse,
deeper ResNets better, and at equal depth the ResNet wins (section 4.2)."""

from __future__ import annotations

from pathlib import Path

from ...models import model_info
from ...paper import FIG6_DEEPEST, FIG6_PLAIN, FIG6_RESNET, pairs
from .. import findings, outcomes, plots, slide_figures, tables
from ..analysis import Analysis
from ..deck import FIGURE_SIZE, Deck, Slide, pct
from ..findings import label

TABLES = ("runs.csv", "curves.csv")
CLAIMS = ["plain_train", "resnet_train", "resnet_test", "pairs"]  # findings.degradation's, in its order
STRINGS = {
    "en": {
        "fig6.title.agrees": "Shortcuts remove the degradation: {resnet} {r} vs {plain} {p} training error",
        "fig6.title.differs": "Shortcuts at {depth} layers: {resnet} {r} vs {plain} {p} training error",
        "fig6.title.diverged": "Shortcuts remove the degradation: {resnet} trains to {r} error, {plain} diverged "
                               "at iteration {iteration}",
        "fig6.lines": ["Left: plain nets, right: ResNets: same layers, same parameters"],
        "claims": {
            "plain_train": "Fig. 6: deeper plain nets have higher training error",
            "resnet_train": "Fig. 6: deeper ResNets have lower training error",
            "resnet_test": "Fig. 6: deeper ResNets have lower test error",
            "pairs": "Fig. 6: at equal depth the ResNet trains to lower error",
        },
    },
    "ko": {
        "fig6.title.agrees": "shortcut이 성능 저하 문제를 없앤다: 학습 에러 {resnet} {r} vs {plain} {p}",
        "fig6.title.differs": "{depth}층에서의 shortcut: 학습 에러 {resnet} {r} vs {plain} {p}",
        "fig6.title.diverged": "shortcut이 성능 저하 문제를 없앤다: {resnet}은 학습 에러 {r}, {plain}은 iteration "
                               "{iteration}에서 발산",
        "fig6.lines": ["왼쪽: plain 네트워크, 오른쪽: ResNet (같은 층, 같은 파라미터 수)"],
        "claims": {
            "plain_train": "그림 6: 깊은 plain 네트워크일수록 학습 에러가 높다",
            "resnet_train": "그림 6: 깊은 ResNet일수록 학습 에러가 낮다",
            "resnet_test": "그림 6: 깊은 ResNet일수록 test error가 낮다",
            "pairs": "그림 6: 같은 깊이에서 ResNet의 학습 에러가 더 낮다",
        },
    },
}


def found(results_dir) -> list[findings.Finding]:
    """Fig. 6's claims on a CIFAR sweep's tables."""
    return findings.degradation(tables.load_table(results_dir, "runs.csv", sweep=tables.CIFAR_SWEEP),
                                FIG6_PLAIN, FIG6_RESNET)


def plot(results_dir):
    runs, curves = (tables.load_table(results_dir, n, sweep=tables.CIFAR_SWEEP) for n in TABLES)
    return plots.error_curves(curves, [FIG6_PLAIN, FIG6_RESNET, FIG6_DEEPEST],
                              ["plain nets", "ResNets", "ResNet-110 / 1202"], sweep=tables.CIFAR_SWEEP,
                              what="Fig. 6", caption=tables.caption_for(results_dir),
                              test_label=findings.eval_name(runs), runs=runs)


def page(d: Deck) -> Slide | None:
    counts = tables.census(d.runs)  # a plain net that diverged beside a trained ResNet is the finding itself
    ended = [*d.finals.index, *(m for m in FIG6_PLAIN if outcomes.diverged_all(counts, m))]
    twins = [(p, r) for p, r in pairs(ended, grid=list(zip(FIG6_PLAIN, FIG6_RESNET))) if r in d.finals.index]
    if not twins:
        return d.left_out("Fig. 6", Path(d.sources.cifar) / "runs.csv (plain and ResNet of one depth)")
    plain, resnet = twins[-1]
    r = d.finals.loc[resnet, "final_train_error"]
    p = d.finals.loc[plain, "final_train_error"] if plain in d.finals.index else float("inf")
    figure = d.figure("fig6", slide_figures.curves(d.curves, [FIG6_PLAIN, FIG6_RESNET], FIGURE_SIZE))
    read = d.record("Fig. 6", d.sources.cifar, ["curves.csv", "runs.csv"], d.runs)
    notes = d.notes(list(zip(CLAIMS, findings.degradation(d.runs, FIG6_PLAIN, FIG6_RESNET))), d.runs, read)
    values = dict(plain=label(plain), resnet=label(resnet), p=pct(p) if p < float("inf") else "", r=pct(r),
                  depth=model_info(plain).depth, iteration=outcomes.diverged_iterations(counts, plain))
    key = "diverged" if p == float("inf") else "agrees" if r < p else "differs"
    return Slide(d.t(f"fig6.title.{key}", **values),
                 d.s["fig6.lines"] + [d.t("axes.curves", split=d.split), d.data_line(d.runs)], figure, notes=notes)


ANALYSIS = Analysis("fig6", "Fig. 6", "cifar", TABLES, findings=found, plot=plot, notebook="fig6_cifar_sweep",
                    pages=page, order=30, strings=STRINGS)
