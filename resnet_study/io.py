"""Atomic writes: a temporary file beside the target, then a rename, so no reader ever sees a
half-written file and a killed process leaves the old version intact; a write the file system
refuses (full, over quota, read-only, not permitted) ends in one sentence. Also the locks that
make one process the only writer of a file's folder."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import platform
import subprocess
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

from .errors import StudyError

_RERUN = "rerun the same command to resume"
# What each refusal of a write means, as the sentence the user reads ({path}: the file being written).
WRITE_ERRORS = {
    errno.ENOSPC: "no space left on the disk holding {path}; free some disk space and " + _RERUN,
    errno.EROFS: "{path} is on a read-only file system; choose a writable folder (--out) or remount it, and " + _RERUN,
    errno.EACCES: "permission to write {path} is denied; make its folder writable (on Windows, close any program "
                  "that has the file open) or choose another --out, and " + _RERUN,
    errno.EPERM: "the operating system does not permit writing {path}; make its folder writable or choose another "
                 "--out, and " + _RERUN,
}
if hasattr(errno, "EDQUOT"):  # POSIX; Windows has it too, as a socket error number
    WRITE_ERRORS[errno.EDQUOT] = ("the disk quota of the file system holding {path} is used up; free some of your "
                                  "files there or ask for a larger quota, and " + _RERUN)


def write_error(exc: OSError, path: str | Path | None = None) -> str:
    """The one sentence for ``exc``, an ``OSError`` raised while writing ``path`` (default: the
    error's own file name)."""
    path = path or exc.filename or "the output folder"
    if exc.errno in WRITE_ERRORS:
        return WRITE_ERRORS[exc.errno].format(path=path)
    return f"{path} could not be written ({exc.strerror or type(exc).__name__}); fix that and {_RERUN}"


@contextmanager
def writing(path: str | Path):
    """Turns an ``OSError`` raised while the block writes ``path`` into ``StudyError``: one sentence."""
    try:
        yield
    except OSError as err:
        raise StudyError(write_error(err, path)) from None


@contextmanager
def atomic_path(path: str | Path):
    """Yields a temporary path; on success it replaces ``path``, on error it is removed (a refused
    write: ``StudyError``, one sentence naming ``path``)."""
    path = Path(path)
    with writing(path):
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


def append_rows(path: str | Path, columns: list[str], rows: list[dict]) -> None:
    """Append ``rows`` to the CSV file ``path`` (a header first when it is empty), whole or not at
    all: a refused write cuts the file back to its former length and ends in one sentence."""
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    path = Path(path)
    with writing(path), open(path, "ab", buffering=0) as handle:  # unbuffered: nothing left to flush at close
        start = handle.seek(0, os.SEEK_END)
        if start == 0:
            writer.writeheader()
        writer.writerows(rows)
        data = memoryview(text.getvalue().encode())
        try:
            while data:
                data = data[handle.write(data):]
        except BaseException:
            os.ftruncate(handle.fileno(), start)  # cut off the part that was written
            if start == 0:
                handle.close()
                path.unlink(missing_ok=True)  # no empty file: readers take one for a damaged table
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
# filelock's native lock (flock on Linux and macOS, LockFileEx on Windows): the kernel drops it
# when its holder dies, even by kill -9, so a dead process never blocks anyone, and the file names
# its holder for the message of the next one. A soft lock (a file that says "taken") is refused: it
# outlives a killed holder and cannot keep a second writer out. ``is_locked`` probes by taking the
# lock for an instant (filelock has no probe that leaves it alone), so a lock that is busy is tried
# again for PROBE_SECONDS before another process is taken to hold it.
PROBE_SECONDS = 0.2
NO_LOCK = ("{path} cannot be locked: this platform or file system offers only a soft lock, which a killed "
           "process leaves behind and which cannot keep a second writer out; run resnet-study on a local disk "
           "of Linux, macOS or Windows")


def _native_lock(path: Path):
    """filelock's lock of ``path`` that dies with its holder; ``StudyError`` where there is none."""
    with warnings.catch_warnings():  # without fcntl filelock warns at import; NO_LOCK says it in one sentence
        warnings.simplefilter("ignore")
        import filelock  # here: the command line imports this module and answers --help

    if issubclass(filelock.FileLock, filelock.SoftFileLock):
        raise StudyError(NO_LOCK.format(path=path))
    try:
        return filelock.FileLock(path, fallback_to_soft=False)
    except TypeError:  # filelock 3: no soft fallback; a file system without flock raises NotImplementedError
        return filelock.FileLock(path)


def _acquire(lock, path: Path, seconds: float) -> bool:
    """Whether ``lock`` was taken within ``seconds``; one sentence where the file system cannot lock."""
    from filelock import Timeout

    try:
        lock.acquire(timeout=seconds, poll_interval=0.01)
    except Timeout:  # an OSError (TimeoutError) too: caught first
        return False
    except (NotImplementedError, OSError) as err:  # no flock on this file system: filelock 3, filelock 4
        if isinstance(err, NotImplementedError) or err.errno == errno.ENOSYS:
            raise StudyError(NO_LOCK.format(path=path)) from None
        raise StudyError(write_error(err, path)) from None
    return True


@contextmanager
def exclusive_lock(path: str | Path):
    """Yields True while this process holds ``path``'s lock, False when another process does; the
    holder writes its name into the file for the next one's message. ``StudyError`` where only a
    soft lock is to be had, or the lock file cannot be written."""
    path = Path(path)
    with writing(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    lock = _native_lock(path)
    if not _acquire(lock, path, PROBE_SECONDS):
        yield False
        return
    try:
        try:
            with open(path, "r+") as handle:  # filelock leaves a holder's words in place; these are ours
                handle.truncate()
                handle.write(f"process {os.getpid()} on {platform.node()}\n")
        except OSError:  # Windows bars other handles from the locked byte: the holder goes unnamed
            pass
        yield True
    finally:
        lock.release()


def is_locked(path: str | Path) -> bool:
    """Whether a live process holds ``path``'s exclusive lock (False when the file cannot be opened
    for locking, as in a read-only copy of a sweep)."""
    path = Path(path)
    if not path.exists():
        return False
    lock = _native_lock(path)
    try:
        if not _acquire(lock, path, PROBE_SECONDS / 4):
            return True
    except StudyError:
        return False
    lock.release()
    return False


def lock_holder(path: str | Path) -> str:
    """Who holds ``path``'s lock, as its holder wrote it."""
    try:
        return Path(path).read_text().strip() or "another process"
    except OSError:
        return "another process"
