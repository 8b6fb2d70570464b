"""Indicators: `metrics()` from the rollups against the raw definitions over the fact tables,
for a week, a month and a year, by town and by department (median of several runs).

    uv run python bench/indicators.py --scale 1
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import demo_store, machine, median_time, table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    os.environ["PULSE_DATA_DIR"] = str(demo_store(args.scale))
    from dashboard.domain.metrics import default_as_of, metrics
    from dashboard.store import Store

    store = Store(cache_mb=0)  # every answer computed: this part times the queries
    as_of = default_as_of(store)
    end = as_of.date()
    periods = {
        "week": end - timedelta(days=6),
        "month": end - timedelta(days=29),
        "year": end - timedelta(days=364),
    }
    metrics(store, end, end)  # open the store and warm the caches
    rows = []
    for name, start in periods.items():
        for by in ("town", "dept"):
            fast = median_time(lambda s=start, b=by: metrics(store, s, end, as_of, by=b), args.runs)
            raw = median_time(
                lambda s=start, b=by: metrics(store, s, end, as_of, by=b, raw=True), args.runs
            )
            rows.append([name, by, f"{fast * 1000:.0f}", f"{raw * 1000:.0f}", f"{fast / raw:.2f}"])
    print(f"## Indicators at scale {args.scale:g} — median of {args.runs} runs\n\n{machine()}\n")
    print(
        table(["period", "by", "metrics() ms (rollups)", "raw SQL ms (fact tables)", "ratio"], rows)
    )


if __name__ == "__main__":
    main()
