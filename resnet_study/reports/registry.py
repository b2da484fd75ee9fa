"""The list of the report side's analyses: every module of ``reports/analyses/`` declares one
``Analysis`` (``ANALYSIS``), and may declare new results folders (``FOLDERS``). ``make figures``,
the notebooks' runner, the figures test and the deck iterate what is listed here; adding an
analysis is one module there plus its notebook, and no other file changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from ..errors import StudyError
from . import analyses as package
from .analysis import FOLDERS, Analysis, Folder
from .strings import strings

ROOT = Path(__file__).resolve().parents[2]
# The deck's parts in order, each with the key of its divider's title (None: no divider). "why"
# (why shortcuts help: issue 25's studies) gets its divider once an analysis registers in it.
SECTIONS = {"paper": None, "why": "why.title"}

_ANALYSES: dict[str, Analysis] = {}
_FOLDERS: dict[str, Folder] = {f.key: f for f in FOLDERS}
_LOADED: list[bool] = []


def _load() -> None:
    if not _LOADED:
        _LOADED.append(True)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            register(module.ANALYSIS, *getattr(module, "FOLDERS", ()))


def register(analysis: Analysis, *folders: Folder) -> Analysis:
    """Add ``analysis`` (and any new results folders it reads); ``ValueError`` if its name, or a
    folder's key, is taken by another, or if its folder or section is unknown."""
    _load()
    for folder in folders:
        if _FOLDERS.get(folder.key, folder) != folder:
            raise ValueError(f"results folder {folder.key!r} is registered already")
        _FOLDERS[folder.key] = folder
    if analysis.name in _ANALYSES and _ANALYSES[analysis.name] is not analysis:
        raise ValueError(f"analysis {analysis.name!r} is registered already")
    unknown = [k for k in (analysis.folder, *analysis.beside) if k is not None and k not in _FOLDERS]
    if unknown or analysis.section not in SECTIONS:
        raise ValueError(f"analysis {analysis.name!r} names unknown folders {unknown} or section {analysis.section!r}")
    taken = (_keys(a for a in _ANALYSES.values() if a.name != analysis.name) | set(strings("en"))) \
        & _keys([analysis])
    if taken:  # one table of words per language: an analysis's keys are its own (prefix them with its name)
        raise ValueError(f"analysis {analysis.name!r} reuses the deck's words {sorted(taken)}")
    _ANALYSES[analysis.name] = analysis
    return analysis


def _keys(listed) -> set[str]:
    """The word keys (a claim's as ``claims.KEY``) that the ``listed`` analyses use."""
    tables = [a.strings[lang] for a in listed for lang in a.strings]
    return {k for own in tables for k in own if k != "claims"} | {f"claims.{k}" for own in tables
                                                                for k in own.get("claims", {})}


def unregister(name: str, *folder_keys: str) -> None:
    """Remove an analysis (and folders) that ``register`` added, for a test that added a toy."""
    _ANALYSES.pop(name, None)
    for key in folder_keys:
        _FOLDERS.pop(key, None)


def analyses(section: str | None = None) -> list[Analysis]:
    """Every registered analysis (or those of one deck ``section``) in the deck's order."""
    _load()
    ranked = sorted(_ANALYSES.values(), key=lambda a: (list(SECTIONS).index(a.section), a.order, a.name))
    return [a for a in ranked if section is None or a.section == section]


def get(name: str) -> Analysis:
    _load()
    return _ANALYSES[name]


def notebooks() -> list[Analysis]:
    """The analyses that have a notebook, in the deck's order."""
    return [a for a in analyses() if a.notebook]


def notebook_path(analysis: Analysis) -> Path:
    """The notebook's file: ``notebooks/<stem>.ipynb``, or the path a test's toy names."""
    path = Path(analysis.notebook)
    return path if path.suffix == ".ipynb" else ROOT / "notebooks" / f"{analysis.notebook}.ipynb"


def folders() -> list[Folder]:
    """Every kind of results folder, the base four first."""
    _load()
    return list(_FOLDERS.values())


def folder(key: str) -> Folder:
    _load()
    return _FOLDERS[key]


def words(language: str) -> dict:
    """The deck's strings in ``language``: the story's (``strings.py``) and every analysis's."""
    merged = strings(language)
    merged["claims"] = dict(merged["claims"])
    for analysis in analyses():
        own = analysis.strings.get(language, {})
        merged.update({k: v for k, v in own.items() if k != "claims"})
        merged["claims"].update(own.get("claims", {}))
    return merged


def parse_results(spec: str) -> dict[str, Path]:
    """``"cifar=DIR imagenet=DIR"`` (``make figures RESULTS=...``) as {folder key: Path};
    ``StudyError`` naming the known keys for an unknown one or a word without ``=``."""
    chosen = {}
    for word in spec.split():
        key, _, folder = word.partition("=")
        if not folder or key not in {f.key for f in folders()}:
            known = ", ".join(f"{f.key}=DIR" for f in folders())
            raise StudyError(f"RESULTS takes {known}; got {word!r}")
        chosen[key] = Path(folder)
    return chosen


def chosen_folders(results: str, flags: dict[str, str]) -> dict[str, Path]:
    """Each kind of results folder's path: its flag (``--cifar DIR``) if given, else its word in
    ``results`` (``"cifar=DIR imagenet=DIR"``), else the committed folder (relative to the checkout)."""
    given = parse_results(results)
    return {f.key: Path(flags.get(f.key) or given.get(f.key) or f.committed) for f in folders()}
