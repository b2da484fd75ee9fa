"""Result tables that grow row by row and survive ``kill -9``: a rerun of the same command skips the
rows already written and goes on where the killed one stopped.

Each row is one ``write`` of a whole line, flushed and synced, so a killed run leaves at most a
partial last line, which the next run cuts off. The settings that made the table (images, seed,
grid, ...) are kept beside it in ``<name>.settings.json``; a rerun with other settings is refused in
one sentence rather than mixing two analyses in one table. One process writes a folder at a time.
"""

from __future__ import annotations

import csv
import io
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import StudyError
from ..io import atomic_path, exclusive_lock, lock_holder, read_json, remove_stale_temporaries


class ResultsTable:
    """``path`` (a CSV) with fixed ``columns``; rows keyed by the ``key`` columns.

    Args:
        path: the CSV file; its folder is created.
        columns: every column, in order.
        key: the columns that name a row (``net``, ``alpha``, ``beta``): ``done`` holds their values.
        settings: what made the table; must equal the saved settings when the table exists.
    """

    def __init__(self, path: str | Path, columns: list[str], key: list[str], settings: dict) -> None:
        self.path, self.columns, self.key = Path(path), list(columns), list(key)
        self.settings_path = self.path.with_suffix(".settings.json")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.path.parent)
        saved = read_json(self.settings_path)
        settings = json.loads(json.dumps(settings))  # tuples as lists, as they read back
        if saved is not None and saved != settings and self.path.exists():
            changed = sorted(k for k in set(saved) | set(settings) if saved.get(k) != settings.get(k))
            raise StudyError(f"{self.path} was made with other settings ({', '.join(changed)}); give another --out "
                             f"or delete the table to start again")
        if saved != settings:
            with atomic_path(self.settings_path) as tmp:
                tmp.write_text(json.dumps(settings, indent=2) + "\n")
        if not self.path.exists():
            with atomic_path(self.path) as tmp:
                tmp.write_text(",".join(self.columns) + "\n")
        self._cut_partial_line()
        header = self.path.open().readline().strip().split(",")
        if header != self.columns:
            raise StudyError(f"{self.path} has columns {header}, not {self.columns}; delete it to start again")

    def _cut_partial_line(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def frame(self) -> pd.DataFrame:
        """The rows written so far."""
        return pd.read_csv(self.path)

    def done(self) -> set[tuple]:
        """Key tuples of the rows written so far (values as ``str``, so floats compare by their text)."""
        frame = pd.read_csv(self.path, dtype=str, keep_default_na=False)
        return {tuple(row) for row in frame[self.key].itertuples(index=False)}

    def has(self, **key) -> bool:
        return tuple(_text(key[k]) for k in self.key) in self._done

    def __enter__(self) -> "ResultsTable":
        self._done = self.done()
        return self

    def __exit__(self, *exc) -> None:
        pass

    def append(self, row: dict) -> None:
        """Write one row as one line, synced to disk; ``row`` holds every column."""
        missing = [c for c in self.columns if c not in row]
        if missing:
            raise ValueError(f"row lacks columns {missing}")
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([_text(row[c]) for c in self.columns])
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, buffer.getvalue().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self._done.add(tuple(_text(row[k]) for k in self.key))


def _text(value) -> str:
    if hasattr(value, "item"):  # numpy and torch scalars
        value = value.item()
    if isinstance(value, float):
        return repr(round(value, 10)) if abs(value) < 1e15 else repr(value)
    return str(value)


@contextmanager
def writing(folder: str | Path) -> Iterator[None]:
    """Hold ``folder``'s ``.lock`` while writing it; one sentence when another process holds it."""
    lock = Path(folder) / ".lock"
    with exclusive_lock(lock) as held:
        if not held:
            raise StudyError(f"{folder} is being written by {lock_holder(lock)}; wait for it or give another --out")
        yield


def progress(total: int, done: int, desc: str):
    """A tqdm bar over ``total`` steps, ``done`` of them already in the table; it shows the time left."""
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, desc=desc, unit="step", dynamic_ncols=True, smoothing=0.1)
