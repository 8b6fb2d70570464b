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

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, WORK, demo_exports, machine, run_measured, table
from bench.etl_load import FLOOR_SCRIPT, one_more_day, utf8_copies

FORMATS = ("duckdb", "parquet")


def _env(data: Path, fmt: str) -> dict[str, str]:
    return {
        **os.environ,
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
    args = ap.parse_args()
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
    for fmt in FORMATS:
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
    inc: dict[str, tuple[float, float, int]] = {}
    for fmt in FORMATS:
        ts, ms = [], []
        for _ in range(args.runs):
            copy = base / f"inc-{fmt}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(base / f"full-{fmt}", copy, symlinks=True)
            before = {p.name for p in (copy / "store").rglob("*.parquet")}
            t, m = _load(copy, fmt, extra)
            after = {p.name for p in (copy / "store").rglob("*.parquet")}
            ts.append(t)
            ms.append(m)
        inc[fmt] = (statistics.median(ts), statistics.median(ms), len(after - before))

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
                    for fmt in FORMATS
                ],
                *[
                    [
                        f"one more day, store.format = {fmt} ({inc[fmt][2]} new Parquet files)",
                        f"{extra_rows:,}",
                        f"{inc[fmt][0]:.2f}",
                        "",
                        f"{inc[fmt][1]:.0f}",
                        "",
                        "",
                    ]
                    for fmt in FORMATS
                ],
            ],
        )
    )
    if args.no_growth:
        return
    months = _months(exports)
    grown: dict[str, list[tuple[float, float, tuple]]] = {}
    for fmt in FORMATS:
        data = base / f"grow-{fmt}"
        shutil.rmtree(data, ignore_errors=True)
        grown[fmt] = []
        for _, paths in months:
            t, m = _load(data, fmt, *paths)
            grown[fmt].append((t, m, _store_bytes(data)))
    print("\n### One `pulse load` per month as the store grows\n")
    header = ["month", "files"]
    for fmt in FORMATS:
        header += [f"{fmt} s", f"{fmt} peak RSS MB", f"{fmt} store MB"]
    body = []
    for i, (month, paths) in enumerate(months):
        row = [month, str(len(paths))]
        for fmt in FORMATS:
            t, m, (cat, parq, _) = grown[fmt][i]
            row += [f"{t:.1f}", f"{m:.0f}", f"{cat + parq:.0f}"]
        body.append(row)
    print(table(header, body))


if __name__ == "__main__":
    main()
