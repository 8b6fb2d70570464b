"""Accounts, sessions and the audit log in a real SQLite app database (WAL), and the
`pulse user` / `pulse audit` commands run as processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from dashboard.auth import accounts, appdb, audit, sessions
from dashboard.auth.access import Access
from etl import settings
from tests.conftest import ROOT


def test_passwords_are_argon2_and_checked(pulse_env):
    accounts.add("ana", "county", (), "county-password-1")
    row = appdb.connect().execute("select password_hash from users").fetchone()
    assert row[0].startswith("$argon2id$") and "county-password-1" not in row[0]
    assert accounts.verify_login("ana", "county-password-1").reason == "ok"
    assert accounts.verify_login("ana", "wrong-password!").reason == "bad_password"
    assert accounts.verify_login("nobody", "county-password-1").reason == "unknown"
    with pytest.raises(accounts.AccountError, match="至少"):
        accounts.add("bo", "county", (), "short")
    with pytest.raises(accounts.AccountError, match="乡镇"):
        accounts.add("bo", "town", (), "long-enough-pw")
    with pytest.raises(accounts.AccountError, match="已存在"):
        accounts.add("ana", "county", (), "county-password-2")


def test_repeated_failures_lock_the_account(pulse_env, tmp_path):
    (tmp_path / "pulse.toml").write_text(
        "[auth]\nmax_failed_logins = 3\nlockout_minutes = 30\n", encoding="utf-8"
    )
    settings._file_values.cache_clear()
    accounts.add("ana", "county", (), "county-password-1")
    reasons = [accounts.verify_login("ana", "wrong-password!").reason for _ in range(3)]
    assert reasons == ["bad_password", "bad_password", "locked"]
    # locked: even the right password is refused until the lock ends or an admin unlocks
    locked = accounts.verify_login("ana", "county-password-1")
    assert locked.reason == "locked" and "锁定" in locked.message
    accounts.set_disabled("ana", False)  # pulse user enable: unlocks
    assert accounts.verify_login("ana", "county-password-1").reason == "ok"


def test_sessions_expire_when_idle_and_end_on_disable(pulse_env):
    accounts.add("ana", "county", (), "county-password-1")
    accounts.add("wall", "wall")
    person = sessions.create(accounts.get("ana"), "127.0.0.1", "password")
    device = sessions.create(accounts.get("wall"), "127.0.0.1", "token")
    assert sessions.lookup(person).user.name == "ana"
    long_ago = (datetime.now() - timedelta(hours=9)).isoformat(sep=" ", timespec="seconds")
    with appdb.transaction() as con:
        con.execute("update sessions set last_seen_at = ?", (long_ago,))
    assert sessions.lookup(person) is None  # 8 h idle by default
    assert sessions.lookup(device).user.name == "wall"  # wall devices: no idle timeout
    again = sessions.create(accounts.get("ana"), "127.0.0.1", "password")
    accounts.set_disabled("ana", True)
    assert sessions.lookup(again) is None
    cookie_store = appdb.connect().execute("select id_hash from sessions").fetchall()
    assert all(device not in r[0] for r in cookie_store)  # only hashes are kept


def test_wall_tokens_are_hashed_and_can_be_replaced(pulse_env):
    token = accounts.add("wall", "wall")
    assert accounts.by_token(token).name == "wall"
    stored = appdb.connect().execute("select token_hash from users").fetchone()[0]
    assert token not in stored
    new = accounts.new_token("wall")
    assert accounts.by_token(token) is None and accounts.by_token(new).name == "wall"
    assert accounts.get("wall").access() == Access("wall", "wall", None)


def test_a_town_officials_access_is_their_towns(pulse_env):
    accounts.add("qs", "town", ("339901101000",), "town-password-12")
    access = accounts.get("qs").access()
    assert access.towns == frozenset({"339901101000"}) and not access.whole_county


def test_audit_keeps_at_least_180_days(pulse_env, tmp_path):
    (tmp_path / "pulse.toml").write_text("[audit]\nretention_days = 30\n", encoding="utf-8")
    settings._file_values.cache_clear()
    assert audit.retention_days() == 180  # the law's six months is a floor
    audit.record("login", {"via": "password"}, user="ana")
    with appdb.transaction() as con:
        con.execute(
            "insert into audit (at, user_name, action) values (?, 'old', 'login'), "
            "(?, 'kept', 'login')",
            (
                (datetime.now() - timedelta(days=181)).isoformat(sep=" "),
                (datetime.now() - timedelta(days=179)).isoformat(sep=" "),
            ),
        )
    assert audit.purge() == 1
    assert {r["user_name"] for r in audit.query()} == {"ana", "kept"}


def test_the_app_database_is_wal_and_private(pulse_env):
    accounts.add("ana", "county", (), "county-password-1")
    path = settings.app_db_path()
    mode = sqlite3.connect(path).execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"
    assert oct(os.stat(path).st_mode & 0o777) == "0o640"


def _pulse(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def test_user_and_audit_commands(pulse_env, reference_files):
    from etl.load import load

    assert load(reference_files).exit_code == 0
    added = _pulse(
        "user", "add", "ana", "--role", "county", "--password-stdin", stdin="county-password-1\n"
    )
    assert added.returncode == 0, added.stderr
    town = _pulse(
        "user",
        "add",
        "qs",
        "--role",
        "town",
        "--town",
        "青石镇",
        "--password-stdin",
        stdin="town-password-12\n",
    )
    assert town.returncode == 0, town.stderr
    assert accounts.get("qs").towns == ("339901101000",)  # a name becomes its code
    unknown = _pulse(
        "user",
        "add",
        "zz",
        "--role",
        "town",
        "--town",
        "不存在镇",
        "--password-stdin",
        stdin="town-password-12\n",
    )
    assert unknown.returncode == 2 and "未知乡镇" in unknown.stderr
    wall = _pulse("user", "add", "screen", "--role", "wall")
    token = wall.stdout.strip()
    assert wall.returncode == 0 and accounts.by_token(token).name == "screen"
    assert (
        _pulse("user", "passwd", "ana", "--password-stdin", stdin="county-password-2\n").returncode
        == 0
    )
    assert accounts.verify_login("ana", "county-password-2").reason == "ok"
    assert _pulse("user", "disable", "qs").returncode == 0
    listed = json.loads(_pulse("user", "list", "--format", "json").stdout)
    assert {u["name"]: u["state"] for u in listed} == {
        "ana": "正常",
        "qs": "停用",
        "screen": "正常",
    }
    log = json.loads(_pulse("audit", "--format", "json", "--action", "user_change").stdout)
    changes = [json.loads(r["detail"])["change"] for r in log]
    assert sorted(changes) == ["add", "add", "add", "disable", "passwd"]
    assert all(r["address"] == "cli" for r in log)
    bad = _pulse("audit", "--since", "yesterday")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
