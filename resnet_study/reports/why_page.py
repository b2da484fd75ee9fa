"""One page of the deck's "Why do shortcuts help?" section (issue 25), shared by the four analyses
``analyses/why_*.py``: the finding as the title (the words of ``reports/<study>.py``), its figure at
the slide's size, then three lines: the paper's claim, ours beside it (agrees or differs) and whose
nets and which images (the published nets' own training images); the rest goes to the notes."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import matplotlib

from . import pdf_deck
from .deck import FIGURE_SIZE, Deck, Slide
from .tables import MissingResults


def page(d: Deck, name: str, study, found: Callable, draw: Callable) -> Slide | None:
    """``name``'s slide: ``study`` is its module under ``reports/`` (``load``, ``finding``, ``words``,
    ``TABLE``), ``found`` its analysis's findings, ``draw(table, lang)`` its figure. The analysis's
    strings give ``<name>.lang``, ``<name>.ours`` and ``<name>.data`` (filled from the finding's
    numbers) and ``claims[name]``. None (and an appendix line) when its table is missing."""
    folder = Path(getattr(d.sources, name))
    try:
        table = study.load(folder)
        numbers = study.finding(table)
        finding = found(folder)[0]
    except MissingResults:
        return d.left_out(d.s[f"{name}.name"], folder / study.TABLE)
    lang = d.s[f"{name}.lang"]
    said = study.words(numbers, lang)
    font = pdf_deck.hangul_font() if lang == "ko" else None  # Hangul falls back to the Korean font
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", font]} if font else {}):
        fig = draw(table, lang)
        fig.set_size_inches(*FIGURE_SIZE)  # drawn at the slide's figure box: no shrinking on the page
        if not any(hasattr(ax, "_colorbar") for ax in fig.axes):  # tight_layout would push a colorbar onto its plot
            fig.tight_layout()
        figure = d.figure(name, fig)
    read = d.record(d.s[f"{name}.name"], folder, [study.TABLE], None)
    values = {**numbers, "images": f"{numbers.get('images', 0):,}"}
    lines = [d.t("notes.paper", claim=d.s["claims"][name]),
             d.t(f"{name}.ours", verdict=d.s["verdict"][finding.agrees], **values),
             d.t(f"{name}.data", **values)]
    return Slide(said["title"], lines, figure, notes=d.notes([(name, finding)], None, read) + said["lines"])
