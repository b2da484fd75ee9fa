"""``RunWriter``: the one way the training loop writes its run folder, every file a declared ``Artefact``.

JSON files and tables are replaced atomically (``io``). The logs (``artefacts.LOGS``) grow by whole
appended rows; the run's ``Progress`` counts the rows each holds, and a resumed run first cuts them
back to the counts of its checkpoint, so the folder always tells the story of one uninterrupted run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import StudyError
from ..io import append_rows, write_csv, write_json
from .artefacts import LOGS, Artefact


class RowLog:
    """A CSV file that grows by whole appended rows (constant cost per row)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns

    def append(self, rows: list[dict]) -> None:
        append_rows(self.path, self.columns, rows)

    def truncate(self, rows: int) -> None:
        """Keep the header and the first ``rows`` rows: what the checkpoint being resumed saw."""
        if rows == 0:
            self.path.unlink(missing_ok=True)
            return
        lines = self.path.read_bytes().splitlines(keepends=True) if self.path.exists() else []
        complete = [line for line in lines[:rows + 1] if line.endswith(b"\n")]
        if len(complete) < rows + 1:
            raise StudyError(f"{self.path} holds {max(len(complete) - 1, 0)} rows but the checkpoint was taken "
                             f"after {rows}; delete the run folder to start the run over")
        with open(self.path, "r+b") as handle:
            handle.truncate(sum(len(line) for line in complete))


class RunWriter:
    """Writes the artefacts of the run folder ``out``. ``present``: the optional columns this run
    has (``val_error`` when the data set has a holdout besides its test set)."""

    def __init__(self, out: str | Path, present: Iterable[str] = ()) -> None:
        self.out, self.present = Path(out), set(present)

    def path(self, artefact: Artefact) -> Path:
        return self.out / artefact.file

    def columns(self, artefact: Artefact) -> list[str]:
        """``artefact``'s columns in this run: the declared ones less the optional ones it lacks."""
        return [c for c in artefact.columns if c not in artefact.optional or c in self.present]

    def resume(self, rows: dict[str, int]) -> None:
        """Cut every log back to the rows a checkpoint saw (``Progress.rows``; none for a new run)."""
        for log in LOGS:
            RowLog(self.path(log), self.columns(log)).truncate(rows.get(log.counter, 0))

    def append(self, artefact: Artefact, rows: list[dict], counts: dict[str, int]) -> None:
        """Append ``rows`` to the log ``artefact`` and count them in ``counts`` (``Progress.rows``)."""
        self._check(artefact, *rows)
        RowLog(self.path(artefact), self.columns(artefact)).append(rows)
        counts[artefact.counter] = counts.get(artefact.counter, 0) + len(rows)

    def write(self, artefact: Artefact, data) -> None:
        """Replace ``artefact`` with ``data`` atomically: a dict for a JSON file, a DataFrame for a CSV."""
        if isinstance(data, dict):
            self._check(artefact, data)
            write_json(self.path(artefact), data)
        else:
            self._check(artefact, dict.fromkeys(data.columns))
            write_csv(self.path(artefact), data)

    def _check(self, artefact: Artefact, *records: dict) -> None:
        """A programming error, not a user's: a record with keys ``artefact`` does not declare."""
        for record in records:
            if artefact.columns and not set(record) <= set(artefact.columns):
                raise ValueError(f"{artefact.file} declares {artefact.columns}; got {sorted(set(record))}")
