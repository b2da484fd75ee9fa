"""Where things sit on a 16:9 slide (13.33 x 7.5 in), shared by the PPTX and the PDF so both
files show the same pages; text is wrapped here once, by an estimate of its width, for both."""

from __future__ import annotations

import unicodedata

WIDTH, HEIGHT = 13.333, 7.5  # inches
MARGIN = 0.5
TITLE = dict(x=MARGIN, y=0.3, w=WIDTH - 2 * MARGIN, h=1.2, pt=28)
TITLE_PAGE = dict(x=MARGIN + 0.3, y=1.9, w=WIDTH - 2 * MARGIN - 0.6, h=1.6, pt=36)
FIGURE = dict(x=MARGIN, y=1.6, w=12.33, h=4.45)
TABLE = dict(x=MARGIN, y=1.65, w=WIDTH - 2 * MARGIN, h=4.3, pt=18)
LINES = dict(x=MARGIN, y=6.08, w=WIDTH - 2 * MARGIN, h=1.32, pt=20)  # four lines at 18 pt fit
LINES_TITLE_PAGE = dict(x=MARGIN + 0.3, y=4.3, w=WIDTH - 2 * MARGIN - 0.6, h=3.0, pt=20)
BODY = dict(x=MARGIN, y=1.6, w=WIDTH - 2 * MARGIN, h=5.6, pt=18)
LINE_SPACING = 1.2
MIN_PT = 18  # the smallest text a box shrinks its lines to: the deck's floor for reading from the back of a room
TITLE_COLOR, TEXT_COLOR = (0x1F, 0x2A, 0x44), (0x26, 0x26, 0x26)


def text_width(text: str, pt: float) -> float:
    """Estimated width in inches of ``text`` at ``pt`` points: wide (CJK) characters one em,
    others 0.55 em (a sans-serif average)."""
    ems = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)
    return ems * pt / 72


def wrap(text: str, width: float, pt: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` inches at ``pt`` points."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and text_width(candidate, pt) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line]


def wrapped(lines: list[str], box: dict, bold: bool = False, pt: float | None = None) -> list[str]:
    width = box["w"] - 0.2 - (0.3 if bold else 0)  # inner margins; bold runs wider
    return [part for line in lines for part in wrap(line, width, pt or box["pt"])]


def text_height(count: int, pt: float) -> float:
    """Inches that ``count`` lines at ``pt`` points take, with the box's inner margins."""
    return count * pt * LINE_SPACING / 72 + 0.1


def fitted(lines: list[str], box: dict, bold: bool = False) -> tuple[list[str], float]:
    """``lines`` wrapped to ``box`` at the largest size from the box's own down to ``MIN_PT``
    at which they fit its height (a long caption gets smaller, never runs off the page), and that size."""
    pt = box["pt"]
    while pt > MIN_PT and text_height(len(wrapped(lines, box, bold, pt)), pt) > box["h"]:
        pt -= 1
    return wrapped(lines, box, bold, pt), pt


def column_widths(rows: list[list[str]], width: float, pt: float = 18) -> list[float]:
    """Table columns as wide as their longest cell, none over 45% of ``width``; columns that
    must give way shrink in proportion (never below their longest word), then all fill ``width``."""
    columns = list(zip(*rows))
    natural = [min(max(text_width(v, pt) for v in col) + 0.35, 0.45 * width) for col in columns]
    least = [max(text_width(w, pt) for v in col for w in v.split(" ")) + 0.35 for col in columns]
    if sum(natural) > width:
        spare = sum(n - m for n, m in zip(natural, least))
        excess = sum(natural) - width
        natural = [n - (n - m) * min(1.0, excess / spare) for n, m in zip(natural, least)]
    return [n * width / sum(natural) for n in natural]


def table_cells(rows: list[list[str]], width: float, pt: float) -> tuple[list[list[str]], list[float], list[float]]:
    """Cells wrapped to their column (no column wider than half the table), the columns' widths
    and the rows' heights, in inches."""
    cells = [[str(value) for value in row] for row in rows]
    widths = column_widths(cells, width, pt)
    cells = [["\n".join(wrap(value, w - 0.2, pt)) for value, w in zip(row, widths)] for row in cells]
    heights = [max(value.count("\n") + 1 for value in row) * pt * LINE_SPACING / 72 + 0.2 for row in cells]
    return cells, widths, heights
