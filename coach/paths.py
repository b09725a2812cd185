"""Telling regular files from FIFOs, devices and sockets, which folder walks must not open.

Reading a FIFO blocks until someone writes to it (forever, in a folder of exports) and
/dev/zero never ends; both report a size of 0, so size limits alone do not catch them.
"""

from __future__ import annotations

import os
import stat


def special_kind(path: str) -> str | None:
    """What a path is when it is not a regular file (reading a FIFO blocks forever, /dev/zero never
    ends), or None for a regular file; follows symlinks."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # gone or unreadable: opening it reports why
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
