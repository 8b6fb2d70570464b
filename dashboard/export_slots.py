"""Limits on exports running at once: one per user, export.max_concurrent in all.

Several server processes serve exports, so the limits are file locks (fcntl) in the data
folder: a slot is held while a file is produced and sent, and the kernel frees it when its
holder ends, even a killed one. Nothing waits: a busy slot is a 429 with a message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from dashboard.errors import TooBusy
from etl import settings


def _folder() -> Path:
    folder = settings.data_dir() / "run" / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    return folder


def _try_lock(path: Path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


class Slot:
    """One export's right to run; release() (idempotent) gives it back."""

    def __init__(self, fds: list[int]):
        self._fds = fds

    def release(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            _release(fd)


def acquire(user: str) -> Slot:
    """A slot for `user`, or TooBusy with the reason in Chinese."""
    folder = _folder()
    mine = _try_lock(folder / f"user-{hashlib.sha256(user.encode()).hexdigest()[:16]}.lock")
    if mine is None:
        raise TooBusy("您已有一个导出正在进行,请等它完成后再导出")
    for n in range(max(int(settings.get("export.max_concurrent")), 1)):
        shared = _try_lock(folder / f"slot-{n}.lock")
        if shared is not None:
            return Slot([shared, mine])
    _release(mine)
    raise TooBusy("当前同时进行的导出已达上限,请稍后再试")


@contextlib.contextmanager
def held(user: str) -> Iterator[Slot]:
    slot = acquire(user)
    try:
        yield slot
    finally:
        slot.release()
