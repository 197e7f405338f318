"""Secret files (keys, the services' own secrets): written whole, readable by the owner only,
created once even when several processes start at the same moment.

Every secret file of the platform goes through here, so there is one race strategy: an
exclusive lock on the folder around "create if absent", and a rename into place so a reader
never sees half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ("locked_folder", "secret_once", "write_secret")


@contextlib.contextmanager
def locked_folder(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (created 0700), shared by every process."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def write_secret(path: Path, data: bytes) -> None:
    """Write ``data`` with mode 0600 and rename into place, so a reader never sees half a key."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def secret_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The content of ``path``, written from ``make()`` first if the file is absent.

    Racing processes agree: whoever takes the folder's lock first writes, the others read
    what it wrote."""
    if not path.exists():
        with locked_folder(path.parent):
            if not path.exists():
                write_secret(path, make())
    return path.read_bytes()
