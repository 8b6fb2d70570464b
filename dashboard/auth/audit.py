"""The audit trail: who signed in (or failed to), who exported or looked at case rows, who
changed an account. Append-only rows in the app database, kept audit.retention_days (at
least 180: 网络安全法 art. 21 asks for six months of logs).

The actor is the current viewer (dashboard/auth/access.py); the address and request id of
the running request come from the gate through `bind_request`. The CLI records as the
machine's user.
"""

from __future__ import annotations

import contextlib
import getpass
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dashboard.auth import appdb
from dashboard.auth.access import Access, current

MIN_RETENTION_DAYS = 180

ACTIONS: dict[str, str] = {
    "login": "登录成功",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "export": "导出",
    "view_rows": "查看明细",
    "user_change": "账号变更",
    "denied": "拒绝访问",
    "snapshot": "生成周报",  # an admin asked for last week's report (the 周报 page)
}


@dataclass(frozen=True)
class RequestInfo:
    address: str | None
    request_id: str | None


_request: ContextVar[RequestInfo | None] = ContextVar("pulse_request", default=None)


def bind_request(address: str | None, request_id: str | None):
    return _request.set(RequestInfo(address, request_id))


def unbind_request(token=None) -> None:
    if token is not None:
        _request.reset(token)
    else:
        _request.set(None)


def request_info() -> RequestInfo | None:
    """The running request's address and id (to carry into work that outlives it, such as
    a streamed download)."""
    return _request.get()


@contextlib.contextmanager
def requesting(info: RequestInfo | None) -> Iterator[None]:
    token = _request.set(info)
    try:
        yield
    finally:
        _request.reset(token)


def record(
    action: str,
    detail: dict[str, Any] | None = None,
    rows: int | None = None,
    *,
    user: str | None = None,
    access: Access | None = None,
) -> None:
    """Append one row. `user` names the account when nobody is signed in yet (a login)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    viewer = access or current()
    info = _request.get()
    if info is None:  # the command line
        actor = user or viewer.user
        if user is None and viewer.user == "system":
            actor = f"{getpass.getuser()}@cli"
        address, request_id = "cli", None
    else:
        actor = user or viewer.user
        address, request_id = info.address, info.request_id
    with appdb.transaction() as con:
        con.execute(
            "insert into audit (at, user_name, role, address, action, detail, rows, request_id) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                appdb.now(),
                actor,
                viewer.role,
                address,
                action,
                json.dumps(detail or {}, ensure_ascii=False, default=str, sort_keys=True),
                rows,
                request_id,
            ),
        )
    _purge_now_and_then()


def retention_days() -> int:
    from etl import settings

    return max(int(settings.get("audit.retention_days")), MIN_RETENTION_DAYS)


_last_purge: list[date] = []


def _purge_now_and_then() -> None:
    today = date.today()
    if _last_purge and _last_purge[0] == today:
        return
    _last_purge[:] = [today]
    purge()


def purge() -> int:
    """Delete rows older than the retention; returns how many."""
    cutoff = datetime.now() - timedelta(days=retention_days())
    with appdb.transaction() as con:
        return con.execute(
            "delete from audit where at < ?", (cutoff.isoformat(sep=" ", timespec="seconds"),)
        ).rowcount


def query(
    since: date | None = None,
    until: date | None = None,
    user: str | None = None,
    action: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Audit rows, newest first, filtered; every value a bound parameter."""
    where, params = _where(since, until, user, action)
    sql = (
        "select id, at, user_name, role, address, action, detail, rows, request_id "
        f"from audit where {where} order by id desc"
    )
    if limit is not None:
        sql += " limit ? offset ?"
        params += [int(limit), int(offset)]
    return [dict(r) for r in appdb.connect().execute(sql, params).fetchall()]


def count(
    since: date | None = None,
    until: date | None = None,
    user: str | None = None,
    action: str | None = None,
) -> int:
    where, params = _where(since, until, user, action)
    return (
        appdb.connect().execute(f"select count(*) from audit where {where}", params).fetchone()[0]
    )


def _where(since, until, user, action) -> tuple[str, list[Any]]:
    parts, params = ["1 = 1"], []
    if since:
        parts.append("at >= ?")
        params.append(since.isoformat())
    if until:
        parts.append("at < ?")
        params.append((until + timedelta(days=1)).isoformat())
    if user:
        parts.append("user_name = ?")
        params.append(user)
    if action:
        parts.append("action = ?")
        params.append(action)
    return " and ".join(parts), params
