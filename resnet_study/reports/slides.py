"""The deck a study group presents from: ``build/slides.pptx`` (editable) and ``build/slides.pdf``
(the same pages), in English or Korean, every number computed from the tables it names.

``python -m resnet_study.reports.slides --cifar results/cifar_study --lang ko --out build``
(``make slides [SLIDES_LANG=ko]``). A missing CIFAR results folder is one sentence and exit 2;
a missing Korean font skips the Korean PDF only (one sentence, exit 3) after writing the PPTX.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import StudyError
from . import pages, pdf_deck, pptx_deck
from .deck import Deck, Sources
from .strings import LANGUAGES, strings


def build(sources: Sources, out: Path, language: str = "en") -> tuple[list, Path, Path | None]:
    """Write ``slides[-lang].pptx`` and ``.pdf`` under ``out``; returns (slides, pptx, pdf or None).

    Raises ``MissingResults`` for a missing CIFAR folder; the PDF is None when Korean needs a
    font with Hangul and none is installed."""
    stem = "slides" if language == "en" else f"slides-{language}"
    slides = pages.slides(Deck(sources, language, out / f"{stem}-figures"))
    pptx = pptx_deck.write(slides, out / f"{stem}.pptx")
    font = pdf_deck.hangul_font() if language == "ko" else None
    if language == "ko" and font is None:
        return slides, pptx, None
    return slides, pptx, pdf_deck.write(slides, out / f"{stem}.pdf", font)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cifar", default="results/cifar_study", help="a CIFAR sweep's --out folder")
    parser.add_argument("--imagenet", default="results/imagenette_study", help="an ImageNet sweep's --out folder")
    parser.add_argument("--published", default="results/published", help="published nets' evaluations")
    parser.add_argument("--constructed", default="results/constructed", help="the constructed solution's table")
    parser.add_argument("--lang", default="en", choices=sorted(LANGUAGES))
    parser.add_argument("--out", default="build", help="folder for slides[-lang].pptx, .pdf and their figures")
    args = parser.parse_args(argv)
    sources = Sources(Path(args.cifar), Path(args.imagenet), Path(args.published), Path(args.constructed))
    try:
        slides, pptx, pdf = build(sources, Path(args.out), args.lang)
    except StudyError as error:
        print(f"resnet-study slides: {error}", file=sys.stderr)
        return 2
    print(f"{pptx}: {len(slides)} slides")
    if pdf is None:
        sentence = "; ".join([strings(args.lang)["missing_font"].rstrip("."), *pdf_deck.FONT_NOTES])
        print(f"resnet-study slides: {sentence}.", file=sys.stderr)
        return 3
    for note in pdf_deck.FONT_NOTES:
        print(f"note: {note}")
    print(f"{pdf}: {len(slides)} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
