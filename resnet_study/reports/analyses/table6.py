"""Table 6: the CIFAR-10 error of ResNets of 20-1202 layers, ours beside the paper's, a published
reproduction's and published nets' (section 4.2)."""

from __future__ import annotations

from ...models import model_info
from ...paper import FIG6_RESNET, TABLE6
from .. import findings, outcomes, plots, tables
from ..analysis import Analysis
from ..deck import Deck, Slide, pct
from ..findings import label

STRINGS = {
    "en": {
        "table6.title.published": "Fully trained, deeper ResNets are better: {a} → {b} test error from {d1} to {d2} "
                                  "layers",
        "table6.title.published_differs": "Fully trained ResNets: {a} → {b} test error from {d1} to {d2} layers",
        "table6.title.ours": "Deeper ResNets in our short runs: {a} → {b} {split} error from {d1} to {d2} layers",
        "table6.line.source": "Published: {source}, trained to the end",
        "table6.line.seen": "Our subset's images are training images of the published nets",
        "table6.columns": ["net", "parameters", "paper: test (%)", "published: stated test (%)",
                           "published: measured by us (%)", "ours: {split} (%)"],
        "table6.unit": "error in %",
        "table6.diverged": "diverged", "table6.of_runs": "{ours} ({k} of {n} runs)",
    },
    "ko": {
        "table6.title.published": "끝까지 학습하면 깊은 ResNet이 더 좋다: {d1}층 → {d2}층에서 test error {a} → {b}",
        "table6.title.published_differs": "끝까지 학습한 ResNet: {d1}층 → {d2}층에서 test error {a} → {b}",
        "table6.title.ours": "짧게 학습한 우리 ResNet: {d1}층 → {d2}층에서 {split} 에러 {a} → {b}",
        "table6.line.source": "공개: {source}가 끝까지 학습한 네트워크",
        "table6.line.seen": "우리 subset의 이미지는 공개된 네트워크의 학습 이미지이다",
        "table6.columns": ["네트워크", "파라미터 수", "논문: test (%)", "공개: 저자 발표 test (%)",
                           "공개: 우리가 측정 (%)", "우리: {split} (%)"],
        "table6.unit": "에러 (%)",
        "table6.diverged": "발산", "table6.of_runs": "{ours} ({n}개 중 {k}개 run)",
    },
}


def found(results_dir) -> list[findings.Finding]:
    """Table 6's claim on a CIFAR sweep's ``runs.csv``."""
    return findings.table6(tables.load_table(results_dir, "runs.csv", sweep=tables.CIFAR_SWEEP))


def frame(results_dir):
    """The table the notebook shows (``plots.table6_frame``), without published nets."""
    runs = tables.load_table(results_dir, "runs.csv", sweep=tables.CIFAR_SWEEP)
    return plots.table6_frame(runs, split=findings.eval_name(runs))


def _row(d: Deck, model: str, parameters: float, paper: float, published) -> list[str]:
    ours = _ours(d, model)
    row = [label(model), plots.millions(parameters), f"{paper:.2f}"]
    if published is not None:
        known = model in published.index
        stated = published.stated_error.get(model) if "stated_error" in published else None
        row += [f"{100 * stated:.2f}" if known and stated == stated and stated is not None else "—",
                f"{100 * published.error[model]:.1f} ({published.split[model]})" if known else "—"]
    return row + [ours]


def _ours(d: Deck, model: str) -> str:
    """'27.1', '27.1 (2 of 3 runs)', 'diverged' (a result, not a gap) or '—'."""
    return outcomes.error_cell(d.runs, model, d.finals, d.s["table6.diverged"], d.s["table6.of_runs"])


def page(d: Deck) -> Slide:
    source = d.published_source("resnet")
    published = d.published[d.published.source == source].set_index("model") if source else None
    header = [c.format(split=d.split) for c in d.s["table6.columns"]]
    if source is None:
        header = header[:3] + header[5:]
    rows = [_row(d, model, parameters, paper, published)
            for model, parameters, paper in zip(TABLE6.model, TABLE6.parameters, TABLE6.paper_error)
            if _ours(d, model) != "—" or (published is not None and model in published.index)]
    stated = (published.stated_error.dropna() if published is not None and "stated_error" in published
              else None)
    stated = stated[[m for m in FIG6_RESNET if m in stated.index]] if stated is not None else None
    if stated is not None and len(stated) >= 2:
        key, ends = ("published" if stated.iloc[-1] < stated.iloc[0] else "published_differs"), stated.iloc[[0, -1]]
    else:
        ours = d.finals.final_test_error[[m for m in FIG6_RESNET if m in d.finals.index]]
        key, ends = "ours", ours.iloc[[0, -1]]
    depths = [model_info(m).depth for m in ends.index]
    tables_read = d.record("Table 6", d.sources.cifar, ["runs.csv"], d.runs)
    if source is not None:
        tables_read += ", " + d.record(f"Table 6 ({source})", d.sources.published, ["published.csv"], None)
    notes = d.notes([], d.runs, tables_read) + [d.s["table6.unit"]]
    lines = ([d.t("table6.line.source", source=source), d.s["table6.line.seen"]] if source is not None else []) \
        + [d.data_line(d.runs)]
    return Slide(d.t(f"table6.title.{key}", a=pct(ends.iloc[0]), b=pct(ends.iloc[-1]), d1=depths[0], d2=depths[1],
                     split=d.split), lines, table=[header] + rows, notes=notes)


ANALYSIS = Analysis("table6", "Table 6", "cifar", ("runs.csv",), findings=found, plot=frame, notebook="table6",
                    pages=page, order=40, beside=("published",), strings=STRINGS)
