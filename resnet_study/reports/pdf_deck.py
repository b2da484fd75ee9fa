"""The deck as a PDF with the same pages as the PPTX, drawn by matplotlib (no office suite
needed). Korean pages need a font with Hangul: ``hangul_font`` finds one or returns None."""

from __future__ import annotations

import subprocess
from pathlib import Path

import matplotlib
import matplotlib.image as mpimg
from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..io import atomic_path
from . import layout
from .deck import Slide
from .plots import theme

HANGUL_FAMILIES = ["Noto Sans CJK KR", "Noto Sans CJK JP", "Noto Sans KR", "NanumGothic", "Malgun Gothic",
                   "Apple SD Gothic Neo", "Noto Serif CJK KR", "UnDotum"]
FONT_NOTES: list[str] = []  # what the last ``hangul_font`` did to matplotlib's font cache, for the command to say


def hangul_font() -> str | None:
    """A font family with Hangul that matplotlib can use, or None: fontconfig's Korean fonts
    (``fc-list :lang=ko``) first, then well-known names among matplotlib's fonts. When none is
    known, matplotlib's font list is rebuilt from the system's fonts first (its cache predates a
    font installed after matplotlib's first use); ``FONT_NOTES`` then names the cache."""
    try:
        import koreanize_matplotlib  # noqa: F401  (registers NanumGothic with matplotlib when installed)
    except ImportError:
        pass
    FONT_NOTES.clear()
    if (found := _known_hangul_font()) is not None:
        return found
    cache, error = _rebuild_font_list()
    if (found := _known_hangul_font()) is not None:
        FONT_NOTES.append(f"matplotlib's font cache {cache} predated the font {found}; " + (
            "rebuilt it" if error is None else f"it cannot be rewritten ({error}): delete it to stop this search"))
    else:
        FONT_NOTES.append(f"matplotlib's font list ({cache}) was rebuilt from the system's fonts and has none with "
                          f"Hangul, so the cache is not the cause")
    return found


def _rebuild_font_list() -> tuple[Path, str | None]:
    """Add the system's fonts that matplotlib's list lacks (as a fresh ``FontManager`` would find
    them) and rewrite its cache file; returns the cache's path and why it could not be written."""
    cache = Path(matplotlib.get_cachedir(), f"fontlist-v{font_manager.FontManager.__version__}.json")
    getattr(font_manager._get_fontconfig_fonts, "cache_clear", lambda: None)()  # fc-list's answer, read afresh
    manager = font_manager.fontManager
    known = {f.fname for f in manager.ttflist}
    added = False
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                manager.addfont(path)
                added = True
            except (OSError, RuntimeError, ValueError):  # a font FreeType cannot read: matplotlib skips it too
                continue
    error = None
    if added:
        try:
            font_manager.json_dump(manager, cache)
        except OSError as err:
            error = err.strerror or type(err).__name__
    return cache, error


def _known_hangul_font() -> str | None:
    known = {f.name for f in font_manager.fontManager.ttflist}
    try:
        listed = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        listed = ""
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    for name in HANGUL_FAMILIES + sorted(families):
        if name in known and (name in families or not families):
            return name
    return None


def _rgb(color) -> tuple:
    return tuple(c / 255 for c in color)


def _text(fig, box: dict, lines: list[str], *, bold: bool = False, color=layout.TEXT_COLOR) -> None:
    x, y = (box["x"] + 0.1) / layout.WIDTH, 1 - (box["y"] + 0.05) / layout.HEIGHT
    lines, pt = layout.fitted(lines, box, bold)
    fig.text(x, y, "\n".join(lines), fontsize=pt, weight="bold" if bold else "normal", va="top", ha="left",
             linespacing=layout.LINE_SPACING, color=_rgb(color))


def _axes(fig, box: dict, height: float | None = None):
    h = box["h"] if height is None else height
    return fig.add_axes([box["x"] / layout.WIDTH, 1 - (box["y"] + h) / layout.HEIGHT, box["w"] / layout.WIDTH,
                         h / layout.HEIGHT])


def _table(fig, rows: list[list[str]]) -> None:
    box = layout.TABLE
    cells, widths, heights = layout.table_cells(rows, box["w"], box["pt"])
    ax = _axes(fig, box, sum(heights))
    ax.axis("off")
    ax.set(xlim=(0, box["w"]), ylim=(sum(heights), 0))
    top = 0.0
    for r, (row, height) in enumerate(zip(cells, heights)):
        left = 0.0
        for value, width in zip(row, widths):
            ax.add_patch(Rectangle((left, top), width, height, fc="#e8eef6" if r == 0 else "white", ec="0.6",
                                       lw=1))
            ax.text(left + 0.1, top + 0.1, value, fontsize=box["pt"], va="top", ha="left",
                    linespacing=layout.LINE_SPACING, weight="bold" if r == 0 else "normal")
            left += width
        top += height


def page(slide: Slide) -> Figure:
    """One page as a figure of its own (no pyplot: no window, whatever matplotlib's backend)."""
    fig = Figure(figsize=(layout.WIDTH, layout.HEIGHT))
    title_box = layout.TITLE_PAGE if slide.title_page else layout.TITLE
    _text(fig, title_box, [slide.title], bold=True, color=layout.TITLE_COLOR)
    if slide.figure is not None:
        ax = _axes(fig, layout.FIGURE)
        ax.imshow(mpimg.imread(slide.figure), aspect="auto", interpolation="antialiased")
        ax.axis("off")
    if slide.table is not None:
        _table(fig, slide.table)
    if slide.body:
        _text(fig, layout.BODY, slide.body)
    if slide.lines:
        box = layout.LINES_TITLE_PAGE if slide.title_page else layout.LINES
        _text(fig, box, slide.lines)
    return fig


def write(slides: list[Slide], out: Path, font: str | None = None) -> Path:
    """Write ``slides`` to ``out`` (.pdf), atomically, with ``font`` first in the font list."""
    out.parent.mkdir(parents=True, exist_ok=True)
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with theme(), matplotlib.rc_context({"font.family": family}), atomic_path(out) as tmp, \
            PdfPages(tmp, metadata={"CreationDate": None}) as pdf:
        for slide in slides:
            pdf.savefig(page(slide))
    return out
