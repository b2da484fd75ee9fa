"""Why shortcuts help: Loss landscape (Li et al.) on the published twins (``results/why/landscape``,
made by ``resnet-study landscape``); its finding, figure and words live in ``reports/landscape.py``.
Deck page: ``page`` (``reports/why_page.py``), its words in ``STRINGS``."""

from __future__ import annotations

from matplotlib.ticker import MaxNLocator

from .. import landscape, why_page
from ..analysis import Analysis, Folder
from ..deck import Deck, Slide
from ..findings import Finding

FOLDERS = [Folder("why_landscape", "results/why/landscape", "resnet-study landscape's --out folder",
                  landscape.COMMAND)]

CLAIM = ("Li et al. 2018, Fig. 5: ResNet-56's loss is nearly convex around its minimum, plain-56's is"
         " chaotic")

STRINGS = {
    "en": {
        "why_landscape.lang": "en",
        "why_landscape.name": "Loss landscape (Li et al.)",
        "why_landscape.ours":
            "Ours ({verdict}): {r_nc}% vs {p_nc}% non-convex in the central quarter",
        "why_landscape.data":
            "wooyeolBaek's twins; {images} of their training images (shared CIFAR-10 subset)",
        "claims": {"why_landscape":
                   "Li 2018, Fig. 5: ResNet-56 near-convex at its minimum, plain-56 chaotic"},
    },
    "ko": {
        "why_landscape.lang": "ko",
        "why_landscape.name": "손실 지형 (loss landscape, Li et al.)",
        "why_landscape.ours":
            "우리 ({verdict}): 중앙 1/4의 비볼록 비율 ResNet-{d} {r_nc}% vs plain-{d} {p_nc}%",
        "why_landscape.data":
            "wooyeolBaek의 학습된 twin, 그 학습 이미지 {images}장의 손실 (공유 CIFAR-10 부분집합)",
        "claims": {"why_landscape":
                   "Li 2018 그림 5: ResNet-56은 최소점 근처 거의 볼록, plain-56은 혼란스러움(chaotic)"},
    },
}


def found(results_dir) -> list[Finding]:
    table = landscape.load(results_dir)
    n = landscape.finding(table)
    said = landscape.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    bool(float(n['r_nc']) < float(n['p_nc'])))]


def plot(results_dir):
    return landscape.contours(landscape.load(results_dir))


def _draw(table, lang: str):
    """The deck's figure: the 56-layer twins' contours only (one row fits the slide); its caveat goes to
    the notes (it would sit on the axes' labels), and five ticks an axis."""
    fig = landscape.contours(table[table.depth == 56], lang)
    for text in list(fig.texts):
        text.remove()
    for ax in fig.axes[:2]:
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
    return fig


def page(d: Deck) -> Slide | None:
    return why_page.page(d, "why_landscape", landscape, found, _draw)


ANALYSIS = Analysis("why_landscape", "Loss landscape (Li et al.)", "why_landscape", (landscape.TABLE,),
                    findings=found, plot=plot, pages=page, strings=STRINGS,
                    notebook="why_landscape", section="why", order=40)
