"""Output files and folders written so that no reader, crash or rival run ever sees a mix.

Two tools, one rule: nothing is written in place.

- ``write_file(path, data)`` writes a new file under a fresh random name in the target's folder,
  created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (so a planted ``X.tmp`` symlink is never written
  through), then renames it over ``path``. The new file's mode is ``0o666`` less the umask, applied by
  the kernel at creation: the umask is never read or changed.
- ``ResultFolder`` stages a whole result set (``grades.csv``, ``summary.json``, ``students/``) in a
  fresh ``mkdtemp`` folder beside ``--out`` and swaps it in at the end with one atomic
  ``renameat2(RENAME_EXCHANGE)`` where Linux has it (else two renames; the old folder is kept until the
  new one is in place). A ``kill -9`` at any moment leaves ``--out`` holding either the old complete
  result or the new complete one. A lock file beside ``--out`` (``flock``, opened without following
  symlinks) refuses a second run into the same folder while one is writing. The swap replaces the
  whole folder, so no stale file of an earlier run survives; and because it removes what was there,
  an existing ``--out`` must be empty or a result set handnets wrote (marked by a ``.handnets-results``
  file naming its kind): a folder of anything else (a course's sheets, a home folder) is refused.

Every failure is an ``OutputError`` naming the path, and the reason; the CLI prints it as one line.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import glob
import os
import secrets
import shutil
import stat
from pathlib import Path

from handnets.errors import HandnetsError

__all__ = ["OutputError", "write_file", "ResultFolder", "MARKER"]

MARKER = ".handnets-results"  # in every result folder: its kind ("grades", "sheets"); only such folders are replaced

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class OutputError(HandnetsError, OSError):
    """A result could not be written where it was asked for (a file in the way, no permission, disk full)."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _create_exclusive(folder: Path, stem: str) -> tuple[int, Path]:
    """A new file in ``folder`` under a random name: never an existing file, never through a symlink."""
    for _ in range(100):
        path = folder / f".{stem}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def write_file(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the whole new one.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_file(folder / "a.txt", "hello\\n")
    >>> (folder / "a.txt").read_text()
    'hello\\n'
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, expected a file name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{parent}: is not a folder, so {path} cannot be written")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_exclusive(path.parent, path.name)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(payload)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot be written: {_reason(exc)}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------ a whole folder


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # old kernel or a file system without it
        return False
    raise OSError(code, os.strerror(code), str(b))


class ResultFolder:
    """Stage a result set beside ``target`` and swap it in whole; a lock keeps other runs out meanwhile.

    Use ``open()`` before any expensive work (it fails at once on a folder that cannot be written),
    ``write(name, data)`` for each file, then ``commit()``; ``abandon()`` on failure keeps whatever was
    staged and says where it is.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out"
    >>> folder = ResultFolder(target).open()
    >>> folder.write("students/a.json", "{}")
    >>> folder.commit()
    >>> sorted(p.name for p in target.rglob("*"))
    ['.handnets-results', 'a.json', 'students']
    """

    def __init__(self, target: str | Path, *, kind: str = "grades", legacy: tuple[str, ...] = ("grades.csv", "summary.json", "students")):
        self.target = Path(target)
        self.kind = kind  # written into the marker: a folder of sheets is never replaced by grades
        self.legacy = legacy  # the names a result folder held before markers existed (accepted without one)
        self.staging: Path | None = None
        self._lock: int | None = None

    @property
    def lock_path(self) -> Path:
        return self.target.parent / f".{self.target.name}.lock"

    def open(self) -> ResultFolder:
        target = self.target
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise OutputError(f"{target}: is not a folder; --out needs a folder (or a name for a new one)")
        if target.exists() and not os.access(target, os.W_OK | os.X_OK):
            raise OutputError(f"{target}: the folder is not writable")
        if target.exists():
            self._check_replaceable()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{target.parent}: cannot create the folder: {_reason(exc)}") from None
        self._take_lock()
        for stale in target.parent.glob(f".{glob.escape(target.name)}.new-*"):  # left by a run that was killed
            shutil.rmtree(stale, ignore_errors=True)  # (we hold the lock: no live run is writing there)
        try:
            self.staging = Path(os.fsdecode(_mkdtemp(target)))
        except OSError as exc:
            self._release()
            raise OutputError(f"{target.parent}: cannot write results beside {target.name}: {_reason(exc)}") from None
        return self

    def _check_replaceable(self) -> None:
        """Refuse to replace a folder that is not an earlier result set of the same kind (it would be deleted)."""
        target = self.target
        try:
            names = sorted(os.listdir(target))
        except OSError as exc:
            raise OutputError(f"{target}: cannot be listed: {_reason(exc)}") from None
        if not names:
            return
        if MARKER in names:
            try:
                kind = (target / MARKER).read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                kind = ""
            if kind == self.kind:
                return
            raise OutputError(f"{target}: holds handnets {kind or 'results'} of another kind, not {self.kind}; "
                              "choose a new or empty folder")
        if set(names) <= set(self.legacy):
            return
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise OutputError(f"{target}: holds files handnets did not write ({shown}), which the new results would replace; "
                          "choose a new or empty folder")

    def _take_lock(self) -> None:
        # The lock file is removed when the run ends, so a run may lock a file another has just unlinked:
        # holding the lock counts only while the path still names the locked file (else try again).
        for _ in range(20):
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o666)
            except OSError as exc:
                raise OutputError(f"{self.lock_path}: cannot create the lock file: {_reason(exc)}") from None
            held = os.fstat(fd)
            if not stat.S_ISREG(held.st_mode):
                os.close(fd)
                raise OutputError(f"{self.lock_path}: the lock file is not a regular file")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise OutputError(f"{self.target}: another handnets run is writing into this folder; wait for it to finish") from None
            try:
                named = os.stat(self.lock_path, follow_symlinks=False)
            except FileNotFoundError:
                named = None
            if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
                self._lock = fd
                return
            os.close(fd)
        raise OutputError(f"{self.lock_path}: the lock file keeps changing; is another run starting?")

    def _release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):  # while still holding it: a waiting run then locks a fresh file
                os.unlink(self.lock_path)
            os.close(self._lock)
            self._lock = None

    def write(self, name: str, data: str | bytes) -> None:
        """Write one file of the result set (``name`` relative, e.g. ``students/s042.json``)."""
        assert self.staging is not None, "open() first"
        path = self.staging / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666)
            with os.fdopen(fd, "wb") as file:
                file.write(data.encode("utf-8") if isinstance(data, str) else data)
        except OSError as exc:
            raise OutputError(f"{path}: cannot be written: {_reason(exc)}") from None

    def commit(self) -> None:
        """Put the staged result set in place of ``target`` (the old one is removed only afterwards)."""
        assert self.staging is not None, "open() first"
        staging, target = self.staging, self.target
        self.write(MARKER, self.kind + "\n")
        try:
            os.chmod(staging, 0o777 & ~_umask_of(target.parent))
            if not target.exists():
                os.rename(staging, target)
                old = None
            elif _exchange(staging, target):
                old = staging  # the old result now lives under the staging name
            else:
                old = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
                os.rename(target, old)
                os.rename(staging, target)
        except OSError as exc:
            raise OutputError(f"{target}: the results could not be put in place: {_reason(exc)}; "
                              f"they are complete in {staging}") from None
        finally:
            self._release()
        self.staging = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abandon(self) -> Path | None:
        """Stop without swapping: keep what was staged as ``<out>.partial-N`` beside ``--out`` and return it."""
        staging, self.staging = self.staging, None
        kept = None
        try:
            if staging is not None and not any(staging.iterdir()):
                staging.rmdir()
            elif staging is not None:
                kept = staging
                for number in range(1, 1000):
                    candidate = self.target.parent / f"{self.target.name}.partial-{number}"
                    if not candidate.exists():
                        os.rename(staging, candidate)
                        kept = candidate
                        break
        except OSError:
            pass  # a full or failing disk: the staging folder stays where it is
        finally:
            self._release()
        return kept


def _mkdtemp(target: Path) -> str:
    import tempfile

    return tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent)


def _umask_of(folder: Path) -> int:
    """The process umask, read from a freshly made folder's mode (never by setting it)."""
    probe = folder / f".umask-probe.{secrets.token_hex(6)}"
    os.mkdir(probe, 0o777)
    try:
        return 0o777 & ~stat.S_IMODE(os.stat(probe).st_mode)
    finally:
        os.rmdir(probe)
