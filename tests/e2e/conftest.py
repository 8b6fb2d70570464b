"""A real server (gunicorn via `pulse serve`) on a free port over a demo store, and Debian's
chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date

import pytest

from etl import demo
from etl.load import load
from tests.conftest import ROOT

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
DEMO_END = date(2026, 11, 20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("served")
    env = {
        **os.environ,
        "PULSE_DATA_DIR": str(base / "data"),
        "PULSE_CONFIG": str(base / "pulse.toml"),
    }
    env.pop("PULSE_STORE", None)
    with pytest.MonkeyPatch.context() as mp:
        for k in ("PULSE_DATA_DIR", "PULSE_CONFIG"):
            mp.setenv(k, env[k])
        summary = demo.generate(base / "exports", seed=3, scale=0.03, end=DEMO_END)
        assert load([summary.out_dir]).exit_code == 0
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
            with urllib.request.urlopen(url + "/", timeout=5) as resp:
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
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    context.close()
