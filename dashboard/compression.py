"""Compressed answers (issue 16): brotli or gzip, as the browser says it accepts.

Chromium asks for brotli only over HTTPS; over plain HTTP on an intranet it gets gzip.
Scripts and styles are the same bytes for every visitor, so each worker compresses each of
them once and keeps the result (the bundles are fixed while the server runs: they change
with an upgrade, which restarts it). Data answers (pages, callbacks, exports' JSON) are
compressed per request and never kept. Files the browser already has are answered with
304 before anything is compressed (the gate's cache headers, Dash's and Flask's ETags).

The setting serve.compress turns it off, for a reverse proxy that compresses already.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, Request, Response, request

from etl import settings

UNCACHED = "-"  # the cache key of an answer that is not kept
MAX_KEPT = 256  # compressed static files one worker keeps (the product has about 40)


class StaticCache:
    """flask-compress's cache: keeps only static files' compressed bytes (key ≠ UNCACHED)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";" + UNCACHED):
            return None
        return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + UNCACHED):
            return
        with self._lock:
            if key in self._data or len(self._data) < MAX_KEPT:
                self._data[key] = value


def cache_key(req: Request, assets: Path) -> str:
    """A static file's identity: its path without Dash's fingerprint (the same bytes under
    every fingerprint), and for an asset its modification time; anything else: not kept."""
    path = req.path
    if path.startswith("/_dash-component-suites/"):
        from dash.fingerprint import check_fingerprint

        return check_fingerprint(path)[0]
    if path.startswith("/assets/"):
        try:
            stat = (assets / path.removeprefix("/assets/")).stat()
        except (OSError, ValueError):
            return UNCACHED
        return f"{path}@{stat.st_mtime_ns}"
    return UNCACHED


def _buffer_static(response: Response) -> Response:
    """Flask sends asset files as a stream, which flask-compress would compress anew for
    every visitor; read into memory instead, they take the cached path."""
    if (
        response.status_code == 200
        and response.is_streamed
        and request.path.startswith("/assets/")
        and response.mimetype in ("text/css", "text/javascript", "application/javascript")
    ):
        response.direct_passthrough = False
        response.make_sequence()
    return response


def install(server: Flask, assets: Path) -> None:
    """Compress the server's answers (unless serve.compress is off); `assets` is the folder
    Dash serves under /assets/."""
    if not settings.get("serve.compress"):
        return
    from flask_compress import Compress

    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "gzip"],
        COMPRESS_BR_LEVEL=5,  # measured: 5 is within 5 % of 9 on the bundles, 2-3× faster
        COMPRESS_LEVEL=6,
        COMPRESS_MIN_SIZE=500,
        COMPRESS_CACHE_BACKEND=StaticCache,
        COMPRESS_CACHE_KEY=lambda req: cache_key(req, assets),
    )
    Compress(server)
    # after_request functions run in reverse order: this one before flask-compress's
    server.after_request(_buffer_static)
