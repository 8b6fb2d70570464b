"""First render of the overview (总览), the town page (乡镇) and the wall (大屏) in headless
Chromium, cold (empty browser cache: a first visit) and warm (the same browser again), and
the bytes a first visit transfers — for this tree and, with --before REV, for an older
revision of the product served from the same data in the same run, side by side.

Each server is a real `pulse serve` (gunicorn, 2 workers) over the same data folder. Its
figures are computed once before measuring (a warm-up visit per worker, not counted), so the
times are the browser's side: the bundles' transfer and parse, the page's callbacks, drawing.
A run opens a fresh browser context (empty cache), loads the page until it is complete (KPI
cards, grids with rows, every trend drawn, fonts loaded) — "cold" — then loads it again in
the same context — "warm". Runs of the two revisions alternate, so a busy machine slows both.

Bytes are what went over the wire (CDP Network.loadingFinished encodedDataLength: headers
and the body as sent, i.e. compressed when it was), summed per resource type.

    uv run python bench/first_render.py [--scale 1 | --data DIR] [--runs 5] [--before REV]

--before REV takes the files of that git revision (`git archive`, into a temporary folder:
nothing is written into the repository) and serves them with this tree's Python packages.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import demo_store, ensure_account, signed_in_context  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
VIEWPORT = {"width": 1440, "height": 900}

# What "complete" means on each page; fonts loaded on all of them.
PAGES = {
    "overview": (
        "/?period=last_month",
        """() => document.querySelectorAll('#overview-kpis .kpi-card').length > 0
          && document.querySelectorAll('#overview-ranking .ag-row').length > 0
          && ['overview-trend-month', 'overview-trend-week'].every(
               id => document.querySelector('#' + id + ' .main-svg .trace'))
          && document.fonts.status === 'loaded'""",
    ),
    "town": (
        "/town?period=last_month",
        """() => document.querySelectorAll('#town-kpis .kpi-card').length > 0
          && document.querySelectorAll('#town-depts .ag-row').length > 0
          && ['town-trend-month', 'town-trend-week'].every(
               id => document.querySelector('#' + id + ' .main-svg .trace'))
          && document.fonts.status === 'loaded'""",
    ),
    "wall": (
        "/wall",
        """() => document.querySelector('#wall-root[data-ready="1"]')
          && document.querySelector('#wall-trend .main-svg g.trace')
          && document.fonts.status === 'loaded'""",
    ),
}
NAMES = {"overview": "总览 /", "town": "乡镇 /town", "wall": "大屏 /wall"}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`pulse serve` of the given source tree over a data folder, in its own process group."""

    def __init__(self, tree: Path, data: Path, workers: int = 2):
        self.tree, self.data, self.workers = tree, data, workers
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "PULSE_DATA_DIR": str(self.data)}
        for key in ("PULSE_STORE", "PULSE_CONFIG", "PULSE_KIOSK_TOKEN"):
            env.pop(key, None)
        env["PYTHONPATH"] = str(self.tree)  # this revision's packages before the installed ones
        port = self.url.rsplit(":", 1)[1]
        command = [sys.executable, "-m", "dashboard.cli", "serve", "--port", port]
        self.proc = subprocess.Popen(
            [*command, "--workers", str(self.workers)],
            cwd=self.tree,
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
                    raise SystemExit(f"server of {self.tree} did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@dataclass
class Visit:
    ms: float
    bytes_by_type: dict[str, int]
    requests: int

    @property
    def total(self) -> int:
        return sum(self.bytes_by_type.values())


@dataclass
class Results:
    cold: dict[str, list[Visit]] = field(default_factory=lambda: defaultdict(list))
    warm: dict[str, list[Visit]] = field(default_factory=lambda: defaultdict(list))


class Meter:
    """Bytes received per resource type on one page, from the DevTools protocol."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.types: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.send("Network.enable")

    def _response(self, event) -> None:
        self.types[event["requestId"]] = event.get("type", "Other")

    def _finished(self, event) -> None:
        self.sizes[event["requestId"]] = int(event.get("encodedDataLength") or 0)

    def reset(self) -> None:
        self.types.clear()
        self.sizes.clear()

    def read(self) -> tuple[dict[str, int], int]:
        out: dict[str, int] = defaultdict(int)
        for rid, size in self.sizes.items():
            out[self.types.get(rid, "Other")] += size
        return dict(out), len(self.sizes)


def visit(page, meter: Meter, url: str, ready: str) -> Visit:
    meter.reset()
    page.goto(url, wait_until="commit")
    page.wait_for_function(ready, polling="raf", timeout=180_000)
    ms = page.evaluate("performance.now()")
    page.wait_for_timeout(300)  # responses still arriving (a late font, a source map)
    sizes, count = meter.read()
    return Visit(ms, sizes, count)


def one_run(browser, base: str, page_key: str, results: Results) -> None:
    path, ready = PAGES[page_key]
    context = signed_in_context(browser, base, viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    meter = Meter(context, page)
    try:
        results.cold[page_key].append(visit(page, meter, base + path, ready))
        results.warm[page_key].append(visit(page, meter, base + path, ready))
    finally:
        context.close()
    if errors:
        raise SystemExit(f"{base}{path}: page errors {errors}")


def tree_of(rev: str, into: Path) -> Path:
    """The files of a git revision in a temporary folder (git archive | tar -x)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def loads(values: tuple[float, ...]) -> str:
    return " / ".join(f"{x:.1f}" for x in values)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_ms(visits: list[Visit]) -> str:
    ms = [v.ms for v in visits]
    return f"{median(ms):,.0f} ({min(ms):,.0f}–{max(ms):,.0f})"


def fmt_mb(visits: list[Visit]) -> str:
    return f"{median([v.total for v in visits]) / 1e6:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="demo county scale (bench cache)")
    ap.add_argument("--data", help="a data folder (PULSE_DATA_DIR) instead of the demo")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before", help="git revision to compare with (served from the same data)")
    ap.add_argument("--pages", default="overview,town,wall")
    args = ap.parse_args()
    data = Path(args.data) if args.data else demo_store(args.scale)
    ensure_account(data)
    pages = [p for p in args.pages.split(",") if p]
    load_before = os.getloadavg()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="pulse-before-") as tmp:
        trees = {"after": ROOT}
        if args.before:
            trees = {"before": tree_of(args.before, Path(tmp)), **trees}
        results = {name: Results() for name in trees}
        servers = {name: Server(tree, data) for name, tree in trees.items()}
        try:
            for s in servers.values():
                s.__enter__()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                version = browser.version
                for page_key in pages:  # warm the servers' figures: every worker, every page
                    for s in servers.values():
                        for _ in range(s.workers * 2):
                            one_run(browser, s.url, page_key, Results())
                for _ in range(args.runs):
                    for page_key in pages:
                        for name, s in servers.items():
                            one_run(browser, s.url, page_key, results[name])
                browser.close()
        finally:
            for s in servers.values():
                s.__exit__(None, None, None)

    label = {"before": f"before ({args.before})", "after": "after (this tree)"}
    print("### First render in headless Chromium (1440×900), signed in as a county analyst\n")
    print(
        f"Chromium {version}, {os.cpu_count()} CPUs, gunicorn 2 workers, data `{data}`; "
        f"median (min–max) of {args.runs} runs. Cold: empty browser cache (a first visit). "
        "Warm: the same browser loads the page again. Servers' figures computed beforehand. "
        f"Load average {loads(load_before)} at the start, {loads(os.getloadavg())} at the end.\n"
    )
    head = ["page"]
    for name in trees:
        head += [f"{label[name]} cold ms", "warm ms", "first visit MB"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for page_key in pages:
        row = [NAMES[page_key]]
        for name in trees:
            r = results[name]
            row += [fmt_ms(r.cold[page_key]), fmt_ms(r.warm[page_key]), fmt_mb(r.cold[page_key])]
        print("| " + " | ".join(row) + " |")
    print("\nBytes of a first visit by resource type (median run), and of the warm visit:\n")
    types = sorted(
        {t for r in results.values() for vs in r.cold.values() for v in vs for t in v.bytes_by_type}
    )
    head = ["page", "revision", *types, "total", "requests", "warm total"]
    print("| " + " | ".join(head) + " |")
    print("|---|---|" + "---:|" * (len(head) - 2))
    for page_key in pages:
        for name in trees:
            cold = sorted(results[name].cold[page_key], key=lambda v: v.total)
            warm = sorted(results[name].warm[page_key], key=lambda v: v.total)
            mid, w = cold[len(cold) // 2], warm[len(warm) // 2]
            cells = [f"{mid.bytes_by_type.get(t, 0) / 1e3:,.0f} kB" for t in types]
            print(
                f"| {NAMES[page_key]} | {name} | "
                + " | ".join(cells)
                + f" | {mid.total / 1e6:.2f} MB | {mid.requests} | {w.total / 1e3:,.0f} kB |"
            )


if __name__ == "__main__":
    main()
