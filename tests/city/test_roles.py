"""City and county levels of accounts (issue 18): the app database's migration, `pulse user
add --role city|county --county`, and the viewer each account is over a store of three
counties."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from dashboard.auth import accounts, appdb, sessions
from tests.conftest import ROOT


def test_the_migration_keeps_accounts_and_sessions(pulse_env):
    # an app database as the previous release left it: every migration but the new one
    path = appdb.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("pragma foreign_keys=on")
    for number, sql in enumerate(appdb.MIGRATIONS[:-1], start=1):
        for statement in filter(str.strip, sql.split(";")):
            con.execute(statement)
        con.execute(f"pragma user_version = {number}")
    con.execute(
        "insert into users (name, role, towns, password_hash, created_at, updated_at) "
        "values ('old', 'county', '[]', 'x', '2026-01-01', '2026-01-01')"
    )
    con.execute(
        "insert into sessions values ('h', 'old', '2026-01-01', '2026-01-01', 0, null, 'password')"
    )
    con.commit()
    with pytest.raises(sqlite3.IntegrityError):  # the old CHECK knows no city role
        con.execute(
            "insert into users (name, role, created_at, updated_at) values ('c', 'city', 'x', 'x')"
        )
    con.close()
    db = appdb.connect()  # migrates
    assert db.execute("pragma user_version").fetchone()[0] == len(appdb.MIGRATIONS)
    assert [tuple(r) for r in db.execute("select user_name from sessions")] == [("old",)]
    old = accounts.get("old")
    assert old.role == "county" and old.counties == ()
    accounts.add("mayor", "city", (), "city-password-1")
    accounts.add("lj", "county", (), "county-password-1", counties=("339902",))
    assert accounts.get("lj").counties == ("339902",)
    with pytest.raises(accounts.AccountError, match="县区"):
        accounts.add("x1", "town", ("339901001000",), "town-password-12", counties=("339902",))
    with pytest.raises(accounts.AccountError, match="6位"):
        accounts.add("x2", "county", (), "county-password-1", counties=("33990",))
    with pytest.raises(accounts.AccountError, match="不设乡镇"):
        accounts.add("x3", "city", ("339901001000",), "city-password-12")
    # a session of a migrated account still signs in
    value = sessions.create(accounts.get("mayor"), "127.0.0.1", "password")
    assert sessions.lookup(value).user.role == "city"


def _pulse(env, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_user_add_by_county_and_the_viewer_it_becomes(city_env, city):
    env = city_env  # the city's app database (names here are this test's own)
    store = city_env["PULSE_DATA_DIR"] + "/store/pulse.duckdb"
    made = _pulse(
        env,
        "user", "add", "r-lj", "--role", "county", "--county", "临江县",
        "--store", store, "--password-stdin", stdin="county-password-1\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    unknown = _pulse(
        env,
        "user", "add", "x", "--role", "county", "--county", "999999",
        "--store", store, "--password-stdin", stdin="county-password-1\n",
    )  # fmt: skip
    assert unknown.returncode == 2 and "未知县区" in unknown.stderr
    bare = _pulse(
        env,
        "user", "add", "r-bare", "--role", "county",
        "--store", store, "--password-stdin", stdin="county-password-1\n",
    )  # fmt: skip
    assert bare.returncode == 0 and "看不到任何数据" in bare.stderr
    listed = json.loads(_pulse(env, "user", "list", "--format", "json").stdout)
    assert {u["name"]: u["counties"] for u in listed}["r-lj"] == "339902"
    appdb.close_all()
    viewer = accounts.get("r-lj").access()
    assert viewer.towns and {t[:6] for t in viewer.towns} == {"339902"}
    assert not viewer.whole_county  # loads, rejects, the management loop: not a county's
    accounts.add("r-sfx", "county", (), "county-password-1")
    assert accounts.get("r-sfx").access().towns == frozenset()  # several counties: none
    accounts.add("r-mayor", "city", (), "city-password-1")
    assert accounts.get("r-mayor").access().whole_county
