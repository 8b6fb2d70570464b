"""Wall screen (大屏): time to the first complete render of /wall in headless Chromium.

A real `pulse serve` (gunicorn, 2 workers) over the given store, and a fresh browser
context per run (empty cache, as a wall PC after a reboot). A run ends when the page has
set `data-ready="1"` on #wall-root — after its first data callback and the map view built
from it — and "complete" when the trend figure is drawn and the fonts are loaded too.

Two cases: the server just started (its per-generation cache is empty: the figures are
computed for this request), and the server warm (another screen asked for the same period
before). Median of --runs runs each.

    uv run pulse demo --out /tmp/w1 && PULSE_DATA_DIR=/tmp/w1s uv run pulse load /tmp/w1
    uv run python bench/wall_first_paint.py --store /tmp/w1s

Before/after in the same run: `--root` names a checkout whose server is measured (repeat it;
default: this one), e.g. the code before a change unpacked with
`git archive <commit> | tar -x -C /tmp/before`:

    uv run python bench/wall_first_paint.py --store /tmp/w1s --root /tmp/before --root .
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import signed_in_context  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, store: str, workers: int, root: Path = ROOT):
        self.store, self.workers, self.root = store, workers, root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {k: v for k, v in os.environ.items() if k != "PULSE_KIOSK_TOKEN"}
        command = [sys.executable, "-m", "dashboard.cli", "serve", "--store", self.store]
        self.proc = subprocess.Popen(
            [*command, "--port", str(self.port), "--workers", str(self.workers)],
            cwd=self.root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=5):
                    return self
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit("server did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def one_run(browser, url: str, width: int, height: int) -> tuple[float, float]:
    """(ms to data-ready, ms to complete) from navigation start, in the page's own clock."""
    context = signed_in_context(browser, url, viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function(
            "() => document.querySelector('#wall-root[data-ready=\"1\"]')",
            polling="raf",
            timeout=180_000,
        )
        ready = page.evaluate("performance.now()")
        page.wait_for_function(
            "() => document.querySelector('#wall-trend .main-svg g.trace')",
            polling="raf",
            timeout=60_000,
        )
        page.evaluate("document.fonts.ready")
        complete = page.evaluate("performance.now()")
    finally:
        context.close()
    if errors:
        raise SystemExit(f"page errors: {errors}")
    return ready, complete


def resolve_store(store: str) -> str:
    """A data folder (PULSE_DATA_DIR) holds its store in store/; accept either."""
    return str(Path(store) / "store") if (Path(store) / "store").is_dir() else store


def store_facts(store: str) -> str:
    import duckdb

    from etl import publish, settings

    published = settings.store_path(store)
    current = publish.current_file(published)
    if current is None:
        raise SystemExit(f"no store at {published}")
    con = duckdb.connect(str(current), read_only=True)
    try:
        cases = con.execute("select count(*) from cases").fetchone()[0]
        as_of = con.execute("select value from store_meta where key = 'as_of'").fetchone()[0]
    finally:
        con.close()
    return f"{cases:,} cases, {current.stat().st_size / 1e6:,.0f} MB, 数据截至 {as_of}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--store", required=True, help="store file or folder (as pulse --store), or data folder"
    )
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="1920x1080", help="viewport, e.g. 3840x2160")
    ap.add_argument("--query", default="", help="wall URL query, e.g. period=last_week")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--root",
        action="append",
        type=Path,
        help="checkout whose server is measured (repeat for before/after); default: this one",
    )
    args = ap.parse_args()
    roots = [r.resolve() for r in args.root] if args.root else [ROOT]
    width, height = (int(x) for x in args.size.lower().split("x"))
    path = "/wall" + (f"?{args.query}" if args.query else "")
    args.store = resolve_store(args.store)
    facts = store_facts(args.store)  # fails early without a store

    from playwright.sync_api import sync_playwright

    results: dict[Path, dict[str, list[tuple[float, float]]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        version = browser.version
        results = {root: {"cold": [], "warm": []} for root in roots}
        # the checkouts take turns, so that a change in the machine's load hits them alike
        for _ in range(args.runs):
            for root in roots:  # a fresh server per run: nothing computed yet
                with Server(args.store, args.workers, root) as server:
                    measured = one_run(browser, server.url + path, width, height)
                    results[root]["cold"].append(measured)
        servers = [Server(args.store, args.workers, root).__enter__() for root in roots]
        try:
            for server in servers:
                for _ in range(args.workers * 2):  # every worker has computed the figures
                    one_run(browser, server.url + path, width, height)
            for _ in range(args.runs):
                for root, server in zip(roots, servers, strict=True):
                    measured = one_run(browser, server.url + path, width, height)
                    results[root]["warm"].append(measured)
        finally:
            for server in servers:
                server.__exit__(None, None, None)
        browser.close()

    print(f"### /wall first paint · {width}×{height} · `{path}`\n")
    print(f"Store `{args.store}`: {facts}  ")
    print(
        f"Chromium {version} headless, {os.cpu_count()} CPUs, "
        f"gunicorn {args.workers} workers; median of {args.runs} runs (min–max)\n"
    )
    print("| code | server | data-ready (ms) | complete: trend drawn, fonts loaded (ms) |")
    print("|---|---|---:|---:|")
    names = {"cold": "just started (figures computed)", "warm": "warm (figures cached)"}
    for root, runs in results.items():
        for key, measured in runs.items():
            ready = [r for r, _ in measured]
            done = [c for _, c in measured]
            print(
                f"| `{root}` | {names[key]} | {statistics.median(ready):,.0f} "
                f"({min(ready):,.0f}–{max(ready):,.0f}) | {statistics.median(done):,.0f} "
                f"({min(done):,.0f}–{max(done):,.0f}) |"
            )


if __name__ == "__main__":
    main()
