"""Opening files that may come from strangers: regular files only.

A device (/dev/zero, /dev/urandom) reads without end and a named pipe blocks until someone
writes to it, so a path given as a checkpoint or a data file could hang a reader or fill
its memory. `open_regular` opens without blocking, checks the file type, and only then
hands back a file object; the readers also never read past the size the file had.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def open_regular(path) -> tuple[BinaryIO, int]:
    """``(binary file object, size in bytes)`` for a regular file; for anything else an
    OSError (EINVAL) saying it is not a regular file."""
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "not a regular file (a device, pipe or directory)"
            raise OSError(errno.EINVAL, what, os.fspath(path))
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def read_regular(path) -> bytes:
    """All bytes of a regular file, never more than its size when opened."""
    fh, size = open_regular(path)
    with fh:
        return fh.read(size)
