"""Why shortcuts help: Shattered gradients (Balduzzi et al.) on the published twins (``results/why/shatter``,
made by ``resnet-study shatter``); its finding, figure and words live in ``reports/shatter.py``.
Deck page: ``page`` (``reports/why_page.py``), its words in ``STRINGS``."""

from __future__ import annotations

from .. import shatter, why_page
from ..analysis import Analysis, Folder
from ..deck import Deck, Slide
from ..findings import Finding

FOLDERS = [Folder("why_shatter", "results/why/shatter", "resnet-study shatter's --out folder",
                  shatter.COMMAND)]

CLAIM = ("Balduzzi et al. 2017: at init, neighbouring gradients of plain nets decorrelate as 2^-L, of"
         " ResNets as 1/sqrt(L)")

STRINGS = {
    "en": {
        "why_shatter.lang": "en",
        "why_shatter.name": "Shattered gradients (Balduzzi et al.)",
        "why_shatter.ours":
            "Ours ({verdict} in shape, but slower): plain 2^({p_slope}·L), ResNet L^{r_exp}",
        "why_shatter.data":
            "Trained: wooyeolBaek's twins, akamaster's ResNets, on their own training images (CIFAR-10 subset)",
        "claims": {"why_shatter":
                   "Balduzzi 2017: at init, gradient correlation 2^-L (plain), 1/√L (ResNet)"},
    },
    "ko": {
        "why_shatter.lang": "ko",
        "why_shatter.name": "shattered gradients (산산조각 난 기울기, Balduzzi et al.)",
        "why_shatter.ours":
            "우리 (모양은 {verdict}, 더 느림): plain 2^({p_slope}·L), ResNet L^{r_exp}",
        "why_shatter.data":
            "학습됨: wooyeolBaek의 twin, akamaster의 ResNet, 그 학습 이미지 (공유 CIFAR-10 부분집합)",
        "claims": {"why_shatter":
                   "Balduzzi 2017: 초기화 상태의 이웃 기울기 상관 2^-L (plain), 1/√L (ResNet)"},
    },
}


def found(results_dir) -> list[Finding]:
    table = shatter.load(results_dir)
    n = shatter.finding(table)
    said = shatter.words(n)
    return [Finding(CLAIM, said["title"] + "; " + "; ".join(said["lines"][1:]),
                    bool(n["plain_log2_per_layer"] < 0 and n["resnet_exponent"] > n["plain_log2_per_layer"]))]


def plot(results_dir):
    return shatter.figure(shatter.load(results_dir))


def page(d: Deck) -> Slide | None:
    return why_page.page(d, "why_shatter", shatter, found, shatter.figure)


ANALYSIS = Analysis("why_shatter", "Shattered gradients (Balduzzi et al.)", "why_shatter", (shatter.TABLE,),
                    findings=found, plot=plot, pages=page, strings=STRINGS,
                    notebook="why_shatter", section="why", order=30)
