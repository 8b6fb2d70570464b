"""Runs the whole benchmark suite at one scale and writes bench/results/scale-<S>.md.

    make bench SCALE=1        # or: uv run python bench/run.py --scale 10

Builds (once, cached under $PULSE_BENCH_DIR, default /tmp/pulse-bench) the demo exports and
a store at that scale, then runs each part in its own process so that one part's memory or
caches never flatter another's. Every part prints markdown; this script only gathers it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, ROOT, demo_store, machine

RESULTS = ROOT / "bench" / "results"


def part(title: str, cmd: list[str], env: dict | None = None) -> str:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    body = proc.stdout.strip() or "(no output)"
    if proc.returncode != 0:
        body += f"\n\n**failed** (exit {proc.returncode}):\n```\n{proc.stderr[-3000:]}\n```"
    print(f"[{took:5.0f} s] {title}", file=sys.stderr)
    return f"## {title}\n\n{body}\n"


def serve(data: Path, cache_mb: str | None = None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PULSE_DATA_DIR": str(data)}
    if cache_mb is not None:
        env["PULSE_CACHE_MB"] = cache_mb
    proc = subprocess.Popen(
        [PY, "-m", "dashboard.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(url + "/login", timeout=5)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start")


def worker_memory(master: int) -> str:
    """RSS of each gunicorn worker after the page benchmark has warmed it up (every page's
    callbacks, many periods and towns, 10 concurrent users)."""
    rows = []
    for pid in subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True
    ).stdout.split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rows.append(f"| worker {pid} | {int(line.split()[1]) / 1024:.0f} |")
    return (
        "RSS of the serving workers after the page benchmark (warm):\n\n"
        "| process | RSS MB |\n|---|---:|\n" + "\n".join(rows)
    )


PARTS = (
    *("etl", "indicators", "pages", "overview", "memory", "wall", "pdf", "login"),
    "first_render",
    "storage",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3, help="runs of the ETL and PDF parts")
    ap.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="comma-separated subset to (re)run; the others keep their last result",
    )
    args = ap.parse_args()
    wanted = set(args.parts.split(","))
    s = f"{args.scale:g}"
    started = time.perf_counter()
    data = demo_store(args.scale)
    env = {**os.environ, "PULSE_DATA_DIR": str(data)}
    folder = RESULTS / f"scale-{s}"
    folder.mkdir(parents=True, exist_ok=True)

    def keep(name: str, text: str) -> None:
        (folder / f"{PARTS.index(name)}-{name}.md").write_text(text, encoding="utf-8")

    if "etl" in wanted:
        keep("etl", part("ETL", [PY, "bench/etl_load.py", "--scale", s, "--runs", str(args.runs)]))
    if "storage" in wanted:  # issue 18: both store formats side by side, growth month by month
        keep("storage", part("Storage", [PY, "bench/storage.py", "--scale", s]))
    if "indicators" in wanted:
        keep("indicators", part("Indicators", [PY, "bench/indicators.py", "--scale", s]))
    if "pages" in wanted:
        # first with the answer cache off: every callback computes its figures (the bound
        # a new period or a fresh load costs); then as served, cache on (below)
        server, url = serve(data, cache_mb="0")
        try:
            computed = part(
                "Pages, every answer computed (answer cache off)",
                [PY, "bench/pages.py", "--url", url],
                env=env,
            )
        finally:
            server.terminate()
            server.wait(30)
    if wanted & {"pages", "overview", "memory"}:
        server, url = serve(data)
        try:
            if "pages" in wanted:
                served = part(
                    "Pages as served (answer cache on, serve.cache_mb)",
                    [PY, "bench/pages.py", "--url", url],
                    env=env,
                )
                keep("pages", computed + "\n" + served)
            if "overview" in wanted:
                keep(
                    "overview",
                    part("Browser: overview", [PY, "bench/overview_first_paint.py", "--url", url]),
                )
            if "memory" in wanted:
                keep("memory", f"## Memory\n\n{worker_memory(server.pid)}\n")
        finally:
            server.terminate()
            server.wait(30)
    if "wall" in wanted:
        keep(
            "wall",
            part("Browser: wall screen", [PY, "bench/wall_first_paint.py", "--store", str(data)]),
        )
    if "pdf" in wanted:
        keep(
            "pdf",
            part(
                "PDF: one county weekly snapshot",
                [PY, "bench/snapshot_time.py", "--runs", str(args.runs)],
                env=env,
            ),
        )
    if "login" in wanted:
        keep(
            "login",
            part(
                "Login's cost per request (gate on and off, same run)",
                [PY, "bench/login.py", "--data", str(data)],
                env=env,
            ),
        )
    if "first_render" in wanted:
        keep(
            "first_render",
            part(
                "Browser: first render, cold and warm, and the bytes of a first visit",
                [PY, "bench/first_render.py", "--data", str(data), "--runs", "3"],
                env=env,
            ),
        )
    total = time.perf_counter() - started
    sections = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))]
    out = RESULTS / f"scale-{s}.md"
    out.write_text(
        f"# Benchmarks at scale {s}\n\n{datetime.now():%Y-%m-%d %H:%M} · {machine()}  \n"
        f"This run ({', '.join(sorted(wanted))}): {total / 60:.1f} min; the store was built "
        "beforehand and cached. Each part's own section says when and how it ran.\n\n"
        + "\n".join(sections),
        encoding="utf-8",
    )
    print(out)


if __name__ == "__main__":
    main()
