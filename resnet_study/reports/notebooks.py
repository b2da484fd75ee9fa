"""Run the notebooks headlessly (``make figures``) or refresh the committed ones with their
outputs (``make notebooks-refresh``): every notebook that ``registry.notebooks()`` lists.

``make figures`` checks each notebook's tables first, so a missing results folder stops it with
the notebook's own sentence and a non-zero exit; it writes executed copies to ``build/notebooks``
and figures to ``build/figures`` (or ``--figures``), never over tracked files. Each kind of
results folder (``registry.folders()``) has a flag, ``--cifar DIR``, and ``--results "cifar=DIR
imagenet=DIR"`` sets several; the committed ``results/`` folders are the default. The refresh
executes ``notebooks/*.ipynb`` in place against the committed ``results/`` and strips what
changes between runs (execution times, papermill's metadata), so the same tables give the same
files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from ..errors import StudyError
from ..io import atomic_path
from . import registry, tables
from .analysis import Analysis

ROOT = registry.ROOT


def check(analysis: Analysis, results_dir: Path) -> None:
    """``MissingResults`` with the sentence the notebook would print when its tables are missing."""
    command = analysis.command or registry.folder(analysis.folder).command
    tables.require_folder(results_dir, sweep=command)
    for name in analysis.tables:
        if any(c in name for c in "*?["):  # one per sub-folder, e.g. */construct.csv
            if not any(Path(results_dir).glob(name)):
                raise tables.MissingResults(f"{results_dir} holds no {name}; run `{command}` and pass its output "
                                            f"folder as results_dir")
        elif not (Path(results_dir) / name).exists():
            tables.load_table(results_dir, name, sweep=command)


def clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what differs between two runs over the same tables: papermill's timings and
    parameters, execution metadata, the kernel's Python version."""
    notebook.metadata.pop("papermill", None)
    notebook.metadata["language_info"] = {"name": "python"}
    for cell in notebook.cells:
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
    return notebook


def execute(source: Path, out: Path, parameters: dict, *, strip: bool, cwd: Path | None = None) -> None:
    """Run ``source`` with papermill in ``cwd`` (default: its folder, where its relative default
    paths point) into ``out``, atomically; ``strip``: ``clean`` it for committing."""
    import papermill

    with atomic_path(out) as tmp:
        papermill.execute_notebook(str(source), str(tmp.with_suffix(".ipynb")), parameters=parameters,
                                   kernel_name="python3", progress_bar=False, cwd=str(cwd or source.parent),
                                   log_output=False)
        done = tmp.with_suffix(".ipynb")
        notebook = nbformat.read(done, as_version=4)
        done.unlink()
        nbformat.write(clean(notebook) if strip else notebook, tmp)


def selected(only: str) -> list[Analysis]:
    """The notebooks to run: all, or those ``only`` names (analyses' names or notebooks' stems)."""
    listed = registry.notebooks()
    if not only:
        return listed
    names = only.replace(",", " ").split()
    unknown = [n for n in names if not any(n in (a.name, a.notebook) for a in listed)]
    if unknown:
        raise StudyError(f"no notebook {', '.join(unknown)}; have {', '.join(a.name for a in listed)}")
    return [a for a in listed if a.name in names or a.notebook in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="", help='results folders as "cifar=DIR imagenet=DIR ..."')
    for folder in registry.folders():
        parser.add_argument(f"--{folder.key}", default="", help=f"{folder.about} (default {folder.committed})")
    parser.add_argument("--only", default="", help="run only these notebooks (names or stems, comma-separated)")
    parser.add_argument("--figures", default="build/figures")
    parser.add_argument("--out", default="build/notebooks")
    parser.add_argument("--refresh", action="store_true", help="execute notebooks/ in place on results/")
    args = parser.parse_args(argv)
    try:
        if args.refresh:  # the committed tables, whatever was given
            folders = {f.key: ROOT / f.committed for f in registry.folders()}
        else:
            flags = {f.key: getattr(args, f.key) for f in registry.folders()}
            folders = {k: path.resolve() for k, path in registry.chosen_folders(args.results, flags).items()}
        notebooks = selected(args.only)
        for analysis in notebooks:
            check(analysis, folders[analysis.folder])
            for key in analysis.beside:
                tables.require_folder(folders[key], sweep=registry.folder(key).command)
        for analysis in notebooks:
            source = registry.notebook_path(analysis)
            print(f"{'refresh' if args.refresh else 'run'} {source.stem}", flush=True)
            if args.refresh:
                execute(source, source, {}, strip=True)
                continue
            figures = str(Path(args.figures).resolve())
            parameters = {"results_dir": str(folders[analysis.folder]), "figures_dir": figures,
                          **{f"{key}_dir": str(folders[key]) for key in analysis.beside}}
            Path(args.out).mkdir(parents=True, exist_ok=True)
            execute(source, Path(args.out) / source.name, parameters, strip=False)
    except StudyError as error:
        print(f"resnet-study figures: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
