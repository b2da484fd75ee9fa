"""Fig. 7: the std of each layer's response; ResNets respond less than their plain twins, deeper
ResNets less still (section 4.4), on our runs and on fully trained published pairs."""

from __future__ import annotations

from pathlib import Path

from ...models import model_info
from ...paper import FIG6_RESNET, FIG7, pairs
from .. import findings, plots, slide_figures, tables
from .. import published as published_findings
from ..analysis import Analysis
from ..deck import FIGURE_SIZE, Deck, Slide
from ..findings import label

TABLES = ("runs.csv", "responses.csv")
STRINGS = {
    "en": {
        "fig7.title.agrees": "ResNets change the signal less: {resnet} below {plain} on {k} of {n} layers",
        "fig7.title.differs": "Layer responses: {resnet} below {plain} on only {k} of {n} layers",
        "fig7.lines.published": "Trained to the end by {source}",
        "fig7.title.depth": "Deeper ResNets respond less: std {a} → {b} from {d1} to {d2} layers",
        "fig7.line.twins": "{resnet} < {plain} on {k} of {n} layers",
        "fig7.line.gamma": "; {plain} BN |γ| only {g}",
        "fig7.lines.ours": ["Our own runs (published pairs not available)"],
        "claims": {"fig7_twins": "Fig. 7: ResNets have smaller responses than plain nets",
                   "fig7_depth": "Fig. 7: deeper ResNets have smaller responses"},
    },
    "ko": {
        "fig7.title.agrees": "ResNet은 신호를 덜 바꾼다: {n}개 층 중 {k}개에서 {resnet}이 {plain}보다 작다",
        "fig7.title.differs": "층 응답: {n}개 층 중 {k}개에서만 {resnet}이 {plain}보다 작다",
        "fig7.lines.published": "{source}가 끝까지 학습한 네트워크",
        "fig7.title.depth": "깊은 ResNet일수록 응답이 작다: {d1}층 → {d2}층에서 표준편차 {a} → {b}",
        "fig7.line.twins": "{resnet} 응답 < {plain}: {n}개 층 중 {k}개",
        "fig7.line.gamma": "; {plain} BN |γ|는 {g}로 감소",
        "fig7.lines.ours": ["우리가 학습한 네트워크 (공개된 쌍은 없음)"],
        "claims": {"fig7_twins": "그림 7: ResNet의 응답이 plain 네트워크보다 작다",
                   "fig7_depth": "그림 7: 깊은 ResNet일수록 응답이 작다"},
    },
}


def _read(results_dir):
    return [tables.load_table(results_dir, n, sweep=tables.CIFAR_SWEEP) for n in TABLES]


def found(results_dir) -> list[findings.Finding]:
    """Fig. 7's claims on a CIFAR sweep's ``responses.csv``."""
    runs, responses = _read(results_dir)
    return findings.fig7(responses, runs)


def plot(results_dir):
    runs, responses = _read(results_dir)
    return plots.layer_response_figure(responses, FIG7, sweep=tables.CIFAR_SWEEP,
                                       caption=tables.caption_for(results_dir))


def page(d: Deck) -> Slide | None:
    source = d.published_source("pair")
    ours = d.table("cifar", "responses.csv")
    if source is not None:
        responses = d.published_responses[d.published_responses.source == source]
        lines = [d.t("fig7.lines.published", source=source)]
        read = d.record(f"Fig. 7 ({source})", d.sources.published, ["responses.csv", "published.csv"], None)
    elif ours is not None:
        responses, lines = ours, list(d.s["fig7.lines.ours"])
        read = d.record("Fig. 7", d.sources.cifar, ["responses.csv"], d.runs)
    else:
        return d.left_out("Fig. 7", Path(d.sources.published) / "responses.csv")
    std = responses.groupby(["model", "layer"])["std"].mean()
    twins = pairs(responses.model)
    if not twins:
        return d.left_out("Fig. 7", "responses.csv (plain and ResNet of one depth)")
    resnets = [m for m in FIG6_RESNET if m in set(responses.model)]
    deepest = resnets[-1]  # with the shallowest and deepest twins: few lines to read
    shown = list(dict.fromkeys([*twins[0], *twins[-1], deepest]))
    figure = d.figure("fig7", slide_figures.responses(responses, shown, FIGURE_SIZE))
    # The appendix's "ours" column holds our runs only; the published nets' findings go to the notes.
    found_ours = findings.fig7(ours, d.runs) if ours is not None else []
    if found_ours and source is not None:
        read += ", " + d.record("Fig. 7 (ours)", d.sources.cifar, ["responses.csv"], d.runs)
    notes = d.notes(list(zip(["fig7_twins", "fig7_depth"], found_ours)), None, read)
    if source is not None and "tag" in d.published and d.published.tag.notna().all():  # evaluate --published
        notes += [f"{f.ours} ({d.s['verdict'][f.agrees]})"
                  for f in published_findings.fig7(d.published, d.published_responses)]
    mean = std.groupby(level=0).mean()
    lines += [_twins_line(d, std, twins, source), d.s["axes.responses"]]
    if len(resnets) >= 2 and mean[deepest] < mean[resnets[0]]:  # the depth claim holds: it is the title
        return Slide(d.t("fig7.title.depth", a=f"{mean[resnets[0]]:.2f}", b=f"{mean[deepest]:.2f}",
                         d1=model_info(resnets[0]).depth, d2=model_info(deepest).depth), lines, figure, notes=notes)
    plain, resnet = twins[-1]
    k, n = findings.layers_below(std, plain, resnet)
    return Slide(d.t(f"fig7.title.{'agrees' if k > n / 2 else 'differs'}", resnet=label(resnet), plain=label(plain),
                     k=k, n=n), lines, figure, notes=notes)


def _twins_line(d: Deck, std, twins: list[tuple[str, str]], source: str | None) -> str:
    """ResNet against plain at the shallowest depth, and why the deepest plain net responds little
    when its BN scales shrank (a plain net allows that: each BN undoes the scale before it)."""
    plain, resnet = twins[0]
    k, n = findings.layers_below(std, plain, resnet)
    line = d.t("fig7.line.twins", resnet=label(resnet), plain=label(plain), k=k, n=n)
    deep_plain, deep_resnet = twins[-1]
    gamma = (d.published[d.published.source == source].set_index("model").get("mean_abs_gamma")
             if source is not None and d.published is not None else None)
    k_deep, n_deep = findings.layers_below(std, deep_plain, deep_resnet)
    if gamma is not None and deep_plain in gamma.index and k_deep <= n_deep / 2:
        line += d.t("fig7.line.gamma", plain=label(deep_plain), g=f"{gamma[deep_plain]:.2f}")
    return line


ANALYSIS = Analysis("fig7", "Fig. 7", "cifar", TABLES, findings=found, plot=plot, notebook="fig7_layer_responses",
                    pages=page, order=60, beside=("published",), strings=STRINGS)
