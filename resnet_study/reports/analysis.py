"""What an analysis is (a figure, a table or a study beyond the paper), and which results folders
there are: the types that ``registry`` lists and that ``make figures``, the notebooks' runner, the
figures test and the deck read. One module under ``reports/analyses/`` declares one ``Analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import tables


@dataclass(frozen=True)
class Folder:
    """A kind of results folder: what the notebooks' ``results_dir`` (or ``<key>_dir``) points at.

    key: its name in ``make figures RESULTS="cifar=DIR ..."``, ``--<key>`` and ``Sources``.
    committed: where the committed tables sit, relative to the checkout (the default).
    about: one line for ``--help``. command: what makes its tables, named when they are missing.
    """
    key: str
    committed: str
    about: str
    command: str


FOLDERS = [
    Folder("cifar", "results/cifar_study", "a CIFAR sweep's --out folder", tables.CIFAR_SWEEP),
    Folder("imagenet", "results/imagenette_study", "an ImageNet sweep's --out folder", tables.IMAGENET_SWEEP),
    Folder("constructed", "results/constructed", "resnet-study construct's folders (CONSTRUCTED_OUT)",
           tables.CONSTRUCTED_RUN),
    Folder("published", "results/published", "published nets' evaluations (resnet-study evaluate)",
           tables.PUBLISHED_RUN),
]


@dataclass(frozen=True)
class Analysis:
    """One figure, table or study: where its tables are, what computes its findings and draws it,
    its notebook and its deck pages.

    name: a short key ("fig6"). title: how the appendix names it ("Fig. 6").
    folder: the ``Folder.key`` its tables are in; tables: the files it needs there (a glob such as
    ``*/construct.csv`` for one per sub-folder). command: what makes them ("" : the folder's).
    findings: its results folder -> list of ``findings.Finding``; plot: its results folder -> a
    matplotlib Figure (a table's: a DataFrame); either None. Both raise ``MissingResults``.
    notebook: its stem under ``notebooks/`` (or a path, for a test's toy), None for none.
    pages: ``Deck`` -> the deck's slides (a ``Slide``, a list, or None when its tables are missing).
    section: the deck's part, "paper" (the paper's figures) or "why" (why shortcuts help).
    order: its place in the section. beside: other folders it reads when given ("published").
    strings: {"en": {...}, "ko": {...}}: the deck's words for its pages, same keys in each language.
    """
    name: str
    title: str
    folder: str | None = None
    tables: tuple[str, ...] = ()
    command: str = ""
    findings: Callable | None = None
    plot: Callable | None = None
    notebook: str | None = None
    pages: Callable | None = None
    section: str = "paper"
    order: int = 0
    beside: tuple[str, ...] = ()
    strings: dict = field(default_factory=dict)
