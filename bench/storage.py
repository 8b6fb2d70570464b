"""Storage (issue 18): the single-file format and the Parquet format side by side in one run,
against DuckDB's own `read_csv` floor on the same files (as bench/etl_load.py measures it).

- full load of the demo year (targets: Parquet ≤ 2× the floor);
- one more day into a store holding the year (target ≤ 2 s at scale 10);
- a load's peak RSS as the store grows: the year loaded month by month, one `pulse load`
  per month (target: flat).

Every load is a `pulse load` child process (time and peak RSS from wait4), the store format
chosen with PULSE_STORE_FORMAT.

    uv run python bench/storage.py --scale 1 [--runs 3] [--no-growth]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, WORK, demo_exports, machine, run_measured, table
from bench.etl_load import FLOOR_SCRIPT, one_more_day, utf8_copies
from etl import parquet_store

FORMATS = ("duckdb", "parquet")


def _env(data: Path, fmt: str) -> dict[str, str]:
    # a served install keeps its byte code (this machine's shell sets PYTHONDONTWRITEBYTECODE,
    # which makes every `pulse load` compile ~90 modules again: ~0.3 s)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "PULSE_DATA_DIR": str(data),
        "PULSE_STORE_FORMAT": fmt,
        "PULSE_CONFIG": str(data.parent / "absent.toml"),
    }


def _load(data: Path, fmt: str, *paths: Path) -> tuple[float, float]:
    return run_measured([PY, "-m", "dashboard.cli", "load", *map(str, paths)], env=_env(data, fmt))


def _store_bytes(data: Path) -> tuple[float, float, int]:
    """(MB of the current generation file, MB of Parquet files, Parquet file count)."""
    store = data / "store"
    current = (store / "pulse.duckdb").resolve()
    parts = list((store / "pulse.parts").rglob("*.parquet"))
    return (
        current.stat().st_size / 2**20 if current.exists() else 0.0,
        sum(p.stat().st_size for p in parts) / 2**20,
        len(parts),
    )


def _derived_refresh(data: Path) -> str:
    """How the current generation's derived tables were made: patched | whole."""
    con = duckdb.connect(str((data / "store" / "pulse.duckdb").resolve()), read_only=True)
    try:
        found = con.execute("select value from store_meta where key = 'derived_refresh'").fetchall()
        return found[0][0] if found else "whole"
    finally:
        con.close()


def _months(exports: Path) -> list[tuple[str, list[Path]]]:
    """The exports grouped by month (hotline quarters in their first month), oldest first;
    the reference files go with the first month."""
    groups: dict[str, list[Path]] = {}
    refs = []
    for f in sorted(exports.iterdir()):
        if f.suffix not in (".csv", ".xlsx"):
            continue
        if m := re.search(r"(\d{4})-(\d{2})", f.stem):
            key = f"{m.group(1)}-{m.group(2)}"
        elif m := re.search(r"(\d{4})Q(\d)", f.stem):
            key = f"{m.group(1)}-{(int(m.group(2)) - 1) * 3 + 1:02d}"
        else:
            refs.append(f)
            continue
        groups.setdefault(key, []).append(f)
    ordered = sorted(groups.items())
    if ordered:
        ordered[0] = (ordered[0][0], refs + ordered[0][1])
    return ordered


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-growth", action="store_true", help="skip the month-by-month loads")
    ap.add_argument("--formats", default=",".join(FORMATS), help="duckdb,parquet or one")
    ap.add_argument("--days", type=int, default=3, help="days loaded one after another")
    args = ap.parse_args()
    formats = [f for f in args.formats.split(",") if f in FORMATS]
    exports = demo_exports(args.scale)
    plain, rows = utf8_copies(exports)
    files = sorted(str(p) for p in plain.glob("*.csv"))
    base = WORK / f"storage-{args.scale:g}"

    floor_t, floor_m = [], []
    for _ in range(args.runs):
        db = base / "floor.duckdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        db.unlink(missing_ok=True)
        t, m = run_measured([PY, "-c", FLOOR_SCRIPT, str(db), *files])
        floor_t.append(t)
        floor_m.append(m)
    ft = statistics.median(floor_t)

    full: dict[str, tuple[float, float, tuple]] = {}
    for fmt in formats:
        ts, ms = [], []
        for _ in range(args.runs):
            data = base / f"full-{fmt}"
            shutil.rmtree(data, ignore_errors=True)
            t, m = _load(data, fmt, exports)
            ts.append(t)
            ms.append(m)
        full[fmt] = (statistics.median(ts), statistics.median(ms), _store_bytes(data))

    extra = one_more_day(exports)
    extra_rows = pl.read_csv(extra, infer_schema=False).height
    # the next days: the same day's cases under other ids, loaded one after another into a
    # copy of the full store (each run starts from a fresh copy)
    days = [extra]
    for i in range(1, args.days):
        text = extra.read_text(encoding="utf-8").splitlines(keepends=True)
        day = extra.with_name(f"{extra.stem}-{i}.csv")
        day.write_text(
            text[0] + "".join(f"{chr(ord('N') + i)}{line[1:]}" for line in text[1:]),
            encoding="utf-8",
        )
        days.append(day)
    inc: dict[str, list[tuple[float, float, int, str]]] = {}
    for fmt in formats:
        per_day: list[list[tuple[float, float, int, str]]] = [[] for _ in days]
        for _ in range(args.runs):
            copy = base / f"inc-{fmt}"
            shutil.rmtree(copy, ignore_errors=True)
            parquet_store.copy_data(base / f"full-{fmt}", copy)
            for i, day in enumerate(days):
                before = {p.name for p in (copy / "store").rglob("*.parquet")}
                t, m = _load(copy, fmt, day)
                after = {p.name for p in (copy / "store").rglob("*.parquet")}
                per_day[i].append((t, m, len(after - before), _derived_refresh(copy)))
        inc[fmt] = [
            (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                runs[-1][2],
                runs[-1][3],
            )
            for runs in per_day
        ]

    print(f"## Storage at scale {args.scale:g} — median of {args.runs} run(s)\n\n{machine()}\n")
    print(
        table(
            ["what", "rows", "seconds", "× floor", "peak RSS MB", "catalog MB", "Parquet MB"],
            [
                [
                    "DuckDB floor: CREATE TABLE AS read_csv (UTF-8 copies)",
                    f"{rows:,}",
                    f"{ft:.1f}",
                    "1.0",
                    f"{statistics.median(floor_m):.0f}",
                    "",
                    "",
                ],
                *[
                    [
                        f"full load, store.format = {fmt}",
                        f"{rows:,}",
                        f"{full[fmt][0]:.1f}",
                        f"{full[fmt][0] / ft:.2f}",
                        f"{full[fmt][1]:.0f}",
                        f"{full[fmt][2][0]:.1f}",
                        f"{full[fmt][2][1]:.1f}",
                    ]
                    for fmt in formats
                ],
                *[
                    [
                        f"day {i + 1} after the year, store.format = {fmt} "
                        f"({files} new Parquet files, derived tables {how})",
                        f"{extra_rows:,}",
                        f"{t:.2f}",
                        "",
                        f"{m:.0f}",
                        "",
                        "",
                    ]
                    for fmt in formats
                    for i, (t, m, files, how) in enumerate(inc[fmt])
                ],
            ],
        )
    )
    if args.no_growth:
        return
    months = _months(exports)
    grown: dict[str, list[tuple[float, float, tuple]]] = {}
    for fmt in formats:
        data = base / f"grow-{fmt}"
        shutil.rmtree(data, ignore_errors=True)
        grown[fmt] = []
        for _, paths in months:
            t, m = _load(data, fmt, *paths)
            grown[fmt].append((t, m, _store_bytes(data)))
    print("\n### One `pulse load` per month as the store grows\n")
    header = ["month", "files"]
    for fmt in formats:
        header += [f"{fmt} s", f"{fmt} peak RSS MB", f"{fmt} store MB"]
    body = []
    for i, (month, paths) in enumerate(months):
        row = [month, str(len(paths))]
        for fmt in formats:
            t, m, (cat, parq, _) = grown[fmt][i]
            row += [f"{t:.1f}", f"{m:.0f}", f"{cat + parq:.0f}"]
        body.append(row)
    print(table(header, body))


if __name__ == "__main__":
    main()
