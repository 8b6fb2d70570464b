"""The store's tables as Hive-partitioned Parquet (county/year/month), for engines other than
DuckDB (issue 18 point 3: Spark SQL over the same files).

Two doors, so that the engines never care where the files came from:

- `parquet_tables(root)`: table name → the glob an engine reads. Today it points at a folder
  written by `export_store`; when the loader publishes Parquet generations itself (issue 18
  point 1, a manifest per generation), this one function reads that manifest instead.
- `export_store(store_file, root)`: COPY a DuckDB store's tables to that layout. The facts
  go to `<table>/county=<6 digits>/year=<yyyy>/month=<m>/`, county = the first six digits of
  town_code (the statistical division code of the county); the small reference tables are
  partitioned by county only; the working-day calendar is one file shared by every county.

Derived state the loader computes is exported as stored, not recomputed by other engines:
`cases.deadline_at` (working days and 特别程序, etl/calendar.py) and `cases.evaluated`
(评价率's numerator). See docs/distributed.md.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# fact table → the time its rows are partitioned by (the day the indicators select on)
FACTS: dict[str, str] = {
    "cases": "accepted_at",
    "evaluations": "rated_at",
    "hotline_tickets": "received_at",
}
# reference data per county
REFERENCE: tuple[str, ...] = ("towns", "departments")
# one table for every county: the statutory working-day calendar (调休 included)
SHARED: tuple[str, ...] = ("calendar_days",)
TABLES: tuple[str, ...] = (*FACTS, *REFERENCE, *SHARED)

# columns that carry a town code (or start with one): remapped by `county_code=`
_CODED = ("town_code", "case_id", "eval_id", "ticket_id")


def parquet_tables(root: str | Path) -> dict[str, str]:
    """Table name → the Parquet glob an engine reads (hive partitions below the table)."""
    root = Path(root)
    out = {}
    for table in TABLES:
        depth = 3 if table in FACTS else 1 if table in REFERENCE else 0
        out[table] = str(root / table / ("*/" * depth) / "*.parquet").replace("//", "/")
    return out


def export_store(
    store_file: str | Path, root: str | Path, county_code: str | None = None
) -> dict[str, int]:
    """Write a store's tables under root as Parquet; returns rows written per table.

    county_code rewrites the first six digits of every town code (and of ids that start with
    one) to that code: a second demo county from a demo store (tests and bench, until
    `pulse demo --counties N` exists). Counties already under root stay; the calendar is
    overwritten (one calendar for all).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(store_file), read_only=True)
    try:
        rows = {}
        for table in TABLES:
            select = _select(con, table, county_code)
            rows[table] = con.execute(f"select count(*) from ({select})").fetchone()[0]
            if table in FACTS:
                at = FACTS[table]
                query = (
                    f"select *, left(town_code, 6) as county, year({at}) as year, "
                    f"month({at}) as month from ({select})"
                )
                options = "partition_by (county, year, month)"
            elif table in REFERENCE:
                # departments with no town (county level) belong to no county partition: they
                # do not enter any figure (figures are per town)
                query = f"select *, left(town_code, 6) as county from ({select})"
                query += " where town_code is not null"
                options = "partition_by (county)"
            else:
                target = root / table
                target.mkdir(exist_ok=True)
                con.execute(f"copy ({select}) to '{target / 'part-0.parquet'}' (format parquet)")
                continue
            con.execute(
                f"copy ({query}) to '{root / table}' (format parquet, {options}, "
                "overwrite_or_ignore true, filename_pattern 'part-{i}')"
            )
        return rows
    finally:
        con.close()


def _select(con, table: str, county_code: str | None) -> str:
    if county_code is None:
        return f"select * from {table}"
    if len(county_code) != 6 or not county_code.isdigit():
        raise ValueError(f"county code must be six digits, not {county_code!r}")
    names = [r[0] for r in con.execute(f"select name from pragma_table_info('{table}')").fetchall()]
    source = con.execute("select left(min(town_code), 6) from towns").fetchone()[0]
    replaced = [
        f"case when starts_with({n}, '{source}') then '{county_code}' || substr({n}, 7) "
        f"else {n} end as {n}"
        for n in names
        if n in _CODED
    ]
    if not replaced:
        return f"select * from {table}"
    return f"select * replace ({', '.join(replaced)}) from {table}"


def duckdb_views(con: duckdb.DuckDBPyConnection, root: str | Path) -> None:
    """Views named like the store's tables over the Parquet under root (hive columns county,
    year, month as text and integers)."""
    for table, glob in parquet_tables(root).items():
        hive = (
            "hive_partitioning = true, hive_types_autocast = false"
            if table != "calendar_days"
            else ""
        )
        args = f"'{glob}'" + (f", {hive}" if hive else "")
        con.execute(f"create or replace view {table} as select * from read_parquet({args})")
