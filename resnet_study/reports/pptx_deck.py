"""The deck as an editable PowerPoint file (python-pptx): text boxes, figures as images, a
native table, the numbers in the speaker notes. Viewers supply fonts, Hangul included. Text
goes in as sentences, one paragraph each, and the viewer wraps it in the same boxes as the PDF."""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from ..io import atomic_path
from . import layout
from .deck import Slide


def _box(slide, box: dict, lines: list[str], *, bold: bool = False, color=layout.TEXT_COLOR) -> None:
    shape = slide.shapes.add_textbox(Inches(box["x"]), Inches(box["y"]), Inches(box["w"]), Inches(box["h"]))
    frame = shape.text_frame
    frame.word_wrap = True
    pt = layout.fitted(lines, box, bold)[1]  # the PDF's size: a long caption gets smaller in both
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.line_spacing = layout.LINE_SPACING
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold = Pt(pt), bold
        run.font.color.rgb = RGBColor(*color)


def _table(slide, rows: list[list[str]]) -> None:
    box = layout.TABLE
    cells, widths, heights = layout.table_cells(rows, box["w"], box["pt"])
    shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(box["x"]), Inches(box["y"]), Inches(box["w"]),
                                   Inches(sum(heights)))
    for c, width in enumerate(widths):
        shape.table.columns[c].width = Inches(width)
    for r, (row, height) in enumerate(zip(cells, heights)):
        shape.table.rows[r].height = Inches(height)
        for c, value in enumerate(row):
            frame = shape.table.cell(r, c).text_frame
            for i, line in enumerate(value.split("\n")):
                paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                run = paragraph.add_run()
                run.text = line
                run.font.size, run.font.bold = Pt(box["pt"]), r == 0


def write(slides: list[Slide], out: Path) -> Path:
    """Write ``slides`` to ``out`` (.pptx), atomically."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(layout.WIDTH), Inches(layout.HEIGHT)
    blank = deck.slide_layouts[6]
    for page in slides:
        slide = deck.slides.add_slide(blank)
        title_box = layout.TITLE_PAGE if page.title_page else layout.TITLE
        _box(slide, title_box, [page.title], bold=True, color=layout.TITLE_COLOR)
        if page.figure is not None:
            box = layout.FIGURE
            slide.shapes.add_picture(str(page.figure), Inches(box["x"]), Inches(box["y"]), Inches(box["w"]),
                                     Inches(box["h"]))
        if page.table is not None:
            _table(slide, page.table)
        if page.body:
            _box(slide, layout.BODY, page.body)
        if page.lines:
            box = layout.LINES_TITLE_PAGE if page.title_page else layout.LINES
            _box(slide, box, page.lines)
        if page.notes:
            slide.notes_slide.notes_text_frame.text = "\n".join(page.notes)
    deck.core_properties.title = slides[0].title
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        deck.save(tmp)
    return out
