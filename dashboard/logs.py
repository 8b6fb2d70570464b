"""Log files of the dashboard: access.log and error.log in settings.log_dir(), rotated, each
line carrying the request id (the app sets flask.g.request_id and the X-Request-ID header).

Several gunicorn worker processes write the same files. A plain RotatingFileHandler would
rotate once per process and lose lines, so `SharedRotatingFileHandler` appends with
O_APPEND under an flock on `<file>.lock` and reopens the file when another process rotated
it. Standard library only: gunicorn's master imports this before it forks the workers, and
the master must not start threads (see `pulse serve`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from etl import settings

# gunicorn's access line: request id first (from the response header the app sets), then
# the combined log format, the forwarded-for chain (behind nginx %(h)s is the proxy) and
# the time taken in milliseconds.
ACCESS_FORMAT = (
    '%({x-request-id}o)s %(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s '
    '"%(f)s" "%(a)s" %(M)sms'
)
ERROR_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(request_id)s %(name)s: %(message)s"


_SECRET_PARAMS = re.compile(r"((?:^|[?&])(?:token|password)=)[^&\s\"]*")


def redact(text: str) -> str:
    """A URL or request line with the values of secret parameters (a wall device's token)
    replaced: logs are read by more people than the devices' owners."""
    return _SECRET_PARAMS.sub(r"\1***", text)


class RedactFilter(logging.Filter):
    """Redacts secret query parameters in gunicorn's access records (request line, query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args  # gunicorn's own mapping (missing atoms read as "-"): edit in place
        if isinstance(atoms, dict):
            for key in ("r", "q", "f", "{raw_uri}e", "{query_string}e"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact(atoms[key])
        return True


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: flask.g.request_id inside a request, else "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def current_request_id() -> str:
    flask = sys.modules.get("flask")  # never import Flask here: the master has none
    if flask is None:
        return "-"
    try:
        if flask.has_request_context():
            return str(getattr(flask.g, "request_id", None) or "-")
    except Exception:  # a log line must never fail on its decoration
        return "-"
    return "-"


class SharedRotatingFileHandler(logging.Handler):
    """Appends to `filename` from any number of processes; rotates daily (into
    `<name>.YYYY-MM-DD`) or by size (into `<name>.1`, `.2`, …), keeping `keep` old files."""

    def __init__(
        self,
        filename: str | os.PathLike,
        rotate: str = "daily",
        max_bytes: int = 100 * 2**20,
        keep: int = 30,
        encoding: str = "utf-8",
    ):
        super().__init__()
        if rotate not in ("daily", "size"):
            raise ValueError(f"logs.rotate must be daily or size, not {rotate!r}")
        self.path = Path(filename)
        self.rotate, self.max_bytes, self.keep, self.encoding = rotate, max_bytes, keep, encoding
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._pid: int | None = None
        self._fd = self._lock_fd = -1

    # a forked worker inherits the parent's descriptors; an flock on an inherited descriptor
    # is the parent's lock too, so every process opens its own
    def _ensure_open(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock_fd = os.open(
                self.path.with_name(self.path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o640
            )
            self._fd = -1
        try:
            on_disk = os.stat(self.path).st_ino
        except FileNotFoundError:
            on_disk = None
        if self._fd < 0 or on_disk != os.fstat(self._fd).st_ino:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode(self.encoding, "replace")
            self._ensure_open()
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                self._ensure_open()  # another process may have rotated meanwhile
                if self._due(len(data)):
                    self._do_rotate()
                    self._ensure_open()
                os.write(self._fd, data)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        except Exception:  # logging's own contract
            self.handleError(record)

    def _due(self, incoming: int) -> bool:
        stat = os.fstat(self._fd)
        if stat.st_size == 0:
            return False
        if self.rotate == "size":
            return stat.st_size + incoming > self.max_bytes
        return date.fromtimestamp(stat.st_mtime) < date.today()

    def _do_rotate(self) -> None:
        if self.rotate == "daily":
            day = date.fromtimestamp(os.fstat(self._fd).st_mtime).isoformat()
            target = self.path.with_name(f"{self.path.name}.{day}")
            n = 1
            while target.exists():  # the clock went back: never overwrite a day's file
                target = self.path.with_name(f"{self.path.name}.{day}.{n}")
                n += 1
            os.rename(self.path, target)
            old = sorted(self.path.parent.glob(self.path.name + ".????-??-??*"))
        else:
            for n in range(self.keep - 1, 0, -1):
                src = self.path.with_name(f"{self.path.name}.{n}")
                if src.exists():
                    os.rename(src, self.path.with_name(f"{self.path.name}.{n + 1}"))
            os.rename(self.path, self.path.with_name(f"{self.path.name}.1"))
            old = sorted(
                self.path.parent.glob(self.path.name + ".*"),
                key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0,
            )
            old = [p for p in old if p.suffix[1:].isdigit()]
        for stale in old[: max(0, len(old) - self.keep)]:
            stale.unlink(missing_ok=True)

    def close(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd >= 0 and self._pid == os.getpid():
                os.close(fd)
        self._fd = self._lock_fd = -1
        super().close()


def _handler(name: str) -> dict[str, Any]:
    return {
        "()": "dashboard.logs.SharedRotatingFileHandler",
        "filename": str(settings.log_dir() / name),
        "rotate": str(settings.get("logs.rotate")),
        "max_bytes": int(float(settings.get("logs.max_mb")) * 2**20),
        "keep": int(settings.get("logs.keep")),
        "filters": ["request_id"],
    }


def gunicorn_logconfig() -> dict[str, Any]:
    """logging.config.dictConfig for gunicorn (its `logconfig_dict`): access.log; error.log
    (gunicorn's own messages and every logger of the app), also echoed to stderr."""
    level = str(settings.get("logs.level")).upper()
    error_file = {**_handler("error.log"), "formatter": "error"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "dashboard.logs.RequestIdFilter"},
            "redact": {"()": "dashboard.logs.RedactFilter"},
        },
        "formatters": {
            "error": {"format": ERROR_FORMAT},
            "access": {"format": "%(message)s"},
        },
        "handlers": {
            "error_file": error_file,
            "access_file": {
                **_handler("access.log"),
                "formatter": "access",
                "filters": ["request_id", "redact"],
            },
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "error",
                "filters": ["request_id"],
            },
        },
        "root": {"level": level, "handlers": ["error_file", "console"]},
        "loggers": {
            "gunicorn.error": {
                "level": level,
                "handlers": ["error_file", "console"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "INFO", "handlers": ["access_file"], "propagate": False},
        },
    }
