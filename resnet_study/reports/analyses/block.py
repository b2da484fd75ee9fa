"""Fig. 2: the residual block, drawn (no tables): the deck's page that says what a shortcut is."""

from __future__ import annotations

from .. import slide_figures
from ..analysis import Analysis
from ..deck import FIGURE_SIZE, Deck, Slide

STRINGS = {
    "en": {
        "block.title": "Residual learning: the layers learn F(x), the block outputs F(x) + x",
        "block.lines": ["If the identity mapping is best, F(x) = 0 is easy to learn",
                        "So a deeper ResNet can always copy a shallower one",
                        "A plain net has the same layers without the shortcut x"],
    },
    "ko": {
        "block.title": "잔차 학습: 층은 잔차 함수 F(x)를 배우고, 블록은 F(x) + x를 출력한다",
        "block.lines": ["identity mapping이 최선이면 F(x) = 0만 배우면 된다",
                        "그래서 깊은 ResNet은 언제든 얕은 네트워크를 흉내 낼 수 있다",
                        "plain 네트워크는 shortcut x만 없는 같은 층으로 되어 있다"],
    },
}


def page(d: Deck) -> Slide:
    return Slide(d.t("block.title"), d.s["block.lines"], d.figure("block", slide_figures.block(FIGURE_SIZE)))


ANALYSIS = Analysis("block", "Fig. 2", pages=page, order=20, strings=STRINGS)
