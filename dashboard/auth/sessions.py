"""Server-side sessions: the cookie holds a random value, the app database its SHA-256.

A session ends when its user logs out, is disabled or changes password, or — for people —
after auth.session_idle_hours without a request. Wall devices have no idle timeout.
Internal tokens are the one-time credentials of the weekly PDF job's page renderer.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from dashboard.auth import accounts, appdb
from etl import settings

COOKIE = "pulse_session"
TOUCH_SECONDS = 60  # last_seen_at is written at most this often per session


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    user: accounts.User
    via: str


def create(user: accounts.User, address: str | None, via: str) -> str:
    """A new session for `user`; returns the cookie value (never stored)."""
    value = secrets.token_urlsafe(32)
    idle = 0 if user.role == "wall" else int(float(settings.get("auth.session_idle_hours")) * 3600)
    stamp = appdb.now()
    with appdb.transaction() as con:
        con.execute(
            "insert into sessions (id_hash, user_name, created_at, last_seen_at, idle_seconds, "
            "address, via) values (?, ?, ?, ?, ?, ?, ?)",
            (_hash(value), user.name, stamp, stamp, idle, address, via),
        )
    return value


def lookup(value: str | None) -> Session | None:
    """The live session of a cookie value, or None (unknown, expired, user disabled)."""
    if not value or len(value) > 100:
        return None
    con = appdb.connect()
    row = con.execute(
        "select s.id_hash, s.last_seen_at, s.idle_seconds, s.via, u.* "
        "from sessions s join users u on u.name = s.user_name where s.id_hash = ?",
        (_hash(value),),
    ).fetchone()
    if row is None:
        return None
    now = datetime.now()
    seen = datetime.fromisoformat(row["last_seen_at"])
    if row["disabled"] or (
        row["idle_seconds"] and now - seen > timedelta(seconds=row["idle_seconds"])
    ):
        with appdb.transaction() as tx:
            tx.execute("delete from sessions where id_hash = ?", (row["id_hash"],))
        return None
    if (now - seen).total_seconds() >= TOUCH_SECONDS:
        with appdb.transaction() as tx:
            tx.execute(
                "update sessions set last_seen_at = ? where id_hash = ?",
                (appdb.now(), row["id_hash"]),
            )
    return Session(accounts._user(row), row["via"])


def end(value: str | None) -> None:
    if value:
        with appdb.transaction() as con:
            con.execute("delete from sessions where id_hash = ?", (_hash(value),))


def purge_expired() -> int:
    """Drop sessions past their idle timeout (run now and then; lookups also expire them)."""
    with appdb.transaction() as con:
        return con.execute(
            "delete from sessions where idle_seconds > 0 and "
            "datetime(last_seen_at, '+' || idle_seconds || ' seconds') < datetime(?)",
            (appdb.now(),),
        ).rowcount


# --- the PDF job's one-time credential ------------------------------------------------------

JOB_HEADER = "X-Pulse-Job"


def issue_job_token(minutes: int = 60) -> str:
    """A credential for one run of the PDF job's renderer (its private or a running server);
    only its hash is stored, and it ends with the run (revoke_job_token) or after `minutes`."""
    value = secrets.token_urlsafe(32)
    until = (datetime.now() + timedelta(minutes=minutes)).isoformat(sep=" ", timespec="seconds")
    with appdb.transaction() as con:
        con.execute("delete from internal_tokens where expires_at < ?", (appdb.now(),))
        con.execute(
            "insert into internal_tokens (token_hash, purpose, expires_at) values (?, 'report', ?)",
            (_hash(value), until),
        )
    return value


def job_token_valid(value: str | None) -> bool:
    if not value or len(value) > 100:
        return False
    row = (
        appdb.connect()
        .execute(
            "select 1 from internal_tokens where token_hash = ? and expires_at >= ?",
            (_hash(value), appdb.now()),
        )
        .fetchone()
    )
    return row is not None


def revoke_job_token(value: str) -> None:
    with appdb.transaction() as con:
        con.execute("delete from internal_tokens where token_hash = ?", (_hash(value),))
