"""Fig. 4 / Table 2: plain and residual nets of 18 and 34 layers on an ImageNet subset (section 4.1)."""

from __future__ import annotations

from pathlib import Path

from ...paper import FIG4_PLAIN, FIG4_RESNET
from .. import findings, plots, slide_figures, tables
from ..analysis import Analysis
from ..deck import FIGURE_SIZE, Deck, Slide, pct

TABLES = ("runs.csv", "curves.csv")
CLAIMS = ["fig4_plain_train", "fig4_plain_test", "fig4_resnet_train", "fig4_resnet_test"]  # findings.fig4's order
STRINGS = {
    "en": {
        "fig4.title.agrees": "On an ImageNet subset too, plain-34 trains worse than plain-18: {deep} vs {shallow}",
        "fig4.title.differs": "On an ImageNet subset, plain-34 vs plain-18: {deep} vs {shallow} training error",
        "fig4.lines": ["Left: plain-18 and plain-34, right: ResNet-18 and ResNet-34"],
        "claims": {
            "fig4_plain_train": "Fig. 4: plain-34 has higher training error than plain-18",
            "fig4_plain_test": "Table 2: plain-34 has higher error than plain-18",
            "fig4_resnet_train": "Fig. 4: ResNet-34 has lower training error than ResNet-18",
            "fig4_resnet_test": "Table 2: ResNet-34 has lower error than ResNet-18",
        },
    },
    "ko": {
        "fig4.title.agrees": "ImageNet subset에서도 plain-34가 plain-18보다 못 배운다: {deep} vs {shallow}",
        "fig4.title.differs": "ImageNet subset에서 plain-34 vs plain-18: 학습 에러 {deep} vs {shallow}",
        "fig4.lines": ["왼쪽: plain-18과 plain-34, 오른쪽: ResNet-18과 ResNet-34"],
        "claims": {
            "fig4_plain_train": "그림 4: plain-34의 학습 에러가 plain-18보다 높다",
            "fig4_plain_test": "표 2: plain-34의 에러가 plain-18보다 높다",
            "fig4_resnet_train": "그림 4: ResNet-34의 학습 에러가 ResNet-18보다 낮다",
            "fig4_resnet_test": "표 2: ResNet-34의 에러가 ResNet-18보다 낮다",
        },
    },
}


def found(results_dir) -> list[findings.Finding]:
    """Fig. 4 / Table 2's claims on an ImageNet sweep's ``runs.csv``."""
    return findings.fig4(tables.load_table(results_dir, "runs.csv", sweep=tables.IMAGENET_SWEEP))


def plot(results_dir):
    runs, curves = (tables.load_table(results_dir, n, sweep=tables.IMAGENET_SWEEP) for n in TABLES)
    return plots.error_curves(curves, [FIG4_PLAIN, FIG4_RESNET], ["plain", "ResNet"], sweep=tables.IMAGENET_SWEEP,
                              what="Fig. 4", caption=tables.caption_for(results_dir), x="epoch",
                              test_label=findings.eval_name(runs), runs=runs)


def page(d: Deck) -> Slide | None:
    runs, curves = d.table("imagenet", "runs.csv"), d.table("imagenet", "curves.csv")
    finals = tables.finals(runs) if runs is not None else None
    if finals is None or curves is None or not set(FIG4_PLAIN) <= set(finals.index):
        return d.left_out("Fig. 4", Path(d.sources.imagenet) / "runs.csv, curves.csv")
    shallow, deep = finals.loc[FIG4_PLAIN, "final_train_error"]
    figure = d.figure("fig4", slide_figures.curves(curves, [FIG4_PLAIN, FIG4_RESNET], FIGURE_SIZE))
    read = d.record("Fig. 4", d.sources.imagenet, ["curves.csv", "runs.csv"], runs)
    notes = d.notes(list(zip(CLAIMS, findings.fig4(runs))), runs, read)
    split = d.s["splits"][findings.eval_name(runs)]
    return Slide(d.t(f"fig4.title.{'agrees' if deep > shallow else 'differs'}", shallow=pct(shallow), deep=pct(deep)),
                 d.s["fig4.lines"] + [d.t("axes.curves", split=split), d.data_line(runs)], figure, notes=notes)


ANALYSIS = Analysis("fig4", "Fig. 4", "imagenet", TABLES, findings=found, plot=plot, notebook="fig4_imagenet_18_34",
                    pages=page, order=50, strings=STRINGS)
