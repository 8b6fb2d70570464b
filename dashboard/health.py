"""Health of the served data, for monitoring: `GET /healthz` (no login) and `pulse status`.

One function, `check()`, gives both: the published store generation, 数据截至 (as_of), the
data's age and a status — ok, stale (数据截至 older than health.stale_hours) or empty
(nothing loaded). HTTP 200 for ok, 503 otherwise, so a load balancer or a cron job needs
nothing but the status code.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from etl import publish, settings

PATH = "/healthz"


def check(store: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The health report (JSON-ready)."""
    from dashboard.store import StoreEmpty

    now = (now or datetime.now()).replace(microsecond=0)
    stale_hours = float(settings.get("health.stale_hours"))
    published = settings.store_path(store)
    report: dict[str, Any] = {
        "status": "empty",
        "generation": None,
        "published_at": None,
        "as_of": None,
        "data_age_hours": None,
        "stale_hours": stale_hours,
        "checked_at": now.isoformat(sep=" "),
    }
    generation = publish.current_file(published)
    if generation is None:
        return report
    reader = _reader(published)
    try:
        meta = reader.meta()
    except StoreEmpty:
        return report
    report["generation"] = generation.name
    report["published_at"] = meta.get("published_at")
    as_of = meta.get("as_of")
    if not as_of:  # loaded, but no case, ticket or evaluation yet
        return report
    age = (now - datetime.fromisoformat(as_of)).total_seconds() / 3600
    report.update(
        as_of=as_of,
        data_age_hours=round(age, 1),
        status="ok" if age <= stale_hours else "stale",
    )
    return report


_READERS: dict[str, Any] = {}


def _reader(published):
    """A reader of the store's own metadata (its generation and 数据截至: no town's figures
    or rows), kept per store; it reads as SYSTEM because /healthz answers without a login."""
    from dashboard.auth.access import SYSTEM
    from dashboard.store import Store

    key = str(published)
    if key not in _READERS:
        _READERS[key] = Store(published, cache_mb=0, access=SYSTEM)
    return _READERS[key]


def http_status(report: dict[str, Any]) -> int:
    return 200 if report["status"] == "ok" else 503


def register_routes(server) -> None:
    """GET /healthz on the Flask server. It reveals no figures, only the data's freshness;
    the login gate exempts it."""
    from flask import Response

    @server.get(PATH)
    def healthz() -> Response:
        try:
            report = check()
        except Exception as exc:  # a broken store is an answer, not a 500
            server.logger.exception("health check failed")
            report = {"status": "error", "error": type(exc).__name__}
        return Response(
            json.dumps(report, ensure_ascii=False),
            status=http_status(report) if report["status"] != "error" else 503,
            mimetype="application/json",
            headers={"Cache-Control": "no-store"},
        )
