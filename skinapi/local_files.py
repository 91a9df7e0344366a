"""Reading a file a person named: regular files only, never waiting on a named pipe, and never
more than a cap, so a FIFO, a device or a file that keeps growing cannot hang a command or fill
its memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def not_a_file(mode: int) -> str | None:
    """Why something with this `st_mode` is not read as a file; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a named pipe"
    else:
        kind = "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"{kind}, not a file"


def read_capped(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """At most `limit` + 1 bytes of the regular file at `path` (one more than the cap, so the
    caller can tell a file over it and say so). Anything else raises OSError whose `strerror`
    says what it is."""
    # Opening a FIFO would wait for a writer for ever. (Windows has neither flag nor FIFOs.)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        if problem := not_a_file(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, problem)
        return handle.read(limit + 1)
