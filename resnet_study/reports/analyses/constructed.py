"""Section 1's constructed solution: a deeper net built from a trained shallower one (added layers
identity, others copied), beside the deeper net SGD finds from scratch."""

from __future__ import annotations

from ...models import model_info
from .. import constructed, slide_figures
from ..analysis import Analysis
from ..deck import FIGURE_SIZE, Deck, Slide, pct
from ..findings import label

STRINGS = {
    "en": {
        "constructed.title": "The constructed solution: a deeper net built from a shallower one",
        "constructed.lines": ["Added layers set to identity: the shallow net's function"],
        "constructed.title.agrees": "A {deep} as good as {shallow} exists: built by hand {built}, SGD from scratch "
                                    "{scratch}",
        "constructed.title.differs": "Built by hand, {deep} errs {built}; SGD from scratch {scratch}",
        "constructed.arms": "SGD from it: (a) all BN learns, (b) added BN frozen",
        "constructed.seen": "Subset images: training images of these published nets",
    },
    "ko": {
        "constructed.title": "구성된 해: 얕은 네트워크로 만든 깊은 네트워크",
        "constructed.lines": ["추가한 층은 identity mapping: 얕은 네트워크와 같은 함수"],
        "constructed.title.agrees": "{shallow}만큼 좋은 {deep}은 존재한다: 직접 구성 {built}, SGD로 처음부터 {scratch}",
        "constructed.title.differs": "직접 구성한 {deep}의 오류 {built}, SGD로 처음부터 {scratch}",
        "constructed.arms": "이어서 SGD: (a) 모든 BN 학습, (b) 추가한 BN 고정",
        "constructed.seen": "부분집합 이미지: 공개 네트워크의 학습 이미지",
    },
}


def found(results_dir):
    """Section 1's claims on every construction under ``results_dir``."""
    return constructed.constructed_findings(constructed.load_constructions(results_dir)[0])


def plot(results_dir):
    return constructed.constructed_figure(*constructed.load_constructions(results_dir))


def page(d: Deck) -> Slide | None:
    """The plain construction's errors, built by hand against SGD's."""
    if d.constructed is None:
        return d.left_out(d.s["constructed.title"], d.sources.constructed)
    table = d.constructed
    names = list(dict.fromkeys(table.construction))
    plain = [c for c in names if not model_info(table[table.construction == c].net.iloc[0]).residual]
    construction, split = (plain or names)[0], constructed.eval_split(table)
    rows = table[(table.construction == construction) & (table.split == split)].set_index("role")
    built, scratch = rows.error.get("built"), rows.error.get("from scratch")
    read = d.record(d.s["constructed.title"], d.sources.constructed, [f"{construction}/construct.csv"], None)
    figure = d.figure("constructed", slide_figures.constructed(table, construction, split, FIGURE_SIZE))
    deep, shallow = label(rows.net["built"]), label(rows.net["shallow"])
    title = (d.t("constructed.title.agrees" if built <= scratch else "constructed.title.differs", deep=deep,
                 shallow=shallow, built=pct(built), scratch=pct(scratch)) if scratch is not None
             else d.s["constructed.title"])
    return Slide(title, d.s["constructed.lines"] + [d.s["constructed.arms"], d.s["constructed.seen"]], figure,
                 notes=d.notes([], None, read))


ANALYSIS = Analysis("constructed", "the constructed solution", "constructed", ("*/construct.csv",),
                    findings=found, plot=plot, notebook="constructed_solution", pages=page, order=70,
                    strings=STRINGS)
