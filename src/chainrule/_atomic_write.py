"""The crash-safe writer: `atomic_write` writes a file through a temporary file beside it,
flushed, fsync'ed and renamed over the target, so a crash leaves the previous file intact.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; stale temporary files go by age
    fcntl = None


def names_directory(path) -> bool:
    """Whether ``path`` ends in a separator (``"runs/"``), or in ``.`` or ``..``
    (``"runs/."``, which Path would make ``runs``): a directory, never a file."""
    text = os.fsdecode(path)
    ends = text.endswith(tuple(sep for sep in (os.sep, os.altsep, "/") if sep))
    return ends or os.path.basename(text) in (".", "..")


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")  # mkstemp's 8 characters
_NAME_MAX = 255  # bytes in a file name on Linux and macOS (Windows counts 255 characters)
_RANDOM_PART = len(".") + len(".12345678.tmp")  # either side of the stem in a temporary name


def _temporary_stem(name: str) -> str:
    """What the temporary file of ``name`` is called before its random part: ``name``
    itself, unless that would make a temporary name over 255 bytes (a name of 242 to 255
    bytes); then the start of ``name`` and ``~`` with 16 hex digits of its SHA-256, so
    that a killed writer's file is still known as this name's."""
    if len(os.fsencode(name)) + _RANDOM_PART <= _NAME_MAX:
        return name
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    head = name
    while len(os.fsencode(f"{head}~{digest}")) + _RANDOM_PART > _NAME_MAX:
        head = head[:-1]  # whole characters: an escaped byte is one character too
    return f"{head}~{digest}"


def temporary_target(name: str) -> str | None:
    """The stem (`_temporary_stem`) of the file whose temporary ``name`` is, as
    `atomic_write` names them (``.<stem>.<8 random characters>.tmp``); None for any other
    name. The stem is the file's own name unless that name is 242 bytes or longer."""
    match = _TEMPORARY.fullmatch(name)
    return match["name"] if match else None


def _mode_for(path: Path) -> int:
    """The permissions a plain ``open(path, "wb")`` gives: those of the file it replaces,
    else 0666 less the process's umask (read now, not at import)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux tells it without changing it
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_STALE_AFTER = 60.0  # seconds: without file locks, a temporary file this old has no writer


def _lock(fd: int) -> bool:
    """Take an exclusive lock on our own new temporary file (True), where the platform
    has ``flock``; a writer's lock dies with its process, so a killed writer's file is
    unlocked at once."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a file system without locks: fall back to the age rule
        return False
    return True


_UNLOCKED_AFTER = 1.0  # seconds: a live writer locks its file microseconds after making it


def _abandoned(stale: Path) -> bool:
    """Whether no live writer holds ``stale``: it is unlocked and a second old (where locks
    exist: the second covers the moment between creating a file and locking it), or
    untouched for a minute."""
    age = time.time() - stale.stat().st_mtime
    if fcntl is not None:
        if age <= _UNLOCKED_AFTER:
            return False
        try:
            fd = os.open(stale, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True  # nobody holds it; our lock goes with the file
        except OSError:
            return False  # a writer is at work on it
        finally:
            os.close(fd)
    return age > _STALE_AFTER


def _remove_stale(path: Path) -> None:
    """Delete temporary files that a killed writer left beside ``path``: exactly
    ``.<stem>.<8 mkstemp characters>.tmp`` and held by no live writer. Best effort: a file
    that cannot be removed is left, and the save that just succeeded stays a success."""
    stem = _temporary_stem(path.name)
    for stale in path.parent.glob(f".{glob.escape(stem)}.*.tmp"):
        try:
            if temporary_target(stale.name) == stem and _abandoned(stale):
                stale.unlink()
        except OSError:
            pass


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file + fsync + rename.

    The temporary file is ``.<name>.<8 random characters>.tmp`` beside ``path``; for a name
    too long to take those 14 bytes more (`_temporary_stem`) it is shorter, so that every
    name the system allows can be written (a longer one fails at the rename, naming it).
    The file gets the permissions a plain ``open(path, "wb")`` would give (the replaced
    file's, else 0666 less the umask). Temporary files a killed process left beside
    ``path`` are removed after the rename succeeds. A path ending in a separator names a
    directory, as for ``open``: an IsADirectoryError (Path would drop the separator), as
    does one ending in ``.`` or ``..``; an empty path is a FileNotFoundError, as for
    ``open`` (Path would make it ``.``). The path may be a str, bytes or an os.PathLike."""
    if not os.fsdecode(path):
        raise FileNotFoundError(errno.ENOENT, "cannot write '': the path is empty")
    if names_directory(path):
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write {os.fsdecode(path)}: the path names a directory"
        )
    path = Path(os.fsdecode(path))
    try:
        stem = _temporary_stem(path.name)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{stem}.", suffix=".tmp")
    except OSError as e:  # name the file asked for, not the temporary one
        raise type(e)(e.errno, f"cannot write {path}: {e.strerror}") from None
    locked = _lock(fd)  # first: held until closed, so other savers see a live writer
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if locked:  # rename while still holding the lock (POSIX allows it)
                os.replace(tmp, path)
        if not locked:
            os.replace(tmp, path)
    except BaseException as e:  # also KeyboardInterrupt: never leave the temporary file behind
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename == tmp:  # the rename: name the path asked for
            raise type(e)(e.errno, f"cannot write {path}: {e.strerror}") from None
        raise
    _fsync_dir(path.parent)
    _remove_stale(path)
    return path
