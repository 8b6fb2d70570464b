"""The overview (总览) in headless Chromium: time from navigation until every KPI card, the
town ranking and both trend charts have rendered. A fresh browser context per run.

    uv run python bench/overview_first_paint.py --url http://127.0.0.1:8050 [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import signed_in_context

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
READY = """() => document.querySelectorAll('#overview-kpis .kpi-card').length >= 9
  && document.querySelectorAll('#overview-ranking .ag-row').length >= 10
  && document.querySelectorAll('#overview-trend-month .main-svg .trace').length > 0
  && document.querySelectorAll('#overview-trend-week .main-svg .trace').length > 0"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for i in range(args.runs + 1):
            context = signed_in_context(browser, args.url, viewport={"width": 1440, "height": 900})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(args.url + "/?period=last_month")
            page.wait_for_function(READY, timeout=60_000)
            if i:  # the first run warms the server's workers; not counted
                times.append((time.perf_counter() - start) * 1000)
            context.close()
        browser.close()
    print(f"### 总览 first complete render (1440×900), median of {args.runs} runs\n")
    print("| median ms | min ms | max ms |\n|---:|---:|---:|")
    print(f"| {statistics.median(times):,.0f} | {min(times):,.0f} | {max(times):,.0f} |")


if __name__ == "__main__":
    main()
