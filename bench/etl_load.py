"""ETL: `pulse load` of the demo exports against DuckDB's own floor on the same files.

Floor: `CREATE TABLE … AS SELECT * FROM read_csv(…, all_varchar=true)` of UTF-8 copies of
the same files (GBK transcoded and Excel converted beforehand, not timed), one table per file,
in one process. Text, not typed: type sniffing fails on real exports (a town column holding
both names and codes), and the loader too reads text first and types it while validating.
Also the incremental case: one more day into a store that already holds the year.

    uv run python bench/etl_load.py --scale 1 [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, WORK, demo_exports, machine, run_measured, table
from etl.read import read_file

FLOOR_SCRIPT = r"""
import sys, duckdb
files = sys.argv[2:]
con = duckdb.connect(sys.argv[1])
for i, f in enumerate(files):
    con.execute(f"create or replace table t{i} as select * from read_csv('{f}', header=true, "
                "all_varchar=true)")
con.close()
"""


def utf8_copies(exports: Path) -> tuple[Path, int]:
    """Plain UTF-8 CSV copies (header row first) of every export; returns (dir, data rows)."""
    out = exports.parent / (exports.name + "-utf8")
    marker = out / ".rows"
    if marker.exists():
        return out, int(marker.read_text())
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for f in sorted(exports.iterdir()):
        if f.suffix not in (".csv", ".xlsx"):
            continue
        result = read_file(f)
        frame = result.frame.drop("_row")
        frame.write_csv(out / (f.stem + ".csv"))
        rows += frame.height
    marker.write_text(str(rows))
    return out, rows


def one_more_day(exports: Path) -> Path:
    """Cases accepted on the newest day, under new ids: what tomorrow's export adds."""
    newest = sorted(exports.glob("cases_*"))[-1]
    frame = read_file(newest).frame
    days = frame["accepted_at"].str.slice(0, 10).unique().sort()
    day = days[-2] if days.len() > 1 else days[-1]  # the newest full day
    extra = frame.filter(pl.col("accepted_at").str.starts_with(day)).drop("_row")
    extra = extra.with_columns(pl.concat_str(pl.lit("N"), pl.col("case_id")).alias("case_id"))
    headers = {c.name: c.header for c in read_file(newest).source.columns}
    path = WORK / f"one-more-day-{exports.name}.csv"
    extra.rename(headers).write_csv(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    exports = demo_exports(args.scale)
    plain, rows = utf8_copies(exports)
    files = sorted(str(p) for p in plain.glob("*.csv"))

    floor_t, floor_m = [], []
    for _ in range(args.runs):
        db = WORK / "floor.duckdb"
        db.unlink(missing_ok=True)
        t, m = run_measured([PY, "-c", FLOOR_SCRIPT, str(db), *files])
        floor_t.append(t)
        floor_m.append(m)
    load_t, load_m = [], []
    data = WORK / f"bench-load-{args.scale:g}"
    for _ in range(args.runs):
        shutil.rmtree(data, ignore_errors=True)
        env = {**os.environ, "PULSE_DATA_DIR": str(data)}
        t, m = run_measured([PY, "-m", "dashboard.cli", "load", str(exports)], env=env)
        load_t.append(t)
        load_m.append(m)
    # incremental: one more day into the year-long store just built
    extra = one_more_day(exports)
    extra_rows = pl.read_csv(extra, infer_schema=False).height
    inc_t = []
    for _ in range(args.runs):
        copy = WORK / f"bench-inc-{args.scale:g}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(data, copy, symlinks=True)
        env = {**os.environ, "PULSE_DATA_DIR": str(copy)}
        t, _ = run_measured([PY, "-m", "dashboard.cli", "load", str(extra)], env=env)
        inc_t.append(t)
    ft, lt, it = (statistics.median(x) for x in (floor_t, load_t, inc_t))
    print(f"## ETL at scale {args.scale:g} — median of {args.runs} runs\n\n{machine()}\n")
    print(
        table(
            ["what", "rows", "seconds", "rows/s", "× floor", "peak RSS MB"],
            [
                [
                    "DuckDB floor: CREATE TABLE AS read_csv (UTF-8 copies)",
                    f"{rows:,}",
                    f"{ft:.1f}",
                    f"{rows / ft:,.0f}",
                    "1.0",
                    f"{statistics.median(floor_m):.0f}",
                ],
                [
                    "pulse load (GBK/UTF-8/xlsx, validate, hash, upsert, rollups, publish)",
                    f"{rows:,}",
                    f"{lt:.1f}",
                    f"{rows / lt:,.0f}",
                    f"{lt / ft:.1f}",
                    f"{statistics.median(load_m):.0f}",
                ],
                [
                    "pulse load of one more day into a store holding the year",
                    f"{extra_rows:,}",
                    f"{it:.1f}",
                    f"{extra_rows / it:,.0f}",
                    "",
                    "",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
