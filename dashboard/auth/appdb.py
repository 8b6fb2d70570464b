"""The app database: users, sessions, the audit log and the management records (issue 17).

SQLite in WAL mode through the standard library, beside the store (settings.app_db_path()).
Several gunicorn workers and the CLI write to it at once: WAL lets readers go on while one
writer writes, and a busy timeout queues writers instead of failing them. The published
DuckDB generations stay read-only; everything people change lives here.

Connections are per thread and per process: a connection is never used across a fork or
by two threads. The schema is a list of migrations applied in order, once per file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from etl import settings

FILE_MODE = 0o640
DIR_MODE = 0o750

# Append only: a migration, once released, never changes (stores in the field have run it).
# Statements are split on ';', so comments inside them never contain one.
MIGRATIONS: tuple[str, ...] = (
    """
    create table users (
        name text primary key,
        role text not null check (role in ('admin', 'county', 'town', 'wall')),
        towns text not null default '[]',          -- JSON list of town codes
        password_hash text,                         -- argon2id, null for wall devices
        token_hash text,                            -- sha256 of a wall device's token
        disabled integer not null default 0,
        failed_logins integer not null default 0,
        locked_until text,
        demo integer not null default 0,
        created_at text not null,
        updated_at text not null,
        last_login_at text
    );
    create unique index users_token on users(token_hash) where token_hash is not null;
    create table sessions (
        id_hash text primary key,                   -- sha256 of the cookie's value
        user_name text not null references users(name) on delete cascade,
        created_at text not null,
        last_seen_at text not null,
        idle_seconds integer not null,              -- 0: no idle timeout (wall devices)
        address text,
        via text not null                           -- password | token | proxy
    );
    create index sessions_user on sessions(user_name);
    create table audit (
        id integer primary key,
        at text not null,
        user_name text,
        role text,
        address text,
        action text not null,
        detail text not null default '{}',          -- JSON
        rows integer,
        request_id text
    );
    create index audit_at on audit(at);
    create index audit_user on audit(user_name, at);
    create table internal_tokens (
        token_hash text primary key,
        purpose text not null,
        expires_at text not null
    );
    create table app_meta (key text primary key, value text);
    """,
    # the management loop (issue 17): dashboard/manage/, docs/management.md
    """
    create table notify_subscriptions (
        id integer primary key,
        name text not null,
        channel text not null check (channel in ('email', 'wecom', 'dingtalk')),
        target text not null,                       -- e-mail address or webhook URL
        secret text,                                -- 钉钉 robot signing secret (加签)
        user_name text,                             -- a town account: its towns when sending
        towns text not null default '[]',           -- JSON list of town codes
        county_wide integer not null default 0,     -- every town (never implied)
        kinds text not null default '[]',           -- JSON: warning, overdue, hotline, threshold
        enabled integer not null default 1,
        created_at text not null,
        created_by text
    );
    create table notify_log (
        id integer primary key,
        recipient text not null,                    -- channel:target
        kind text not null,                         -- case | ticket | threshold
        record_id text not null,
        state text not null,                        -- warning | overdue | hotline_overdue | below:…
        town_code text,
        status text not null default 'pending'
            check (status in ('pending', 'sent', 'expired')),
        attempts integer not null default 0,
        last_error text,
        first_at text not null,
        last_attempt_at text,
        sent_at text,
        unique (recipient, kind, record_id, state)
    );
    create index notify_log_status on notify_log(recipient, status);
    create table audit_draws (
        month text not null,                        -- YYYY-MM
        case_id text not null,
        town_code text not null,
        dept_name text not null,
        window_name text,
        item_name text,
        channel text,
        accepted_at text,
        completed_at text,
        status text,
        position integer not null,                  -- order within the department
        drawn_at text not null,
        drawn_by text not null,
        primary key (month, case_id)
    );
    create index audit_draws_town on audit_draws(month, town_code, dept_name);
    create table audit_checks (
        month text not null,
        case_id text not null,
        check_name text not null,
        result text not null check (result in ('合格', '不合格')),
        note text not null default '',
        checked_by text not null,
        checked_at text not null,
        primary key (month, case_id, check_name),
        foreign key (month, case_id) references audit_draws(month, case_id)
    );
    create table ledger_items (
        id integer primary key,
        source text not null,                       -- figure, list, outside, review, audit …
        problem text not null,
        rows_href text,                             -- the rows behind it (a path of this site)
        town_code text,                             -- null: a county-level department
        dept_name text,
        indicator text,
        period_from text,
        period_to text,
        ref text,                                   -- case, evaluation or ticket id, audit check
        workdays integer not null,
        deadline text not null,                     -- the last working day (YYYY-MM-DD)
        status text not null default '待整改' check (status in ('待整改', '整改中', '已销号')),
        opened_at text not null,
        opened_by text not null,
        updated_at text not null,
        closed_at text,
        closed_by text
    );
    create index ledger_town on ledger_items(town_code, status);
    create table ledger_steps (
        id integer primary key,
        item_id integer not null references ledger_items(id),
        status text not null,
        note text not null default '',
        by_user text not null,
        by_role text,
        at text not null
    );
    create index ledger_steps_item on ledger_steps(item_id);
    create table explanations (
        month text not null,
        town_code text not null,
        dept_name text not null,
        window_name text not null default '',       -- empty: the department as a whole
        text text not null,
        by_user text not null,
        at text not null,
        primary key (month, town_code, dept_name, window_name)
    );
    """,
    # issue 18: city and county levels. SQLite cannot change a CHECK, so users is rebuilt:
    # its sessions are kept aside meanwhile (dropping users cascades to them).
    """
    create table users_next (
        name text primary key,
        role text not null check (role in ('admin', 'city', 'county', 'town', 'wall')),
        towns text not null default '[]',
        password_hash text,
        token_hash text,
        disabled integer not null default 0,
        failed_logins integer not null default 0,
        locked_until text,
        demo integer not null default 0,
        created_at text not null,
        updated_at text not null,
        last_login_at text,
        counties text not null default '[]'         -- JSON list of 6-digit county codes
    );
    insert into users_next (name, role, towns, password_hash, token_hash, disabled,
        failed_logins, locked_until, demo, created_at, updated_at, last_login_at)
    select name, role, towns, password_hash, token_hash, disabled, failed_logins,
        locked_until, demo, created_at, updated_at, last_login_at
    from users;
    create temp table sessions_kept as select * from sessions;
    drop table users;
    alter table users_next rename to users;
    create unique index users_token on users(token_hash) where token_hash is not null;
    insert into sessions select * from sessions_kept;
    drop table sessions_kept;
    """,
)

_local = threading.local()
_migrated: set[tuple[str, int]] = set()
_migrate_lock = threading.Lock()


def path() -> Path:
    return settings.app_db_path()


def now() -> str:
    return datetime.now().isoformat(sep=" ", timespec="seconds")


def _restrict(p: Path) -> None:
    for f in (p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(f, FILE_MODE)


def _open(p: Path) -> sqlite3.Connection:
    p.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        os.chmod(p.parent, DIR_MODE)
    old = os.umask(0o027)
    try:
        con = sqlite3.connect(p, timeout=15, isolation_level=None, check_same_thread=True)
        con.execute("pragma journal_mode=wal")
    finally:
        os.umask(old)
    con.row_factory = sqlite3.Row
    con.execute("pragma synchronous=normal")
    con.execute("pragma foreign_keys=on")
    con.execute("pragma busy_timeout=15000")
    _restrict(p)
    _migrate(con, p)
    return con


def _migrate(con: sqlite3.Connection, p: Path) -> None:
    key = (str(p), os.getpid())
    if key in _migrated:
        return
    with _migrate_lock:
        con.execute("begin immediate")
        try:
            version = con.execute("pragma user_version").fetchone()[0]
            for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, sql.split(";")):
                    con.execute(statement)
                con.execute(f"pragma user_version = {int(number)}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        _migrated.add(key)


def connect() -> sqlite3.Connection:
    """This thread's connection to the app database (opened and migrated on first use)."""
    p = path().resolve()
    key = (str(p), os.getpid())
    cons = getattr(_local, "cons", None)
    if cons is None or getattr(_local, "pid", None) != os.getpid():
        cons = _local.cons = {}
        _local.pid = os.getpid()
    con = cons.get(key)
    if con is None:
        con = cons[key] = _open(p)
    return con


@contextlib.contextmanager
def transaction() -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE: writers queue on the busy timeout)."""
    con = connect()
    con.execute("begin immediate")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def close_all() -> None:
    """Close this thread's connections (before a fork, or at the end of a command)."""
    for con in (getattr(_local, "cons", None) or {}).values():
        con.close()
    _local.cons = {}


def get_meta(key: str) -> str | None:
    row = connect().execute("select value from app_meta where key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(key: str, value: str) -> None:
    with transaction() as con:
        con.execute(
            "insert into app_meta(key, value) values (?, ?) "
            "on conflict(key) do update set value = excluded.value",
            (key, value),
        )
