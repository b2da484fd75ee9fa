"""Run the notebooks headlessly (``make figures``) or refresh the committed ones with their
outputs (``make notebooks-refresh``).

``make figures`` checks each notebook's tables first, so a missing results folder stops it with
the notebook's own sentence and a non-zero exit; it writes executed copies to ``build/notebooks``
and figures to ``build/figures`` (or ``--figures``), never over tracked files. The refresh
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
from . import tables

ROOT = Path(__file__).resolve().parents[2]
WHY = ("landscape", "lesion", "shatter", "degeneracy")  # results/why/<name>/<name>.csv
# notebook -> (which results folder, the tables it reads, the command that makes them)
NOTEBOOKS = {
    "fig1_cifar_20_56": ("cifar", ["runs.csv", "curves.csv"]),
    "fig6_cifar_sweep": ("cifar", ["runs.csv", "curves.csv"]),
    "fig7_layer_responses": ("cifar", ["runs.csv", "responses.csv"]),
    "table6": ("cifar", ["runs.csv"]),
    "gradient_flow": ("cifar", ["runs.csv", "gradients.csv"]),
    "fig4_imagenet_18_34": ("imagenet", ["runs.csv", "curves.csv"]),
    "constructed_solution": ("constructed", []),  # one folder per construction, each with construct.csv
    **{f"why_{name}": (name, [f"{name}.csv"]) for name in WHY},  # the analyses that followed the paper
}
SWEEPS = {"cifar": tables.CIFAR_SWEEP, "imagenet": tables.IMAGENET_SWEEP, "constructed": tables.CONSTRUCTED_RUN,
          **{name: f"make why-{name} DATA_DIR=<cifar folder>" for name in WHY}}
COMMITTED = {"cifar": "cifar_study", "imagenet": "imagenette_study", "constructed": "constructed",
             **{name: f"why/{name}" for name in WHY}}  # under results/


def check(stem: str, results_dir: Path) -> None:
    """``MissingResults`` with the sentence the notebook would print when its tables are missing."""
    kind, names = NOTEBOOKS[stem]
    tables.require_folder(results_dir, sweep=SWEEPS[kind])
    if kind == "constructed" and tables.load_constructed(results_dir) is None:
        raise tables.MissingResults(f"{results_dir} holds no */construct.csv; run `{SWEEPS[kind]}` and pass its "
                                    f"CONSTRUCTED_OUT folder as results_dir")
    for name in names:
        if not (results_dir / name).exists():
            tables.load_table(results_dir, name, sweep=SWEEPS[kind])


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cifar", default="results/cifar_study")
    parser.add_argument("--imagenet", default="results/imagenette_study")
    parser.add_argument("--constructed", default="results/constructed")
    parser.add_argument("--why", default="results/why", help="folder of the analyses' folders (landscape/, ...)")
    parser.add_argument("--published", default="", help="published nets' evaluations for Fig. 7 and Table 6")
    parser.add_argument("--figures", default="build/figures")
    parser.add_argument("--out", default="build/notebooks")
    parser.add_argument("--refresh", action="store_true", help="execute notebooks/ in place on results/")
    args = parser.parse_args(argv)
    folders = {"cifar": Path(args.cifar).resolve(), "imagenet": Path(args.imagenet).resolve(),
               "constructed": Path(args.constructed).resolve(),
               **{name: (Path(args.why) / name).resolve() for name in WHY}}
    try:
        if args.published and not Path(args.published).is_dir():
            raise tables.MissingResults(f"{args.published} does not exist; run {tables.PUBLISHED_RUN}")
        for stem, (kind, _) in NOTEBOOKS.items():
            check(stem, ROOT / "results" / COMMITTED[kind] if args.refresh else folders[kind])
        for stem, (kind, _) in NOTEBOOKS.items():
            source = ROOT / "notebooks" / f"{stem}.ipynb"
            print(f"{'refresh' if args.refresh else 'run'} {stem}", flush=True)
            if args.refresh:
                execute(source, source, {}, strip=True)
                continue
            parameters = {"results_dir": str(folders[kind]), "figures_dir": str(Path(args.figures).resolve())}
            if args.published and stem in ("fig7_layer_responses", "table6"):
                parameters["published_dir"] = str(Path(args.published).resolve())
            Path(args.out).mkdir(parents=True, exist_ok=True)
            execute(source, Path(args.out) / source.name, parameters, strip=False)
    except StudyError as error:
        print(f"resnet-study figures: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
