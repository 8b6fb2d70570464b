"""The snapshot archive: <out_dir>/<county>-<YYYY>-W<ww>.pdf (+ <…>-<town_code>.pdf per
town; <county>-<from>_<to>[-<town>].pdf for other periods) and index.json describing them.

Every write is atomic — a temporary file in the same folder, fsync, os.replace — so a
re-run of a week replaces its file in one step and a reader (the 周报 page, a download)
sees the old file or the new one, never a part. The index is rewritten under an exclusive
lock (fcntl), so two producers never lose each other's entries.

register_routes(server) adds the download route the 周报 page links to.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from etl import settings

INDEX = "index.json"
ROUTE = "/snapshots/file/"
_SAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def out_dir() -> Path:
    return Path(settings.get("snapshot.out_dir") or (settings.data_dir() / "snapshots"))


def file_name(meta: dict[str, Any]) -> str:
    """<county>-<YYYY>-W<ww>[-<town_code>].pdf, or <county>-<from>_<to>[-<town_code>].pdf."""
    county = _SAFE.sub("_", str(meta["county"])).strip("_") or "county"
    when = meta.get("week") or f"{meta['from']}_{meta['to']}"
    if meta.get("bulletin"):  # 通报 (dashboard/manage/bulletin.py): <county>-通报-2026-10.pdf
        when = f"通报-{meta['bulletin']}"
    town = f"-{_SAFE.sub('_', meta['town_code'])}" if meta.get("town_code") else ""
    return f"{county}-{when}{town}.pdf"


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` is always either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".index.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_index(folder: Path | None = None) -> list[dict[str, Any]]:
    """The archive's entries, newest period first, county before its towns."""
    path = (folder or out_dir()) / INDEX
    if not path.exists():
        return []
    entries = json.loads(path.read_text(encoding="utf-8")).get("snapshots", [])
    return sorted(
        entries, key=lambda e: (e["from"], e["to"], e.get("town_code") is None), reverse=True
    )


def _write_index(folder: Path, entries: list[dict[str, Any]]) -> None:
    body = {"updated_at": datetime.now().isoformat(timespec="seconds"), "snapshots": entries}
    write_atomic(folder / INDEX, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))


def publish(pdf: bytes, meta: dict[str, Any], folder: Path | None = None) -> Path:
    """Put one rendered PDF into the archive (replacing the same period's file) and record it
    in the index. Returns the file's path."""
    folder = folder or out_dir()
    name = file_name(meta)
    path = folder / name
    with _locked(folder):
        # every archive write happens under this lock: a temporary file now is a leftover of
        # a writer that was killed mid-write
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        write_atomic(path, pdf)
        entry = {
            **{k: meta.get(k) for k in ("county", "week", "from", "to", "town_code", "town_name")},
            **{k: meta.get(k) for k in ("title", "period_label", "as_of", "generated_at")},
            "complete": meta.get("complete"),
            "file": name,
            "bytes": len(pdf),
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "deliveries": [],
        }
        entries = [e for e in read_index(folder) if e["file"] != name]
        _write_index(folder, [entry, *entries])
    return path


def record_delivery(name: str, delivery: dict[str, Any], folder: Path | None = None) -> None:
    """Append a delivery attempt's outcome (to, ok, attempts, at, error) to a file's entry."""
    folder = folder or out_dir()
    with _locked(folder):
        entries = read_index(folder)
        for e in entries:
            if e["file"] == name:
                e.setdefault("deliveries", []).append(delivery)
        _write_index(folder, entries)


def visible(entries: list[dict[str, Any]], towns: frozenset[str] | None) -> list[dict[str, Any]]:
    """The entries a viewer may open: every one for whole-county viewers (towns None); for a
    town official only their own towns' reports (the county's lists every town's cases)."""
    if towns is None:
        return entries
    return [e for e in entries if e.get("town_code") in towns]


def resolve(
    name: str, folder: Path | None = None, towns: frozenset[str] | None = None
) -> Path | None:
    """The archived file of that name, if the index lists it and the viewer (`towns`, as in
    visible()) may open it; nothing else is served."""
    folder = folder or out_dir()
    if name not in {e["file"] for e in visible(read_index(folder), towns)}:
        return None
    path = folder / name
    return path if path.is_file() else None


def register_routes(server) -> None:
    """GET /snapshots/file/<name>[?inline=1]: an archived PDF (only files the index lists and
    the viewer may open)."""
    from flask import abort, request, send_file

    from dashboard.auth import access

    def download(name: str):
        viewer = access.current()
        if viewer.denied:
            abort(401)
        path = resolve(name, towns=viewer.towns)
        if path is None:
            abort(404)
        return send_file(
            path,
            mimetype="application/pdf",
            as_attachment=request.args.get("inline") is None,
            download_name=name,
            max_age=0,
        )

    server.add_url_rule(
        ROUTE + "<path:name>", endpoint="snapshot_file", view_func=download, methods=["GET"]
    )
