"""DuckDB against Spark SQL (local mode) on the same queries over the same Parquet, at a few
sizes: 1, 2, 4 … demo counties (issue 18 point 4). Writes bench/results/spark-engines.md.

The Parquet is the product's own: `pulse demo --counties N` (the largest size) loaded into one
Parquet-format store; a size of n counties reads the files of the first n counties that the
published catalog names (etl/lake.py).

    make spark-bench                                  # 1, 2 and 4 counties at scale 0.25
    uv run python bench/spark_engines.py --scale 0.25 --counties 1,2,4 --runs 3

The queries are the port's (dashboard/engines/port.py): the mart SQL inlined and printed in
each engine's dialect, so both engines run the very same definitions.
- rollups: rollups/*.sql over all facts (what a load builds: the daily rollups and the
  体外循环 ones), materialised (DuckDB temp tables; Spark `CACHE TABLE … AS`, eager);
- figures per county / per town for 30 and 365 days from the rollups (what a page asks);
- raw: the same figures straight from the flags over the facts (indicator_counts_raw).
Both engines get 2 threads (Spark local[2], 4 shuffle partitions, 1 GB driver). Spark's
session start (JVM) is timed once, apart. Medians of --runs runs, in seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, WORK, machine, median_time, table

RESULTS = ROOT / "bench" / "results"


def queries(as_of) -> list[tuple[str, str, dict]]:
    """(title, port query, parameters) of every query both engines run, at data date as_of:
    the figures per county and per town for 30 and 365 days, the 体外循环 signals, and the
    raw figures straight from the flags."""
    from dashboard.engines import check, port

    periods = {"30 d": check.parameters(as_of, 30), "365 d": check.parameters(as_of, 365)}
    found = [
        (f"figures per {level}, {name}", port.figures_query(level), values)
        for name, values in periods.items()
        for level in ("county", "town")
    ]
    found.append(("体外循环 signals, 365 d", port.signals_query(), periods["365 d"]))
    found.append(
        (
            "raw (flags over facts) per town, 365 d",
            port.figures_query("town", counts="indicator_counts_raw"),
            periods["365 d"],
        )
    )
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--counties", default="1,2,4")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=RESULTS / "spark-engines.md")
    args = ap.parse_args()
    sizes = [int(n) for n in args.counties.split(",")]

    import duckdb

    from dashboard.engines import check, port, spark
    from etl.demo.city import county_code

    base = WORK / f"spark-{args.scale:g}-{max(sizes)}"
    city = check.build_demo(base, max(sizes), args.scale)
    compared = queries(check.store_as_of(city.store))
    codes = [county_code(k) for k in range(1, max(sizes) + 1)]

    rows = []
    start = time.perf_counter()
    with spark.session() as session:
        session_start = time.perf_counter() - start
        for n in sizes:
            found = check.open_lake(city, base / "sidecar", tuple(codes[:n]))
            con = duckdb.connect()
            con.execute("set threads = 2")
            cases = sum(_rows(con, f) for f in found.facts["cases"])
            label = f"{n} × scale {args.scale:g} ({cases:,} cases)"

            # rollups: once per engine (a load's work), then the queries read them
            lake_views = time.perf_counter()
            check.prepare_duckdb(con, found)
            duck_rollups = time.perf_counter() - lake_views
            session.catalog.clearCache()
            t = time.perf_counter()
            spark.register(session, found)
            for name, select in port.rollup_statements("spark"):
                session.catalog.dropTempView(name)  # the previous size's
                with spark.quiet_sockets():
                    session.sql(f"cache table {name} as {select}")
            spark_rollups = time.perf_counter() - t
            what = "rollups (rollups/*.sql, all facts)"
            rows.append([label, what, duck_rollups, spark_rollups])

            for title, query, values in compared:
                duck_sql = port.render(port.expand(query, values), "duckdb")
                spark_sql = port.render(port.expand(query, values), "spark")
                duck = median_time(lambda s=duck_sql, c=con: c.execute(s).fetchall(), args.runs)

                def run_spark(s=spark_sql):
                    with spark.quiet_sockets():
                        session.sql(s).collect()

                run_spark()  # plan caches warm, as DuckDB's first run above
                rows.append([label, title, duck, median_time(run_spark, args.runs)])
            con.close()
            print(f"{label}: done", file=sys.stderr)

    body = table(
        ["data", "query", "DuckDB s", "Spark local[2] s", "Spark / DuckDB"],
        [[d, q, f"{a:.3f}", f"{b:.3f}", f"{b / a:.0f}×" if a else "—"] for d, q, a, b in rows],
    )
    text = (
        f"## DuckDB against Spark SQL local mode, same queries, same Parquet\n\n{machine()}; "
        f"pyspark {_pyspark_version()}, Java 17. Spark session start (JVM, once): "
        f"{session_start:.1f} s. Medians of {args.runs} runs (rollups: one run).\n\n{body}\n"
    )
    print(text)
    args.out.write_text(text, encoding="utf-8")


def _rows(con, file: str) -> int:
    return con.execute("select count(*) from read_parquet(?)", [file]).fetchall()[0][0]


def _pyspark_version() -> str:
    import pyspark

    return pyspark.__version__


if __name__ == "__main__":
    main()
