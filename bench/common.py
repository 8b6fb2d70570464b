"""Shared bench helpers: timing medians, child-process peak memory, the machine's description,
building a demo store once per scale and reusing it."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from etl.load import marts_outdated

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("PULSE_BENCH_DIR", "/tmp/pulse-bench"))
PY = sys.executable


def median_time(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a child process, measured with wait4's rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        raise RuntimeError(f"{cmd} failed: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import polars

    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"polars {polars.__version__}"
    )


def demo_exports(scale: float) -> Path:
    """The demo county's exports at a scale, generated once (fixed end date and seed)."""
    out = WORK / f"exports-{scale:g}"
    if not (out / "towns.csv").exists():
        subprocess.run(
            [
                PY,
                "-m",
                "dashboard.cli",
                "demo",
                "--scale",
                str(scale),
                "--out",
                str(out),
                "--end",
                "2026-11-20",
            ],
            cwd=ROOT,
            check=True,
        )
    return out


def demo_store(scale: float) -> Path:
    """A store loaded from the demo exports at a scale; returns its data dir."""
    data = WORK / f"data-{scale:g}"
    env = {**os.environ, "PULSE_DATA_DIR": str(data)}
    if not (data / "store" / "pulse.duckdb").exists():
        command = ["load", str(demo_exports(scale))]
    elif marts_outdated(data / "store"):  # cached from before the derived tables changed
        command = ["rebuild"]
    else:
        ensure_account(data)
        return data
    subprocess.run(
        [PY, "-m", "dashboard.cli", *command],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    ensure_account(data)
    return data


def table(headers: list[str], rows: list[list[object]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- signing in (issue 13): every page and callback needs a session -----------------------

BENCH_USER = ("bench", "bench-password-1")  # a county account in the bench's own data folder


def ensure_account(data: Path, role: str = "county", name: str = BENCH_USER[0]) -> None:
    """The bench's account in a data folder's app database (created once)."""
    env = {**os.environ, "PULSE_DATA_DIR": str(data)}
    env.pop("PULSE_STORE", None)
    listed = subprocess.run(
        [PY, "-m", "dashboard.cli", "user", "list", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    if f'"name": "{name}"' in listed.stdout:
        return
    subprocess.run(
        [PY, "-m", "dashboard.cli", "user", "add", name, "--role", role, "--password-stdin"],
        cwd=ROOT,
        env=env,
        input=BENCH_USER[1] + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


def session(url: str, account: tuple[str, str] | None = None):
    """A requests.Session signed in as the bench's account (or `account`: user, password)."""
    from urllib.parse import urlsplit

    import requests

    parts = urlsplit(url)
    url = f"{parts.scheme}://{parts.netloc}"
    s = requests.Session()
    answer = s.post(
        url + "/login",
        data={"username": (account or BENCH_USER)[0], "password": (account or BENCH_USER)[1]},
        headers={"Origin": url},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"bench login failed ({answer.status_code}): run ensure_account")
    return s


def signed_in_context(browser, url: str, account: tuple[str, str] | None = None, **options):
    """A Chromium context holding the bench account's (or `account`'s) session cookie."""
    options.setdefault("locale", "zh-CN")
    context = browser.new_context(**options)
    host = url.split("//", 1)[1].split(":")[0].split("/")[0]
    context.add_cookies(
        [
            {"name": c.name, "value": c.value, "domain": host, "path": "/"}
            for c in session(url, account).cookies
        ]
    )
    return context
