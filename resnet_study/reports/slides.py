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
from . import pdf_deck, pptx_deck, registry, story
from .deck import Sources
from .strings import LANGUAGES, strings


def build(sources: Sources, out: Path, language: str = "en") -> tuple[list, Path, Path | None]:
    """Write ``slides[-lang].pptx`` and ``.pdf`` under ``out``; returns (slides, pptx, pdf or None).

    Raises ``MissingResults`` for a missing CIFAR folder; the PDF is None when Korean needs a
    font with Hangul and none is installed."""
    stem = "slides" if language == "en" else f"slides-{language}"
    slides = story.slides(story.deck(sources, language, out / f"{stem}-figures"))
    pptx = pptx_deck.write(slides, out / f"{stem}.pptx")
    font = pdf_deck.hangul_font() if language == "ko" else None
    if language == "ko" and font is None:
        return slides, pptx, None
    return slides, pptx, pdf_deck.write(slides, out / f"{stem}.pdf", font)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="", help='results folders as "cifar=DIR imagenet=DIR ..."')
    for folder in registry.folders():  # --cifar, --imagenet, ...: one flag per kind of results folder
        parser.add_argument(f"--{folder.key}", default="", help=f"{folder.about} (default {folder.committed})")
    parser.add_argument("--lang", default="en", choices=sorted(LANGUAGES))
    parser.add_argument("--out", default="build", help="folder for slides[-lang].pptx, .pdf and their figures")
    args = parser.parse_args(argv)
    try:
        flags = {folder.key: getattr(args, folder.key) for folder in registry.folders()}
        sources = Sources(**registry.chosen_folders(args.results, flags))
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
