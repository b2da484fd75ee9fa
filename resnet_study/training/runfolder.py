"""The run folder: its lock, the same-run check, and reading its files back.

One process writes a run folder at a time: it holds an flock on ``.lock``. Which files a run folder
holds is declared in ``artefacts``; the loop writes them through ``writer`` (the checkpoint through
``checkpoint``); the sweep's tables and ``status`` read them through this module. It imports no torch.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from ..config import saved_config
from ..errors import StudyError
from ..io import exclusive_lock, lock_holder, read_json, remove_stale_temporaries
from .artefacts import CONFIG, FINISHED, LOCK, SUMMARY

__all__ = ["FINISHED", "check_same_config", "check_same_run", "finished_summary", "read_config", "read_run_file",
           "restore", "writer_lock"]
# Config keys a resumed run may change: where its data and process are, not what it trains.
RUNTIME_KEYS = {"device", "download", "compile", "compile_mode", "data_dir", "tensorboard"}


def read_run_file(path: Path) -> dict:
    """A run's JSON file for tables, or {} when it is missing or damaged (its run then fails
    with the reason, or trains again)."""
    try:
        return read_json(path) or {}
    except StudyError:
        return {}


def finished_summary(folder: Path, log) -> dict | None:
    """The summary of a run that will not train again, said in one line; None for any other."""
    finished = read_json(folder / SUMMARY.file)
    if finished is not None and finished.get("status") in FINISHED:
        log(f"{folder}: already finished ({finished['status']} after {finished.get('iterations')} "
            f"iterations); nothing to do")
        return finished
    return None


def read_config(folder: Path) -> dict | None:
    """The config a run folder was started with (``config.json``), in today's key names; None
    when it has none, one sentence naming the file when it is damaged."""
    saved = read_json(folder / CONFIG.file)
    if saved is None:
        return None
    if not isinstance(saved.get("config"), dict):
        raise StudyError(f"{folder / CONFIG.file} has no config; restore or delete it")
    return saved_config(saved["config"])


def config_changes(requested: dict, saved: dict) -> list[str]:
    """The keys, in ``requested``'s order, whose values would make another run than ``saved`` (the
    keys of where a run's data and process are, ``RUNTIME_KEYS``, aside)."""
    requested, saved = saved_config(requested), saved_config(saved)  # one form: today's keys, tuples
    return [k for k, v in requested.items() if k not in RUNTIME_KEYS and v != saved.get(k)]


def check_same_config(folder: Path, requested: dict, saved: dict, source: str,
                      remedy: str = "choose another --out or delete that folder") -> None:
    """One sentence unless ``saved`` (from the folder's ``source``) asks for the run ``requested`` does."""
    changed = sorted(config_changes(requested, saved))
    if changed:
        raise StudyError(f"{folder} holds a run with a different configuration ({', '.join(changed)} "
                         f"differ from its {source}); {remedy}")


def check_same_run(folder: Path, requested: dict) -> None:
    """One sentence unless ``folder`` is empty or holds the run ``requested`` (a config dict) asks for."""
    saved = read_config(folder)
    if saved is not None:
        check_same_config(folder, requested, saved, CONFIG.file)


@contextmanager
def writer_lock(folder: Path):
    """Hold ``folder``'s lock while the block runs; one sentence when another process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(folder / LOCK) as mine:
        if not mine:
            raise StudyError(f"{folder} is being written by {lock_holder(folder / LOCK)}; wait for it to "
                             f"finish or choose another --out")
        remove_stale_temporaries(folder)
        yield


def restore(module, state: dict, path: Path) -> None:
    """``module.load_state_dict(state)``: one sentence naming the file when its tensors do not fit."""
    try:
        module.load_state_dict(state)
    except (RuntimeError, ValueError, KeyError) as err:
        raise StudyError(f"{path} holds a {type(module).__name__} state that does not fit this run "
                         f"({type(err).__name__}); delete the checkpoint files to start the run over") from None
