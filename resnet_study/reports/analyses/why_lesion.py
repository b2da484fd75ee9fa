"""Why shortcuts help: Lesions (Veit et al.) on the published twins (``results/why/lesion``,
made by ``resnet-study lesion``); its finding, figure and words live in ``reports/lesion.py``.
Deck page: ``page`` (``reports/why_page.py``), its words in ``STRINGS``."""

from __future__ import annotations

from .. import lesion, why_page
from ..analysis import Analysis, Folder
from ..deck import Deck, Slide
from ..findings import Finding

FOLDERS = [Folder("why_lesion", "results/why/lesion", "resnet-study lesion's --out folder",
                  lesion.COMMAND)]

CLAIM = ("Veit et al. 2016, sec. 4: deleting one block of a trained ResNet barely moves its error; a"
         " plain net falls to chance")

STRINGS = {
    "en": {
        "why_lesion.lang": "en",
        "why_lesion.name": "Lesions (Veit et al.)",
        "why_lesion.ours":
            "Ours ({verdict}): ResNet-{d} +{r_in} points at most off its {ds} downsampling blocks",
        "why_lesion.data":
            "wooyeolBaek's twins; {images} of their training images (shared CIFAR-10 subset)",
        "claims": {"why_lesion":
                   "Veit 2016: drop one block: ResNet barely moves, plain falls to chance"},
    },
    "ko": {
        "why_lesion.lang": "ko",
        "why_lesion.name": "블록 제거 실험 (lesion study, Veit et al.)",
        "why_lesion.ours":
            "우리 ({verdict}): 다운샘플링 블록 {ds}개 밖 ResNet-{d} 최대 +{r_in}포인트",
        "why_lesion.data":
            "wooyeolBaek의 학습된 twin, 그 학습 이미지 {images}장 (공유 CIFAR-10 부분집합)",
        "claims": {"why_lesion":
                   "Veit 2016: 블록 하나를 제거해도 ResNet 에러는 거의 그대로, plain은 무작위 수준"},
    },
}


def found(results_dir) -> list[Finding]:
    table = lesion.load(results_dir)
    n = lesion.finding(table)
    said = lesion.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    bool(n['r_max'] < n['p_min']))]


def plot(results_dir):
    return lesion.figure(lesion.load(results_dir))


def page(d: Deck) -> Slide | None:
    return why_page.page(d, "why_lesion", lesion, found, lesion.figure)


ANALYSIS = Analysis("why_lesion", "Lesions (Veit et al.)", "why_lesion", (lesion.TABLE,),
                    findings=found, plot=plot, pages=page, strings=STRINGS,
                    notebook="why_lesion", section="why", order=10)
