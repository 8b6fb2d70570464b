"""Snapshots: how long one county PDF takes (issue 7: under 30 s on this 2-core machine).

Three measurements, each the median of --runs (default 3):
  * `pulse snapshot --out …` as a user or the schedule runs it, cold: Python start, the
    private server, Chromium, the report's queries, drawing and printing;
  * the report's figures alone (content.gather: metrics(), rows_behind(), 体外循环);
  * rendering alone on a warm server and browser (what each further town's PDF costs in
    `pulse schedule`).
Prints a markdown table. The store is read only (the PDFs go to a temporary folder).

    PULSE_DATA_DIR=/tmp/s1 uv run python bench/snapshot_time.py [--week 2026-W46]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def pdf_pages(path: Path) -> str:
    try:
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    return next((ln.split()[-1] for ln in out.splitlines() if ln.startswith("Pages:")), "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", help="ISO week (default: the last complete week)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # every run computes the report's figures (the answer cache would serve repeats)
    os.environ["PULSE_CACHE_MB"] = "0"

    from dashboard.domain.metrics import default_as_of
    from dashboard.snapshot.content import Request, default_week, gather
    from dashboard.snapshot.render import Renderer
    from dashboard.store import Store
    from etl import settings

    store = Store()
    as_of = default_as_of(store)
    request = Request.week(args.week) if args.week else default_week(as_of)
    cases = store.sql("select count(*) as n from cases")["n"][0]
    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    week = request.iso_week or f"{request.start}_{request.end}"

    cli: list[float] = []
    out = tmp / "county.pdf"
    for _ in range(args.runs):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "snapshot", "--out", str(out)]
            + (["--week", args.week] if args.week else []),
            cwd=ROOT,
            env=os.environ,
            capture_output=True,
            text=True,
        )
        cli.append(time.monotonic() - started)
        if done.returncode != 0:
            sys.exit(f"pulse snapshot failed:\n{done.stderr}")

    data: list[float] = []
    for _ in range(args.runs):
        started = time.monotonic()
        gather(store, request, as_of)
        data.append(time.monotonic() - started)

    render: list[float] = []
    draw: list[float] = []
    with Renderer() as renderer:
        renderer.render(request)  # warm-up: the first page load compiles the bundles
        for _ in range(args.runs):
            rendered = renderer.render(request)
            render.append(rendered.seconds)
            draw.append(rendered.phases["draw"])

    def row(what: str, times: list[float]) -> str:
        return f"| {what} | {statistics.median(times):.1f} | {min(times):.1f} | {max(times):.1f} |"

    print(f"### One county snapshot ({settings.get('county.name')}, {week})")
    print()
    print(
        f"store {settings.store_path()} · {cases:,} cases · 数据截至 {as_of:%Y-%m-%d %H:%M} · "
        f"PDF {pdf_pages(out)} pages, {out.stat().st_size / 1024:,.0f} KB"
    )
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu()}), Python {platform.python_version()}, "
        f"load average {load}"
    )
    print()
    print(f"| step (median of {args.runs}) | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    print(row("`pulse snapshot` end to end (cold: Python, private server, Chromium)", cli))
    print(row("report figures only (`content.gather`)", data))
    print(row("render + print only (warm server and browser)", render))
    print(row("… of which building the page and drawing the figures", draw))
    print()
    target = 30.0
    verdict = "meets" if statistics.median(cli) < target else "MISSES"
    print(f"target: under {target:.0f} s end to end — {verdict}")


if __name__ == "__main__":
    main()
