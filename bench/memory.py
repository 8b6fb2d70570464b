"""Memory: RSS of a serving worker after warm-up (every page's callbacks called a few times).

uv run python bench/memory.py --scale 1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, ROOT, demo_store, machine, table

PAGES = ("/", "/town", "/hotline", "/evaluations", "/cases", "/quality", "/wall")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def warm_up(url: str) -> None:
    """Fetch every page and replay the overview's main callbacks through the HTTP endpoint."""
    for path in PAGES:
        urllib.request.urlopen(url + path, timeout=60).read()
    deps = json.loads(urllib.request.urlopen(url + "/_dash-dependencies", timeout=60).read())
    for dep in deps:
        inputs = dep.get("inputs", [])
        if not any(i["id"] == "filters" for i in inputs) or len(inputs) != 1:
            continue
        for period in ("this_month", "last_month", "this_year", "last_week"):
            body = {
                "output": dep["output"],
                "outputs": dep.get("outputs"),
                "inputs": [{"id": "filters", "property": "data", "value": f"?period={period}"}],
                "changedPropIds": ["filters.data"],
                "state": [],
            }
            req = urllib.request.Request(
                url + "/_dash-update-component",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            # a callback needing more inputs than the filters answers an error: skipped
            with contextlib.suppress(OSError):
                urllib.request.urlopen(req, timeout=120).read()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    data = demo_store(args.scale)
    port = free_port()
    env = {**os.environ, "PULSE_DATA_DIR": str(data)}
    server = subprocess.Popen(
        [PY, "-m", "dashboard.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        workers = [
            int(p)
            for p in subprocess.run(
                ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
            ).stdout.split()
        ]
        before = max(rss_mb(w) for w in workers)
        warm_up(url)
        after_first = max(rss_mb(w) for w in workers)
        warm_up(url)
        warm_up(url)
        after = max(rss_mb(w) for w in workers)
    finally:
        server.terminate()
        server.wait(30)
    print(f"## Serving memory at scale {args.scale:g}\n\n{machine()}\n")
    print(
        table(
            ["worker RSS", "MB"],
            [
                ["after start (index rendered once)", f"{before:.0f}"],
                [
                    "after one warm-up round (every page, main callbacks × 4 periods)",
                    f"{after_first:.0f}",
                ],
                ["after three rounds", f"{after:.0f}"],
            ],
        )
    )


if __name__ == "__main__":
    main()
