"""DuckDB against Spark on the same figures: every registry figure (and every count it is formed
from) for every county and every town of a multi-county demo.

    make spark-check                    # builds a 2-county demo in a temporary folder
    uv run python -m dashboard.engines.check --counties 3 --scale 0.02

Three computations of the same query (port.figures_query):
- duckdb-store: each county's own DuckDB store, with its stored macros and the rollups its
  load built — the product's figures;
- duckdb-parquet: DuckDB over the Parquet, the definitions inlined by the port;
- spark: Spark SQL over the same Parquet, the same inlined definitions in Spark's dialect.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from dashboard.engines import port
from etl import lake, settings

ROOT = Path(__file__).resolve().parents[2]
FIRST_COUNTY = "339901"  # the demo county's code (etl/demo)
DEMO_END = "2026-11-20"


@dataclass(frozen=True)
class County:
    code: str
    store: Path  # the county's published DuckDB store file
    data_dir: Path


def build_demo(base: Path, counties: int = 2, scale: float = 0.02, seed: int = 7) -> list[County]:
    """N demo counties, each a `pulse demo` (seed, seed+1, …) loaded into its own store, the
    second and later with their town codes moved to the next county codes (339902, …), until
    `pulse demo --counties N` exists. Runs `pulse` in child processes: no settings leak.
    A county whose store is already under base is reused (bench)."""
    out = []
    for i in range(counties):
        data = base / f"county-{i + 1}"
        code = f"{int(FIRST_COUNTY) + i:06d}"
        store = data / "store" / "pulse.duckdb"
        if store.exists():
            out.append(County(code, store.resolve(), data))
            continue
        env = {**os.environ, "PULSE_DATA_DIR": str(data)}
        for name in ("PULSE_STORE", "PULSE_CONFIG", "PULSE_SECRET_FILE", "PULSE_APP_DB"):
            env.pop(name, None)
        exports = base / f"exports-{i + 1}"
        cli = [sys.executable, "-m", "dashboard.cli"]
        demo = ["demo", "--seed", str(seed + i), "--scale", str(scale), "--out", str(exports)]
        subprocess.run([*cli, *demo, "--end", DEMO_END], env=env, check=True, capture_output=True)
        subprocess.run([*cli, "load", str(exports)], env=env, check=True, capture_output=True)
        out.append(County(code, store.resolve(), data))
    return out


def publish_parquet(counties: list[County], root: Path) -> Path:
    """The counties' tables as Parquet under root (etl/lake.py)."""
    for county in counties:
        lake.export_store(county.store, root, None if county.code == FIRST_COUNTY else county.code)
    return root


def parameters(as_of: datetime, days: int) -> dict:
    """The figures' parameters: the `days` up to as_of's date, the indicator settings."""
    return {
        "date_from": as_of.date() - timedelta(days=days - 1),
        "date_to": as_of.date(),
        "as_of": as_of,
        "online_channels": list(settings.get("indicators.online_channels")),
        "horizon": int(settings.get("indicators.warning_horizon_workdays")),
        "satisfied_rating": int(settings.get("indicators.satisfied_rating")),
        "rectify_days": int(settings.get("indicators.rectify_deadline_days")),
    }


def store_as_of(store: Path) -> datetime:
    con = duckdb.connect(str(store), read_only=True)
    try:
        value = con.execute("select value from store_meta where key = 'as_of'").fetchone()[0]
    finally:
        con.close()
    return datetime.fromisoformat(value)


# --- the three computations -----------------------------------------------------------------


def duckdb_store(counties: list[County], level: str, values: dict) -> pl.DataFrame:
    """Each county's figures from its own store: the stored macros, the loaded rollups."""
    sql = port.render(port.expand(port.figures_query(level), values, macros={}), "duckdb")
    frames = []
    for county in counties:
        con = duckdb.connect(str(county.store), read_only=True)
        try:
            frame = con.sql(sql).pl()
        finally:
            con.close()
        key = frame.columns[0]
        frames.append(
            frame.with_columns((pl.lit(county.code) + pl.col(key).str.slice(6)).alias(key))
        )
    return pl.concat(frames)


def duckdb_parquet(
    root: Path, level: str, values: dict, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """DuckDB over the Parquet with the port's inlined definitions (rollups built first when
    `con` is new)."""
    own = con is None
    if own:
        con = duckdb.connect()
        prepare_duckdb(con, root)
    try:
        sql = port.render(port.expand(port.figures_query(level), values), "duckdb")
        return con.sql(sql).pl()
    finally:
        if own:
            con.close()


def prepare_duckdb(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    lake.duckdb_views(con, root)
    for table, select in port.rollup_statements("duckdb"):
        con.execute(f"create or replace temp table {table} as {select}")


def spark_figures(root: Path, levels: list[str], values_list: list[dict]) -> list[pl.DataFrame]:
    from dashboard.engines import spark

    out = []
    with spark.session() as session:
        spark.register(session, root)
        spark.build_rollups(session)
        for values in values_list:
            for level in levels:
                out.append(spark.figures(session, level, values))
    return out


# --- comparison -----------------------------------------------------------------------------


def differences(left: pl.DataFrame, right: pl.DataFrame) -> list[str]:
    """Every cell where the two frames differ (same keys, same columns, exact values)."""
    if left.columns != right.columns:
        return [f"columns differ: {left.columns} vs {right.columns}"]
    key = left.columns[0]
    left, right = left.sort(key), right.sort(key)
    if left[key].to_list() != right[key].to_list():
        return [f"{key}s differ: {left[key].to_list()} vs {right[key].to_list()}"]
    out = []
    for col in left.columns[1:]:
        for k, a, b in zip(left[key], left[col], right[col], strict=True):
            if a != b:
                out.append(f"{key}={k} {col}: {a!r} vs {b!r}")
    return out


def comparison_table(duck: pl.DataFrame, spark: pl.DataFrame) -> str:
    """Markdown: one row per column, DuckDB | Spark per county, and whether they agree."""
    key = duck.columns[0]
    duck, spark = duck.sort(key), spark.sort(key)
    codes = duck[key].to_list()
    head = ["figure", *(f"{c} DuckDB | {c} Spark" for c in codes), "same"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "--:|" * (2 * len(codes)) + ":-:|"]
    for col in duck.columns[1:]:
        cells = []
        for i in range(len(codes)):
            cells.append(f"{_fmt(duck[col][i])} | {_fmt(spark[col][i])}")
        same = "✓" if duck[col].to_list() == spark[col].to_list() else "✗"
        lines.append(f"| {col} | " + " | ".join(cells) + f" | {same} |")
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=2)
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--work", type=Path, help="folder for the demo and the Parquet (default: temp)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spark-check-") as tmp:
        text, failures = report(args.work or Path(tmp), args.counties, args.scale)
    sys.stdout.write(text)
    return 1 if failures else 0


def report(base: Path, counties_n: int = 2, scale: float = 0.02) -> tuple[str, int]:
    """The comparison as markdown, and how many cells differ."""
    counties = build_demo(base, counties_n, scale)
    root = publish_parquet(counties, base / "parquet")
    as_of = store_as_of(counties[0].store)
    periods = {"30 days": parameters(as_of, 30), "365 days": parameters(as_of, 365)}
    levels = ["county", "town"]
    sparked = iter(spark_figures(root, levels, list(periods.values())))
    con = duckdb.connect()
    prepare_duckdb(con, root)
    failures = 0
    out = [
        f"# DuckDB against Spark SQL: {counties_n} counties at scale {scale:g}\n",
        f"as_of {as_of}; {len(port.FIGURES)} registry figures and the counts they are formed "
        "from; DuckDB = each county's own store, checked also against DuckDB over the Parquet.\n",
    ]
    for name, values in periods.items():
        for level in levels:
            store = duckdb_store(counties, level, values)
            parquet = duckdb_parquet(root, level, values, con)
            spark = next(sparked)
            diff = differences(store, spark) + differences(store, parquet)
            failures += len(diff)
            verdict = "all equal" if not diff else f"{len(diff)} differences"
            out.append(
                f"## {name} to {values['date_to']}, per {level}: "
                f"{store.height} rows × {store.width - 1} columns: {verdict}\n"
            )
            if level == "county":
                out.append(comparison_table(store, spark) + "\n")
            out += [f"- {line}" for line in diff[:20]]
    con.close()
    return "\n".join(out) + "\n", failures


if __name__ == "__main__":
    raise SystemExit(main())
