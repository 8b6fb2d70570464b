"""The tests' demo county (a private copy, tests/conftest.py) with one account per role,
read as the command line reads it (SYSTEM); each test starts with empty management tables."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT, use_environment

AS_OF = datetime(2026, 11, 19, 10, 0)  # a moment other than the store's 数据截至
TOWN = "339901001000"  # 城关街道: the `town` account's
OTHER = "339901100000"  # 青石镇: the `town2` account's
PASSWORDS = {
    "admin": "admin-password-1",
    "county": "county-password-1",
    "town": "town-password-12",
    "town2": "town2-password-1",
}
TABLES = (
    "notify_log",
    "notify_subscriptions",
    "audit_checks",
    "audit_draws",
    "ledger_steps",
    "ledger_items",
    "explanations",
)


@dataclass
class Demo:
    base: Path
    env: dict[str, str]

    def pulse(self, *args: str, timeout: float = 180, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dashboard.cli", *args],
            cwd=ROOT,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def store(self):
        from dashboard.auth.access import SYSTEM
        from dashboard.store import Store

        return Store(access=SYSTEM)


@pytest.fixture(scope="package")
def demo(tmp_path_factory, demo_county):
    """A private copy of the tests' demo county (tests/conftest.py) with the accounts."""
    from dashboard.auth import accounts, appdb

    base = tmp_path_factory.mktemp("manage")
    env = {**os.environ, **demo_county.copy(base)}
    for name in ("PULSE_STORE", "PULSE_SECRET_FILE", "PULSE_APP_DB", "PULSE_SNAPSHOT_DIR"):
        env.pop(name, None)
    with pytest.MonkeyPatch.context() as mp:
        use_environment(mp, demo_county.environment(base))
        towns = {"town": (TOWN,), "town2": (OTHER,)}
        for name, password in PASSWORDS.items():
            role = "town" if name.startswith("town") else name
            accounts.add(name, role, towns.get(name, ()), password)
        appdb.close_all()
        yield Demo(base, env)


@pytest.fixture
def clean(demo):
    """Empty management tables (the accounts stay)."""
    from dashboard.auth import appdb

    with appdb.transaction() as con:
        for table in TABLES:
            con.execute(f"delete from {table}")  # names from the list above
    return demo


def viewer(name: str):
    from dashboard.auth import accounts

    user = accounts.get(name)
    assert user is not None
    return user.access()


def config(tmp_path: Path, monkeypatch, text: str) -> Path:
    """A pulse.toml of the test's own (settings are cached per file path)."""
    path = tmp_path / "pulse.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PULSE_CONFIG", str(path))
    return path
