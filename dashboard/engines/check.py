"""The product against DuckDB and Spark over its own Parquet: every registry figure (and every
count it is formed from, and the 12345 page's own figures of dashboard/queries/hotline__*.sql)
for every county and every town, and every 体外循环 signal for every town × department, of a
multi-county demo (issue 18 point 3).

    make spark-check                    # a 2-county demo in a temporary folder
    uv run python -m dashboard.engines.check --counties 3 --scale 0.02

The demo is `pulse demo --counties N` loaded into ONE Parquet-format store
(store.format = "parquet"), in child processes. Three computations of the same figures:
- product: the published store read as the dashboard reads it — dashboard.store.Store and the
  domain code (domain/metrics.py per town, domain/counties.py per county,
  domain/outside_system.py signals), its stored macros and the rollups its load built;
- duckdb: DuckDB over the files the generation's catalog names (etl/lake.py), the definitions
  inlined by the port (dashboard/engines/port.py), the rollups built from the facts;
- spark: Spark SQL (local mode) over the same files, the same inlined definitions.
Counts and flags must be equal exactly, rates and signal values to 1e-9.

The page figures are the page's query files run once per scope (a town alone, a county's
towns), as the product runs them through the Store's door; the port binds `$towns` and the
other parameters as literals and runs the instances as one statement (port.page_query_scopes).
What the page does in Python — a county's 解决率 from its towns' rows, the repeat-call window —
is dashboard/domain/hotline.py, applied to every engine's rows alike.
"""

from __future__ import annotations

import argparse
import math
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

DEMO_END = "2026-11-20"
TOLERANCE = 1e-9  # rates and signal values (doubles); everything else exactly
LEVELS = ("county", "town")
SIGNAL_KEYS = ("town_code", "dept_name", "period_start", "signal")
NAMES = "outside_system_depts"  # the registry's names figure: flagged departments
# the page figures (registry source="query") and the counts 解决率 is formed from, per scope
PAGE_COLUMNS = (
    "resolution_known",
    "resolved_tickets",
    "hotline_resolution_rate",
    "hotline_repeat_callers",
    "hotline_repeat_calls",
)


@dataclass(frozen=True)
class City:
    store: Path  # the published store (pulse.duckdb, a symlink to the generation's catalog)
    data_dir: Path


def build_demo(base: Path, counties: int = 2, scale: float = 0.02, seed: int = 7) -> City:
    """`pulse demo --counties N` loaded into one Parquet-format store below base, in child
    processes (PULSE_DATA_DIR, PULSE_STORE_FORMAT=parquet): no settings leak. A store already
    under base is reused (bench)."""
    data = base / "data"
    store = data / "store" / "pulse.duckdb"
    if not store.exists():
        env = {**os.environ, "PULSE_DATA_DIR": str(data), "PULSE_STORE_FORMAT": "parquet"}
        for name in ("PULSE_STORE", "PULSE_CONFIG", "PULSE_SECRET_FILE", "PULSE_APP_DB"):
            env.pop(name, None)
        exports = base / "exports"
        cli = [sys.executable, "-m", "dashboard.cli"]
        demo = ["demo", "--counties", str(counties), "--seed", str(seed), "--scale", str(scale)]
        for command in (
            [*demo, "--end", DEMO_END, "--out", str(exports)],
            ["load", str(exports)],
        ):
            done = subprocess.run([*cli, *command], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"pulse {command[0]} failed:\n{done.stderr[-2000:]}")
    return City(store, data)


def open_lake(city: City, sidecar: Path, counties: tuple[str, ...] = ()) -> lake.Lake:
    """The published generation's files (etl/lake.py), reference tables in `sidecar`."""
    return lake.parquet_tables(city.store, sidecar, counties)


def parameters(as_of: datetime, days: int) -> dict:
    """The figures' and the signals' parameters: the `days` up to as_of's date, the indicator
    and 体外循环 settings (as dashboard.domain.params and outside_system pass them)."""
    from dashboard.domain import outside_system

    return {
        "date_from": as_of.date() - timedelta(days=days - 1),
        "date_to": as_of.date(),
        "as_of": as_of,
        "online_channels": list(settings.get("indicators.online_channels")),
        "horizon": int(settings.get("indicators.warning_horizon_workdays")),
        "satisfied_rating": int(settings.get("indicators.satisfied_rating")),
        "rectify_days": int(settings.get("indicators.rectify_deadline_days")),
        **outside_system.thresholds(),
    }


def store_as_of(store: Path) -> datetime:
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("select value from store_meta where key = 'as_of'").fetchall()
    finally:
        con.close()
    return datetime.fromisoformat(rows[0][0])


# --- the product: the dashboard's door and domain code ----------------------------------------


def product_store(city: City):
    from dashboard.auth.access import SYSTEM
    from dashboard.store import Store

    return Store(city.store, cache_mb=0, access=SYSTEM)


def product_figures(store, level: str, values: dict) -> pl.DataFrame:
    """The figures as the pages show them: domain metrics() per town, counties.metrics() per
    county (体外循环 names included); the counts they are formed from (which the pages do not
    show) from the store's own macros and rollups, through the same door."""
    from dashboard.domain import counties
    from dashboard.domain import metrics as domain

    period = (values["date_from"], values["date_to"], values["as_of"])
    if level == "town":
        shown = domain.metrics(store, *period, by="town", flags=True)
    else:
        shown = counties.metrics(store, *period, flags=True).rename({"county_code": "county"})
    key = shown.columns[0]
    sql = port.render(port.expand(port.figures_query(level), values, macros={}), "duckdb")
    counts = store.sql(sql, whole_county=True)
    kept = [c for c in counts.columns[1:] if c not in port.FIGURES]
    return (
        counts.select(key, *kept)
        .join(shown.select(key, *port.FIGURES, NAMES), on=key, how="left")
        .sort(key)
    )


def product_signals(store, values: dict) -> pl.DataFrame:
    from dashboard.domain import outside_system
    from dashboard.domain.params import Params

    params = Params(values["date_from"], values["date_to"], values["as_of"])
    return outside_system.signals(store, params).drop("town_name")


# --- the page figures: dashboard/queries/hotline__*.sql per town and per county ---------------


def page_queries() -> tuple[str, ...]:
    """The query files forming the registry's page figures (port.page_query_of)."""
    return tuple(dict.fromkeys(port.page_query_of(k) for k in port.PAGE_FIGURES))


def page_values(values: dict) -> dict:
    """The page's parameters: the period's, no department chosen, the repeat-call window
    (dashboard.domain.hotline, as the 12345 page passes them)."""
    from dashboard.domain import hotline

    return {**values, "depts": [], **hotline.query_params()}


def page_scopes(towns: pl.DataFrame) -> dict[str, dict[str, list[str]]]:
    """level → scope key → the towns the door binds: each town alone, each county's towns."""
    codes = sorted(towns["town_code"])
    counties: dict[str, list[str]] = {}
    for code in codes:
        counties.setdefault(code[:6], []).append(code)
    return {"town": {c: [c] for c in codes}, "county": counties}


def page_figures(rows: dict[str, pl.DataFrame], level: str) -> pl.DataFrame:
    """The page figures per scope of a level from the page queries' rows (a `scope` column
    tagging each instance): a town's 解决率 is its row of hotline__resolution.sql (as the
    page's town table shows it), a county's is domain/hotline.county_resolution of its towns'
    rows (as the page's KPI); 重复来电人数/重复来电 are hotline__repeat_count.sql's one row."""
    from dashboard.domain import hotline

    key = "town_code" if level == "town" else "county"
    resolution, repeats = rows["hotline__resolution"], rows["hotline__repeat_count"]
    out = []
    for scope in sorted(set(repeats["scope"])):
        mine = resolution.filter(pl.col("scope") == scope)
        if level == "town":
            own = mine.filter(pl.col("town_code") == scope)
            rate = own["hotline_resolution_rate"][0] if own.height else None
        else:
            rate = hotline.county_resolution(mine)
        (repeat,) = repeats.filter(pl.col("scope") == scope).rows(named=True)
        out.append(
            {
                key: scope,
                "resolution_known": int(mine["resolution_known"].sum()),
                "resolved_tickets": int(mine["resolved_tickets"].sum()),
                "hotline_resolution_rate": rate,
                "hotline_repeat_callers": int(repeat["hotline_repeat_callers"]),
                "hotline_repeat_calls": int(repeat["hotline_repeat_calls"]),
            }
        )
    schema = {key: pl.String, "hotline_resolution_rate": pl.Float64}
    return pl.DataFrame(out, schema_overrides=schema, infer_schema_length=None)


def product_page_rows(store, values: dict, scopes: dict[str, list[str]], level: str) -> dict:
    """The page queries as the 12345 page runs them, through the Store's door: 解决率 for
    the whole county once (the town table) or per county (the KPI), 重复来电 per scope."""
    from dashboard.store import COUNTY, Scope

    params = page_values(values)
    out = {}
    for name in page_queries():
        if name == "hotline__resolution" and level == "town":
            frame = store.query(name, scope=COUNTY, **params)
            frame = frame.with_columns(pl.col("town_code").alias("scope"))
        else:
            frames = []
            for key, towns in scopes.items():
                scope = Scope(towns=tuple(towns)) if level == "town" else Scope(counties=(key,))
                got = store.query(name, scope=scope, **params)
                frames.append(got.with_columns(pl.lit(key).alias("scope")))
            frame = pl.concat(frames, how="diagonal_relaxed")
        out[name] = frame
    return out


def page_sql(name: str, values: dict, scopes: dict, dialect: str) -> str:
    """A page query once per scope of every level, in the dialect (port.page_query_scopes)."""
    every = {k: v for level in scopes.values() for k, v in level.items()}
    return port.render(port.page_query_scopes(name, page_values(values), every), dialect)


def split_levels(rows: dict[str, pl.DataFrame], scopes: dict) -> dict[str, dict]:
    """The rows of every scope split into the levels (town codes and county codes differ)."""
    return {
        level: {n: f.filter(pl.col("scope").is_in(list(keys))) for n, f in rows.items()}
        for level, keys in scopes.items()
    }


# --- the port on DuckDB and on Spark --------------------------------------------------------


def prepare_duckdb(con: duckdb.DuckDBPyConnection, found: lake.Lake) -> None:
    """Views over the lake's files, then every rollup (the loader's tables) as temp tables."""
    lake.duckdb_views(con, found)
    for table, select in port.rollup_statements("duckdb"):
        con.execute(f"create or replace temp table {table} as {select}")


def duckdb_figures(con: duckdb.DuckDBPyConnection, level: str, values: dict) -> pl.DataFrame:
    return con.sql(port.render(port.expand(port.figures_query(level), values), "duckdb")).pl()


def duckdb_signals(con: duckdb.DuckDBPyConnection, values: dict) -> pl.DataFrame:
    return con.sql(port.render(port.expand(port.signals_query(), values), "duckdb")).pl()


def duckdb_page_rows(con: duckdb.DuckDBPyConnection, values: dict, scopes: dict) -> dict:
    return {n: con.sql(page_sql(n, values, scopes, "duckdb")).pl() for n in page_queries()}


def spark_results(
    found: lake.Lake,
    values_list: list[dict],
    signals: list[bool] | None = None,
    scopes: dict | None = None,
) -> list[dict[str, pl.DataFrame]]:
    """For each parameter set: the figures per county and per town, the page queries' rows
    per scope (when `scopes` are given) and (where `signals` says, default always) the
    体外循环 signals, from one Spark session over the lake's files (the rollups built once)."""
    from dashboard.engines import spark

    out = []
    with spark.session() as session:
        spark.register(session, found)
        spark.build_rollups(session)
        for values, judged in zip(values_list, signals or [True] * len(values_list), strict=True):
            got = {level: spark.figures(session, level, values) for level in LEVELS}
            if scopes:
                got["page"] = {
                    n: spark.frame(session, page_sql(n, values, scopes, "spark"))
                    for n in page_queries()
                }
            if judged:
                got["signals"] = spark.signals(session, values)
            out.append(got)
    return out


def with_names(figures: pl.DataFrame, signals: pl.DataFrame, towns: pl.DataFrame) -> pl.DataFrame:
    """The names figure (outside_system_depts) from a computation's own signals, worded as
    domain/outside_system.metrics_columns words it: per town the flagged departments, per
    county 乡镇·部门, sorted, joined by ';' (null when none)."""
    key = figures.columns[0]
    flagged = signals.filter(pl.col("flagged")).join(towns, on="town_code", how="left")
    if key == "town_code":
        name = pl.col("dept_name")
    else:
        flagged = flagged.with_columns(pl.col("town_code").str.slice(0, 6).alias(key))
        name = pl.concat_str("town_name", pl.lit("·"), "dept_name")
    listed = flagged.group_by(key).agg(name.sort().str.join(";").alias(NAMES))
    return figures.join(listed, on=key, how="left").sort(key)


# --- comparison -----------------------------------------------------------------------------


def differences(left: pl.DataFrame, right: pl.DataFrame, keys: tuple[str, ...] = ()) -> list[str]:
    """Every cell where two frames differ: same keys (default the first column), same
    columns, equal values (doubles to TOLERANCE)."""
    keys = keys or (left.columns[0],)
    if sorted(left.columns) != sorted(right.columns):
        return [f"columns differ: {sorted(left.columns)} vs {sorted(right.columns)}"]
    left, right = left.sort(keys), right.sort(keys).select(left.columns)
    lk, rk = left.select(keys).rows(), right.select(keys).rows()
    if lk != rk:
        return [f"keys differ: {sorted(set(lk) ^ set(rk))[:10]}"]
    out = []
    for col in left.columns:
        if col in keys:
            continue
        for k, a, b in zip(lk, left[col], right[col], strict=True):
            if not _same(a, b):
                out.append(f"{'/'.join(map(str, k))} {col}: {a!r} vs {b!r}")
    return out


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


def comparison_table(product: pl.DataFrame, spark: pl.DataFrame) -> str:
    """Markdown: one row per column, the product | Spark per county, and whether they agree."""
    key = product.columns[0]
    product, spark = product.sort(key), spark.sort(key).select(product.columns)
    codes = product[key].to_list()
    head = ["figure", *(f"{c} product | {c} Spark" for c in codes), "same"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "--:|" * (2 * len(codes)) + ":-:|"]
    for col in product.columns[1:]:
        cells = [f"{_fmt(product[col][i])} | {_fmt(spark[col][i])}" for i in range(len(codes))]
        same = "✓" if not differences(product.select(key, col), spark.select(key, col)) else "✗"
        lines.append(f"| {col} | " + " | ".join(cells) + f" | {same} |")
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value).replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=2)
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--work", type=Path, help="folder for the demo and the store (default: temp)")
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spark-check-") as tmp:
        text, failures = report(args.work or Path(tmp), args.counties, args.scale)
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 1 if failures else 0


def compare(
    city: City, sidecar: Path, periods: dict[str, dict], signals: tuple[str, ...] | None = None
) -> list[dict]:
    """Every comparison for every period: per level and for the signals (of the periods named
    by `signals`, default all: Spark's signal query is its slowest), the three frames
    (product, duckdb, spark) and their differences. Without its signals a period's names
    figure (outside_system_depts) is the product's on every side: not compared."""
    found = open_lake(city, sidecar)
    towns = pl.read_parquet(found.reference["towns"]).select("town_code", "town_name")
    scopes = page_scopes(towns)
    judged = [signals is None or name in signals for name in periods]
    sparked = spark_results(found, list(periods.values()), judged, scopes)
    store = product_store(city)
    con = duckdb.connect()
    prepare_duckdb(con, found)
    out = []
    try:
        for (name, values), spark in zip(periods.items(), sparked, strict=True):
            product = product_signals(store, values)
            found_signals = {
                "product": product,
                "duckdb": duckdb_signals(con, values) if "signals" in spark else product,
                "spark": spark.get("signals", product),
            }
            pages = {
                "duckdb": split_levels(duckdb_page_rows(con, values, scopes), scopes),
                "spark": split_levels(spark["page"], scopes),
            }
            for level in LEVELS:
                pages["product"] = {level: product_page_rows(store, values, scopes[level], level)}
                frames = {
                    "product": product_figures(store, level, values),
                    "duckdb": with_names(
                        duckdb_figures(con, level, values), found_signals["duckdb"], towns
                    ),
                    "spark": with_names(spark[level], found_signals["spark"], towns),
                }
                frames = {
                    engine: frame.join(
                        page_figures(pages[engine][level], level), on=frame.columns[0], how="left"
                    )
                    for engine, frame in frames.items()
                }
                out.append(_result(name, values, level, frames, ()))
            if "signals" in spark:
                out.append(_result(name, values, "signals", found_signals, SIGNAL_KEYS))
    finally:
        con.close()
    return out


def _result(period, values, level, frames, keys) -> dict:
    diff = [
        f"{engine}: {line}"
        for engine in ("duckdb", "spark")
        for line in differences(frames["product"], frames[engine], keys)
    ]
    return {"period": period, "values": values, "level": level, "frames": frames, "diff": diff}


def report(base: Path, counties_n: int = 2, scale: float = 0.02) -> tuple[str, int]:
    """The comparison as markdown, and how many cells differ."""
    city = build_demo(base, counties_n, scale)
    as_of = store_as_of(city.store)
    periods = {"30 days": parameters(as_of, 30), "365 days": parameters(as_of, 365)}
    results = compare(city, base / "sidecar", periods)
    found = open_lake(city, base / "sidecar")
    files = sum(len(v) for v in found.facts.values())
    failures = sum(len(r["diff"]) for r in results)
    out = [
        f"# The product against DuckDB and Spark SQL: {counties_n} counties at scale {scale:g}\n",
        f"One Parquet-format store (`pulse demo --counties {counties_n}`, one `pulse load`), "
        f"generation {found.generation}: {files} Parquet files named by its catalog. as_of "
        f"{as_of}. {len(port.FIGURES)} registry figures, the counts they are formed from, "
        f"the 体外循环 names ({NAMES}) and the {len(port.PAGE_FIGURES)} figures of the 12345 "
        f"page's own queries ({', '.join(port.PAGE_FIGURES)}: "
        f"{', '.join(f'dashboard/queries/{q}.sql' for q in page_queries())}, with 解决率's "
        "counts) per county and per town, and the 6 体外循环 signals per "
        "town × department (every column: value, threshold, volume, hits, flagged and the "
        "counts behind them). product = the store as the dashboard reads it (Store and the "
        "domain code); duckdb = DuckDB over the catalog's files with the port's definitions; "
        "spark = Spark SQL local mode over the same files. Doubles to 1e-9, all else exact.\n",
    ]
    for r in results:
        product = r["frames"]["product"]
        verdict = "all equal" if not r["diff"] else f"{len(r['diff'])} differences"
        values = r["values"]
        what = "per town × department × signal" if r["level"] == "signals" else f"per {r['level']}"
        extra = ""
        if r["level"] == "signals":
            flagged = product.filter(pl.col("flagged"))
            extra = (
                f", {product.select('town_code', 'dept_name').n_unique()} town departments, "
                f"{flagged.height} flagged ("
                + ", ".join(
                    f"{s} {n}" for s, n in flagged["signal"].value_counts().sort("signal").rows()
                )
                + ")"
            )
        out.append(
            f"## {r['period']} ({values['date_from']} to {values['date_to']}), {what}: "
            f"{product.height} rows × {product.width - (4 if r['level'] == 'signals' else 1)} "
            f"columns{extra}: {verdict}\n"
        )
        if r["level"] == "county":
            out.append(comparison_table(product, r["frames"]["spark"]) + "\n")
        out += [f"- {line}" for line in r["diff"][:20]]
    return "\n".join(out) + "\n", failures


if __name__ == "__main__":
    raise SystemExit(main())
