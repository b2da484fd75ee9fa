"""Atomic writes: a temporary file beside the target, then a rename, so no reader ever sees a
half-written file and a killed process leaves the old version intact. Also the flocks that
make one process the only writer of a file's folder."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import StudyError


def disk_full_error(path: str | Path) -> StudyError:
    return StudyError(f"no space left on the disk holding {path}; free some disk space and rerun the same "
                      f"command to resume")


@contextmanager
def disk_space_sentences(path: str | Path):
    """Turns a full disk (ENOSPC) while writing ``path`` into one sentence that says so."""
    try:
        yield
    except OSError as err:
        if err.errno == errno.ENOSPC:
            raise disk_full_error(path) from None
        raise


@contextmanager
def atomic_path(path: str | Path):
    """Yields a temporary path; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    with disk_space_sentences(path):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        try:
            yield Path(tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def remove_stale_temporaries(folder: str | Path) -> None:
    """Delete the temporary files of writes that a killed process left in ``folder``."""
    for tmp in Path(folder).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def write_json(path: str | Path, data: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_csv(path: str | Path, frame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def read_json(path: str | Path) -> dict | None:
    """The JSON object in ``path``, None when there is no such file; one sentence when it is damaged."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise StudyError(f"{path} is truncated or not valid JSON ({str(err).splitlines()[0]}); "
                         f"restore or delete it") from None
    except OSError as err:  # a folder or an unreadable file in its place
        raise StudyError(f"{path} cannot be read ({err.strerror or type(err).__name__}); restore or "
                         f"delete it") from None
    if not isinstance(data, dict):
        raise StudyError(f"{path} does not hold a JSON object; restore or delete it")
    return data


def git_commit() -> str:
    """The checkout's commit (with ``-dirty`` when it has uncommitted changes), or ``unknown``."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).parent, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def check_writable(path: str | Path) -> None:
    """Raise ``StudyError`` unless ``path`` is (or can be created as) a writable folder."""
    path = Path(path).absolute()
    existing = next(p for p in [path, *path.parents] if p.exists())
    if not existing.is_dir():
        raise StudyError(f"cannot write to {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise StudyError(f"cannot write to {path}: {existing} is not writable")


# ---- locks ---------------------------------------------------------------------------------------
# An exclusive flock (filelock's): the kernel drops it when its holder dies, even by kill -9, so a
# dead process never blocks anyone, and the file names its holder for the message of the next one.
# ``is_locked`` probes by taking the lock shared for an instant (filelock has no probe that leaves
# the lock alone), so a lock that is busy is tried again for PROBE_SECONDS before another process
# is taken to hold it.
PROBE_SECONDS = 0.2


@contextmanager
def exclusive_lock(path: str | Path):
    """Yields True while this process holds ``path``'s lock (filelock's flock), False when another
    process does; the holder writes its name into the file for the next one's message."""
    from filelock import FileLock, Timeout  # here: the command line imports this module and answers --help

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=PROBE_SECONDS, poll_interval=0.01)
    except Timeout:
        yield False
        return
    try:
        with open(path, "r+") as handle:  # filelock leaves a holder's words in place; these are ours
            handle.truncate()
            handle.write(f"process {os.getpid()} on {os.uname().nodename}\n")
        yield True
    finally:
        lock.release()


def is_locked(path: str | Path) -> bool:
    """Whether a live process holds ``path``'s exclusive lock."""
    path = Path(path)
    if not path.exists():
        return False
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def lock_holder(path: str | Path) -> str:
    """Who holds ``path``'s lock, as its holder wrote it."""
    try:
        return Path(path).read_text().strip() or "another process"
    except OSError:
        return "another process"
