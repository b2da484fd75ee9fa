"""Why shortcuts help: Degeneracy audit (Orhan & Pitkow) on the published twins (``results/why/degeneracy``,
made by ``resnet-study degeneracy``); its finding, figure and words live in ``reports/degeneracy.py``.
Deck page: ``page`` (``reports/why_page.py``), its words in ``STRINGS``."""

from __future__ import annotations

from .. import degeneracy, why_page
from ..analysis import Analysis, Folder
from ..deck import Deck, Slide
from ..findings import Finding

FOLDERS = [Folder("why_degeneracy", "results/why/degeneracy", "resnet-study degeneracy's --out folder",
                  degeneracy.COMMAND)]

CLAIM = ("Orhan & Pitkow 2018: plain nets sit near degenerate points, e.g. more dead units than with"
         " skip connections")

STRINGS = {
    "en": {
        "why_degeneracy.lang": "en",
        "why_degeneracy.name": "Degeneracy audit (Orhan & Pitkow)",
        "why_degeneracy.ours":
            "Ours ({verdict}): plain-{d} {p_dead}% dead vs {r_dead}%; its γ collapsed, units alive",
        "why_degeneracy.data":
            "wooyeolBaek's twins; {images} of their training images (shared CIFAR-10 subset)",
        "claims": {"why_degeneracy":
                   "Orhan & Pitkow 2018: plain nets sit near degenerate points (dead units)"},
    },
    "ko": {
        "why_degeneracy.lang": "ko",
        "why_degeneracy.name": "특이점 점검 (degeneracy audit, Orhan & Pitkow)",
        "why_degeneracy.ours":
            "우리 ({verdict}): 죽은 채널 plain-{d} {p_dead}% vs ResNet-{d} {r_dead}%; γ는 붕괴, 유닛은 살아 있음",
        "why_degeneracy.data":
            "wooyeolBaek의 학습된 twin, 그 학습 이미지 {images}장 (공유 CIFAR-10 부분집합)",
        "claims": {"why_degeneracy":
                   "Orhan & Pitkow 2018: plain은 특이점(degenerate point) 가까이, 예: 죽은 유닛"},
    },
}


def found(results_dir) -> list[Finding]:
    table = degeneracy.load(results_dir)
    n = degeneracy.finding(table)
    said = degeneracy.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    n["p_dead"] > n["r_dead"],
                    why="" if n["p_dead"] > n["r_dead"] else "plain-56's BN scale collapsed; its units are not dead")]


def plot(results_dir):
    return degeneracy.figure(degeneracy.load(results_dir))


def page(d: Deck) -> Slide | None:
    return why_page.page(d, "why_degeneracy", degeneracy, found, degeneracy.figure)


ANALYSIS = Analysis("why_degeneracy", "Degeneracy audit (Orhan & Pitkow)", "why_degeneracy", (degeneracy.TABLE,),
                    findings=found, plot=plot, pages=page, strings=STRINGS,
                    notebook="why_degeneracy", section="why", order=20)
