"""A real server (gunicorn via `pulse serve`) on a free port over a demo store with one
account per role, and Debian's chromium driven by Playwright, signed in through /login."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT, use_environment

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_TOWN = "339901001000"  # the town of the `town` account (城关街道 in the demo county)
OTHER_TOWN = "339901101000"  # a town that account may not see
# name → (role, password); the wall device's token is in WALL_TOKEN once demo_env has run
ACCOUNTS = {
    "admin": ("admin", "admin-password-1"),
    "county": ("county", "county-password-1"),
    "town": ("town", "town-password-12"),
}
WALL_TOKEN: dict[str, str] = {}


def make_accounts() -> str:
    """One account per role in the app database of the current PULSE_DATA_DIR; returns the
    wall device's token."""
    from dashboard.auth import accounts, appdb

    for name, (role, password) in ACCOUNTS.items():
        accounts.add(name, role, (DEMO_TOWN,) if role == "town" else (), password)
    token = accounts.add("wall", "wall") or ""
    appdb.close_all()
    return token


def login_session(url: str, name: str = "county"):
    """A requests.Session signed in through the login form, as a browser would."""
    import requests

    session = requests.Session()
    response = session.post(
        url + "/login",
        data={"username": name, "password": ACCOUNTS[name][1]},
        headers={"Origin": url},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:300]
    return session


def login_context(browser, url: str, name: str = "county", **options):
    """A browser context holding the session cookie of `name` (county by default)."""
    options.setdefault("viewport", {"width": 1440, "height": 900})
    options.setdefault("locale", "zh-CN")
    context = browser.new_context(**options)
    session = login_session(url, name)
    host = url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in session.cookies]
    )
    return context


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory, demo_county) -> dict[str, str]:
    """A private copy of the tests' demo county (tests/conftest.py) with the accounts."""
    base = tmp_path_factory.mktemp("served")
    env = {**os.environ, **demo_county.copy(base)}
    for name in ("PULSE_STORE", "PULSE_SECRET_FILE", "PULSE_APP_DB", "PULSE_SNAPSHOT_DIR"):
        env.pop(name, None)
    with pytest.MonkeyPatch.context() as mp:
        use_environment(mp, demo_county.environment(base))
        WALL_TOKEN["wall"] = make_accounts()
    return env


@pytest.fixture(scope="session")
def server(demo_env):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=demo_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/login", timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"server did not start: {proc.stderr.read()}") from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(20)
    finally:
        proc.stderr.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A page of a browser signed in as the county analyst."""
    context = login_context(browser, server, "county")
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    context.close()
