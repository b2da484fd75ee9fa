"""One recipe per sweep folder: a sweep that asks for another grid or other settings than the
``sweep.json`` (or the run folders) already in its folder is refused in one sentence naming the
first key that differs; ``--new-recipe`` sets the old recipe's files aside in ``OUT/previous-N/``
first, so that nothing is overwritten and no run is relabelled."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..config import RENAMED, make_config
from ..errors import StudyError
from ..io import read_json
from ..training.runfolder import RUNTIME_KEYS, config_changes, read_run_file
from .claims import failure_path, is_claimed
from .spec import SPEC_FILE, Sweep

PREVIOUS = "previous-{}"  # OUT/previous-1, previous-2, ...: recipes set aside by --new-recipe
TABLES = ("runs.csv", "curves.csv", "responses.csv", "gradients.csv")  # the tables of the recipe set aside
REMEDY = "choose another --out, or add --new-recipe to set the runs that differ aside in {} and start this one"


def recipe_difference(saved: Sweep, sweep: Sweep) -> tuple[str, object, object] | None:
    """The first key, value in ``saved`` and value in ``sweep`` that differ: name, grid (models,
    seeds), then every training setting after the preset and overrides are resolved (where a run's
    data and process are, ``RUNTIME_KEYS``, aside), then nproc_per_run; None when the recipes agree."""
    for key in ("name", "models", "seeds"):
        if getattr(saved, key) != getattr(sweep, key):
            return key, getattr(saved, key), getattr(sweep, key)
    old, new = _settings(saved), _settings(sweep)
    for key in new:
        if key not in RUNTIME_KEYS and old.get(key) != new[key]:
            return key, old.get(key), new[key]
    if saved.nproc_per_run != sweep.nproc_per_run:
        return "nproc_per_run", saved.nproc_per_run, sweep.nproc_per_run
    return None


def _settings(sweep: Sweep) -> dict:
    overrides = {RENAMED.get(k, k): v for k, v in sweep.overrides.items()}
    try:
        return make_config(sweep.preset, overrides).to_dict()
    except StudyError:  # a sweep.json from another version: its raw preset and overrides stand for it
        return {"preset": sweep.preset, **overrides}


def run_difference(sweep: Sweep, model: str, seed: int) -> str | None:
    """The first key in which the run folder of (model, seed) holds another run than ``sweep``
    asks for; None when it agrees, is empty or its config cannot be read (that run then fails
    with the reason, and the queue goes on)."""
    saved = read_run_file(sweep.run_dir(model, seed) / "config.json").get("config")
    if not isinstance(saved, dict):
        return None
    changed = config_changes(sweep.config(model, seed).to_dict(), saved)
    return changed[0] if changed else None


def check_recipe(sweep: Sweep) -> None:
    """One sentence unless the folder is new or holds this very recipe; writes nothing."""
    out = Path(sweep.out)
    saved = _saved(out)
    if saved is not None and (diff := recipe_difference(saved, sweep)) is not None:
        key, old, new = diff
        raise StudyError(f"{out} holds another recipe ({key} is {_text(old)} in its {SPEC_FILE}, {_text(new)} "
                         f"here); {REMEDY.format(out / PREVIOUS.format(_next(out)))}")
    for model, seed in sweep.runs():
        if (key := run_difference(sweep, model, seed)) is not None:
            raise StudyError(f"{sweep.run_dir(model, seed)} holds a run with another {key} than this sweep asks "
                             f"for; {REMEDY.format(out / PREVIOUS.format(_next(out)))}")


def set_aside(sweep: Sweep, log=print) -> Path | None:
    """Move the folder's previous recipe out of the way: its sweep.json and tables, and every run
    folder (with its failure note) that is not of this sweep's grid or holds another config, into
    ``OUT/previous-N``; runs that match stay and are not trained again. Returns that folder, or
    None when nothing differed. One sentence, before anything moves, while a run to move is training."""
    out = Path(sweep.out)
    saved = _saved(out)
    grid = set(sweep.runs())
    runs = [p for p in sorted((out / "runs").glob("*-s*")) if p.is_dir()]
    moving = [p for p in runs if _key(p) not in grid or run_difference(sweep, *_key(p)) is not None]
    if (saved is None or recipe_difference(saved, sweep) is None) and not moving:
        return None
    if busy := [p.name for p in moving if _key(p) and is_claimed(sweep, *_key(p))]:
        raise StudyError(f"{busy[0]} of {out} is being trained; wait for it to finish before --new-recipe")
    target = out / PREVIOUS.format(_next(out))
    (target / "runs").mkdir(parents=True)
    for name in (SPEC_FILE, *TABLES):
        if (out / name).exists():
            (out / name).rename(target / name)
    for run in moving:
        run.rename(target / "runs" / run.name)
        if _key(run) and (note := failure_path(sweep, *_key(run))).exists():
            (target / "failures").mkdir(exist_ok=True)
            note.rename(target / "failures" / note.name)
    log(f"new recipe: the previous one's {SPEC_FILE}, tables and {len(moving)} of {len(runs)} run folders "
        f"are now in {target}")
    return target


def _saved(out: Path) -> Sweep | None:
    spec = read_json(out / SPEC_FILE) if out.is_dir() else None
    if spec is None:
        return None
    known = {f.name for f in dataclasses.fields(Sweep)} - {"out"}
    return Sweep(out=str(out), **{k: v for k, v in spec.items() if k in known})


def _key(run: Path) -> tuple[str, int] | None:
    model, _, seed = run.name.rpartition("-s")
    return (model, int(seed)) if seed.isdigit() else None


def _next(out: Path) -> int:
    n = 1
    while (out / PREVIOUS.format(n)).exists():
        n += 1
    return n


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "none"
    return "none" if value is None else str(value)
