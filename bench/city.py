"""City size (issue 18 point 4): one Parquet-format store grown county by county, 1 → 20 demo
counties (`pulse demo --counties N`), measured in one run side by side with plain DuckDB.

- growth: each county's year is one `pulse load <county folder>` child into the same store
  (PULSE_STORE_FORMAT=parquet); time, peak RSS (wait4), catalog and Parquet MB after it, and
  DuckDB's own `read_csv` floor of the same county's files (bench/etl_load.py FLOOR_SCRIPT,
  UTF-8 copies) for the × floor ratio (target: full load ≤ 2× floor, memory flat);
- at each measured N (--sizes, default 1, 2, 5, 10, 20 up to --counties-max):
  - one more day (bench/etl_load.one_more_day: the newest full day of county 1's cases under
    new ids) into a copy of the store (Parquet files hard-linked, they are never changed):
    time and peak RSS (target ≤ 2 s);
  - metrics for the year: `pulse metrics --by county` child (wall time), and in one child
    process with a SYSTEM Store (no result cache): counties.metrics() for the city and for
    one county, against plain DuckDB counting the same cases straight over the store's
    Parquet files (read_parquet of the files the catalog names);
  - pages: the data of 市级看板 /city and of a county's 总览 (`/?counties=339901`), computed
    by the domain functions their callbacks call, this month: the first call in a fresh
    process (connection opened) and the median of --runs more;
- at the largest N: DuckDB against Spark local mode on the port's queries (as
  bench/spark_engines.py) over the store's own published Parquet (etl/lake.py).

Exports are generated once per scale under $PULSE_BENCH_DIR (default /tmp/pulse-bench):
`city-<S>/` is `pulse demo --counties N --scale S --end 2026-11-20`; the store is rebuilt on
every run. Writes bench/results/city-scale-<S>.md.

    uv run python bench/city.py --scale 0.02 --counties-max 5      # about 5 minutes
    uv run python bench/city.py --scale 1     # 20 counties, 14 M cases; 1-1.5 h (make city-bench)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import spark_engines
from bench.common import PY, ROOT, WORK, machine, median_time, run_measured, table
from bench.etl_load import FLOOR_SCRIPT, one_more_day, utf8_copies
from bench.storage import _store_bytes
from dashboard.domain.indicators import HEADLINE, RANKABLE

RESULTS = ROOT / "bench" / "results"
DEMO_END = "2026-11-20"
FIRST = "339901"  # county 1, the demo county: the one the incremental day and pages use
SIZES = (1, 2, 5, 10, 20)
KPIS = HEADLINE  # the KPI cards 市级看板 and 总览 show
RANK_BY = RANKABLE[0]  # both pages' default ranking
GROWTH_COLUMNS = (
    "N | county | rows | load s | floor s | × floor | floor RSS MB | load peak RSS MB | "
    "catalog MB | Parquet MB | Parquet files | cases in store"
)
SIZE_COLUMNS = (
    "N | cases | one more day s | its peak RSS MB | `pulse metrics` s | metrics city ms | "
    "metrics {county} ms | raw DuckDB city ms | raw DuckDB {county} ms | case counts | "
    "/city ms | 总览 {county} ms"
)


# --- the exports -----------------------------------------------------------------------------


def city_exports(scale: float, counties: int) -> Path:
    """`pulse demo --counties N` at a scale, generated once (more counties: generated again;
    county k's files do not depend on N)."""
    out = WORK / f"city-{scale:g}"
    listed = out / "counties.csv"
    have = (
        pl.read_csv(listed, infer_schema=False).height
        if listed.exists()
        else 1
        if (out / "towns.csv").exists()
        else 0
    )
    if have < counties:
        start = time.perf_counter()
        options = _options(counties=counties, scale=scale, out=out, end=DEMO_END)
        subprocess.run(
            [PY, "-m", "dashboard.cli", "demo", *options],
            cwd=ROOT,
            check=True,
        )
        print(f"generated {counties} counties in {time.perf_counter() - start:.0f} s", flush=True)
    return out


def county_folders(city: Path, counties: int) -> list[tuple[str, Path]]:
    """(code, folder) per county: a folder of links to that county's own exports (county 1's
    lie beside the others' folders) and a counties.csv naming it alone, so that the store
    names exactly the counties loaded so far."""
    from etl.demo.city import demo_counties

    listed = city / "counties.csv"
    names = (
        pl.read_csv(listed, infer_schema=False)
        if listed.exists()
        else pl.DataFrame({"县区代码": [FIRST], "县区名称": ["示范县"], "所属市": ["示范市"]})
    )
    base = WORK / f"{city.name}-by-county"
    out = []
    for c in demo_counties(counties, city):
        folder = base / f"{city.name}-{c.code}"
        if not (folder / "towns.csv").exists():
            folder.mkdir(parents=True, exist_ok=True)
            for f in c.folder.iterdir():
                if f.is_file() and f.name != "counties.csv":
                    (folder / f.name).unlink(missing_ok=True)
                    (folder / f.name).symlink_to(f)
            names.filter(pl.col("县区代码") == c.code).write_csv(folder / "counties.csv")
        out.append((c.code, folder))
    return out


# --- children --------------------------------------------------------------------------------


def _env(data: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PULSE_DATA_DIR": str(data),
        "PULSE_STORE_FORMAT": "parquet",
        "PULSE_CONFIG": str(data.parent / "absent.toml"),
    }
    env.pop("PULSE_STORE", None)
    return env


def _options(**values: object) -> list[str]:
    """Command-line options: --name value (from_ → --from)."""
    return [x for k, v in values.items() for x in (f"--{k.rstrip('_')}", str(v))]


def _pulse(data: Path, *args: str) -> tuple[float, float]:
    return run_measured([PY, "-m", "dashboard.cli", *args], env=_env(data))


def _child(data: Path, task: dict) -> dict:
    """This script's --child part in a fresh process against the store; its JSON answer."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.run(
            [PY, str(Path(__file__).resolve()), "--child", json.dumps(task)],
            cwd=ROOT,
            env=_env(data),
            stdout=subprocess.PIPE,
            stderr=errors,
            check=False,
        )
        if proc.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"child {task['part']} failed: {errors.read().decode()[-2000:]}")
    return json.loads(proc.stdout)


def _linked_copy(data: Path, to: Path) -> Path:
    """A copy of a data folder whose Parquet files are hard links (written once, never
    changed); catalogs and everything else are copied."""

    def copy(src, dst):
        if src.endswith(".parquet"):
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(data, to, symlinks=True, copy_function=copy)
    return to


# --- in the child: the pages' data, metrics and the raw DuckDB count --------------------------


def _timed(fn, runs: int) -> dict:
    """ms of the first call and the median of `runs` more."""
    start = time.perf_counter()
    fn()
    first = (time.perf_counter() - start) * 1000
    return {"first": first, "p50": median_time(fn, runs) * 1000 if runs else first}


def child(task: dict) -> dict:
    from dashboard.auth.access import SYSTEM, acting_as
    from dashboard.components import panels  # noqa: F401  imported before timing
    from dashboard.domain import counties, coverage, ranking  # noqa: F401
    from dashboard.store import Store

    with acting_as(SYSTEM):
        store = Store(access=SYSTEM, cache_mb=0)  # every answer computed
        if task["part"] == "pages":
            return _pages(store, task)
        return _metrics(store, task)


def _view(store, search: str):
    from dashboard.components.context import View
    from dashboard.domain.params import default_as_of
    from dashboard.filters import Filters

    filters = Filters.from_query(search)
    as_of = default_as_of(store)
    return View(filters, store, as_of, filters.resolve(as_of))


def city_page(store) -> None:
    """市级看板 /city this month: title, KPI cards (show_kpis), counties ranked (show_ranking)."""
    from dashboard.components.panels import kpi_row
    from dashboard.domain import counties, ranking

    view = _view(store, "?period=this_month")
    counties.city_name(store)
    kpi_row(view, KPIS)
    period, previous = view.period, view.spans.previous
    frame = counties.metrics(store, period.start, period.end, view.as_of, view.scope)
    before = counties.metrics(store, previous.start, previous.end, view.as_of, view.scope)
    ranking.rank(frame, RANK_BY, before, key="county_code")


def county_overview(store, county: str) -> None:
    """总览 of one county this month (`/?counties=`): KPI cards, its towns ranked, trends
    (overview.py show_kpis, show_ranking, show_trends)."""
    from dashboard.components.panels import kpi_row
    from dashboard.domain import counties, coverage, ranking
    from dashboard.domain.metrics import INDICATORS

    view = _view(store, f"?period=this_month&counties={county}")
    kpi_row(view, KPIS)
    scope = counties.ranking_scope(store, view.scope)
    frame = view.metrics("town", published=True, scope=scope)
    before = view.metrics(
        "town", period=view.spans.previous, published=True, flags=False, scope=scope
    )
    coverage.with_available(store, tuple(INDICATORS), view.period.start, view.period.end)
    ranking.rank(frame, RANK_BY, before)
    view.trend("month")
    view.trend("week")


def _pages(store, task: dict) -> dict:
    runs = task["runs"]
    return {
        "city": _timed(lambda: city_page(store), runs),
        "county": _timed(lambda: county_overview(store, task["county"]), runs),
    }


def _metrics(store, task: dict) -> dict:
    """counties.metrics() over the year (what `pulse metrics --by county` computes) for the
    city and one county, and plain DuckDB counting the same period's cases per county over the
    Parquet files the catalog names (one county: its partitions' files only)."""
    import duckdb

    from dashboard.domain import counties
    from dashboard.domain.params import default_as_of
    from dashboard.store import Scope
    from etl import settings
    from etl.parquet_store import parts_dir

    runs, county = task["runs"], task["county"]
    # the manifest first: the Store's reader opens the catalog with other settings
    parts = parts_dir(store.published)
    with duckdb.connect(str(store.published.resolve()), read_only=True) as cat:
        files = cat.execute(
            "select county, path from store_files where table_name = 'cases' order by path"
        ).fetchall()
    as_of = default_as_of(store)
    start, end = date.fromisoformat(task["from"]), date.fromisoformat(task["to"])
    one = Scope(counties=(county,))
    out = {
        "city": _timed(lambda: counties.metrics(store, start, end, as_of, flags=True), runs),
        "county": _timed(
            lambda: counties.metrics(store, start, end, as_of, scope=one, flags=True), runs
        ),
    }
    frame = counties.metrics(store, start, end, as_of, flags=False)
    out["product_cases"] = dict(zip(frame["county_code"], frame["cases"], strict=True))

    con = duckdb.connect()
    con.execute(f"set threads = {int(settings.get('serve.duckdb_threads'))}")
    sql = (
        "select left(town_code, 6) as county, count(*) as n from read_parquet($files) "
        "where accepted_at >= $start and accepted_at < $end group by all order by all"
    )
    values = {"start": start, "end": end + timedelta(days=1)}
    every = [str(parts / p) for _, p in files]
    own = [str(parts / p) for c, p in files if c == county]
    out["raw_city"] = _timed(lambda: con.execute(sql, {**values, "files": every}).fetchall(), runs)
    out["raw_county"] = _timed(lambda: con.execute(sql, {**values, "files": own}).fetchall(), runs)
    out["raw_cases"] = dict(con.execute(sql, {**values, "files": every}).fetchall())
    con.close()
    return out


# --- DuckDB against Spark at the largest N --------------------------------------------------


def engines(data: Path, root: Path, runs: int, memory: str) -> tuple[list, float, int, float]:
    """bench/spark_engines.py's comparison over this store's own published Parquet: the files
    the current generation's catalog names (etl/lake.py; only the reference tables are written
    to a sidecar folder), then the port's rollups and figures on each engine."""
    import duckdb

    from dashboard.engines import check, port, spark
    from etl import lake

    catalog = (data / "store" / "pulse.duckdb").resolve()
    shutil.rmtree(root, ignore_errors=True)
    start = time.perf_counter()
    found = lake.parquet_tables(data / "store", root)
    exported = time.perf_counter() - start
    queries = spark_engines.queries(check.store_as_of(catalog))
    con = duckdb.connect()
    con.execute("set threads = 2")
    cases = con.execute(
        "select count(*) from read_parquet($files)", {"files": list(found.facts["cases"])}
    ).fetchall()[0][0]
    start = time.perf_counter()
    check.prepare_duckdb(con, found)
    rows = [["rollups (rollups/*.sql, all facts)", time.perf_counter() - start]]
    for title, query, values in queries:
        sql = port.render(port.expand(query, values), "duckdb")
        con.execute(sql).fetchall()
        rows.append([title, median_time(lambda s=sql: con.execute(s).fetchall(), runs)])
    con.close()

    start = time.perf_counter()
    with spark.session(conf={"spark.driver.memory": memory}) as session:
        session_start = time.perf_counter() - start
        spark.register(session, found)
        start = time.perf_counter()
        for name, select in port.rollup_statements("spark"):
            with spark.quiet_sockets():
                session.sql(f"cache table {name} as {select}")
        rows[0].append(time.perf_counter() - start)
        for row, (_, query, values) in zip(rows[1:], queries, strict=True):
            sql = port.render(port.expand(query, values), "spark")

            def run(s=sql):
                with spark.quiet_sockets():
                    session.sql(s).collect()

            run()  # plan caches warm, as DuckDB's first run above
            row.append(median_time(run, runs))
    return rows, session_start, cases, exported


# --- the run ---------------------------------------------------------------------------------


def _year(data: Path) -> tuple[str, str]:
    """The year up to the store's 数据截至 (as_of date), as --from/--to."""
    from dashboard.engines.check import store_as_of

    as_of = store_as_of((data / "store" / "pulse.duckdb").resolve())
    return str(as_of.date() - timedelta(days=364)), str(as_of.date())


def _cases(data: Path) -> int:
    import duckdb

    with duckdb.connect(str((data / "store" / "pulse.duckdb").resolve()), read_only=True) as c:
        return c.execute(
            "select coalesce(sum(rows), 0) from store_files where table_name = 'cases'"
        ).fetchone()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--counties-max", type=int, default=20)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="N measured in detail")
    ap.add_argument("--runs", type=int, default=5, help="repeats of each query (median)")
    ap.add_argument("--no-spark", action="store_true", help="skip DuckDB against Spark")
    ap.add_argument("--spark-memory", default="2g", help="Spark driver memory")
    ap.add_argument("--out", type=Path, help="default bench/results/city-scale-<S>.md")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    top = args.counties_max
    sizes = sorted({n for n in map(int, args.sizes.split(",")) if n <= top} | {top})
    out = args.out or RESULTS / f"city-scale-{args.scale:g}.md"
    load_before = os.getloadavg()[0]
    city = city_exports(args.scale, top)
    folders = county_folders(city, top)
    base = WORK / f"city-{args.scale:g}-run"
    data = base / "data"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    extra = one_more_day(folders[0][1])
    extra_rows = pl.read_csv(extra, infer_schema=False).height

    growth, measured = [], []
    for n, (code, folder) in enumerate(folders, start=1):
        plain, rows = utf8_copies(folder)
        floor_db = base / "floor.duckdb"
        floor_db.unlink(missing_ok=True)
        floor_t, floor_m = run_measured(
            [PY, "-c", FLOOR_SCRIPT, str(floor_db), *sorted(map(str, plain.glob("*.csv")))]
        )
        floor_db.unlink(missing_ok=True)
        t, m = _pulse(data, "load", str(folder))
        catalog, parquet, files = _store_bytes(data)
        cases = _cases(data)
        growth.append([n, code, rows, t, floor_t, floor_m, m, catalog, parquet, files, cases])
        print(f"{n} counties: load {t:.1f} s, {m:.0f} MB, floor {floor_t:.1f} s", file=sys.stderr)
        if n not in sizes:
            continue
        copy = _linked_copy(data, base / "plus-one-day")
        day_t, day_m = _pulse(copy, "load", str(extra))
        shutil.rmtree(copy)
        date_from, date_to = _year(data)
        year = _options(from_=date_from, to=date_to, by="county", format="csv")
        cli_t, cli_m = _pulse(data, "metrics", *year)
        task = {"county": FIRST, "runs": args.runs, "from": date_from, "to": date_to}
        figures = _child(data, {**task, "part": "metrics"})
        pages = _child(data, {**task, "part": "pages"})
        measured.append(
            {"n": n, "cases": cases, "day": (day_t, day_m), "cli": (cli_t, cli_m)}
            | {"metrics": figures, "pages": pages, "year": (date_from, date_to)}
        )

    spark_part = None
    if not args.no_spark:
        spark_part = engines(data, base / "lake", args.runs, args.spark_memory)
    load_after = os.getloadavg()[0]
    text = report(args, growth, measured, spark_part, extra_rows, (load_before, load_after))
    print(text)
    out.write_text(text, encoding="utf-8")


def _ms(value: dict) -> str:
    return f"{value['first']:.0f} / {value['p50']:.0f}"


def report(args, growth, measured, spark_part, extra_rows, loads) -> str:
    """The markdown of the run."""
    parts = [
        f"## City size: 1 → {len(growth)} demo counties at scale {args.scale:g}, one Parquet "
        f"store (issue 18 point 4)\n\n{machine()}; load average {loads[0]:.1f} before, "
        f"{loads[1]:.1f} after.\n\n`uv run python bench/city.py --scale {args.scale:g} "
        f"--counties-max {args.counties_max}`; one run of every load, medians of {args.runs} "
        "runs of every query.\n",
        "### The store grows one county at a time\n\nEach row: one `pulse load <county>` "
        "child (the county's year of exports) into the store holding the counties above it; "
        "floor: DuckDB `CREATE TABLE AS read_csv` of UTF-8 copies of the same files.\n",
        table(
            GROWTH_COLUMNS.split(" | "),
            [
                [
                    n,
                    code,
                    f"{rows:,}",
                    f"{t:.1f}",
                    f"{ft:.1f}",
                    f"{t / ft:.1f}",
                    f"{fm:.0f}",
                    f"{m:.0f}",
                    f"{cat:.1f}",
                    f"{parq:.0f}",
                    files,
                    f"{cases:,}",
                ]
                for n, code, rows, t, ft, fm, m, cat, parq, files, cases in growth
            ],
        ),
    ]
    total_load = sum(g[3] for g in growth)
    total_floor = sum(g[4] for g in growth)
    rss = [g[6] for g in growth]
    parts.append(
        f"\nAll {len(growth)} loads: {total_load:.0f} s against {total_floor:.0f} s of floor "
        f"({total_load / total_floor:.1f}×; target ≤ 2×). Peak RSS of a load: first "
        f"{rss[0]:.0f} MB, last {rss[-1]:.0f} MB, highest {max(rss):.0f} MB (target: flat).\n"
    )
    parts.append(
        f"### At each measured size\n\n- one more day: {extra_rows:,} cases of county "
        f"{FIRST}'s newest full day under new ids, `pulse load` into a copy of the store "
        "(target ≤ 2 s);\n- metrics: the year up to 数据截至 "
        f"({measured[0]['year'][0]} … {measured[0]['year'][1]}); `pulse metrics --by county` "
        "child, wall time with Python's start; then in one process, ms of the first call / "
        "median of the next: `counties.metrics()` (the rollups, every figure) for the city and "
        f"for county {FIRST}, and plain DuckDB `count(*)` of the same cases per county over the "
        "store's Parquet files (`read_parquet` of the files the catalog names; one county: its "
        "partitions);\n- pages: the data of 市级看板 `/city` (title, KPI cards against the "
        f"previous period, counties ranked) and of county {FIRST}'s 总览 `/?counties={FIRST}` "
        "(KPI cards, its towns ranked, month and week trends), this month, by the domain "
        "functions their callbacks call; first call in a fresh process / median of the next.\n",
    )
    rows = []
    for m in measured:
        f, p = m["metrics"], m["pages"]
        agree = "=" if f["product_cases"] == f["raw_cases"] else "≠"
        rows.append(
            [
                m["n"],
                f"{m['cases']:,}",
                f"{m['day'][0]:.2f}",
                f"{m['day'][1]:.0f}",
                f"{m['cli'][0]:.1f}",
                _ms(f["city"]),
                _ms(f["county"]),
                _ms(f["raw_city"]),
                _ms(f["raw_county"]),
                agree,
                _ms(p["city"]),
                _ms(p["county"]),
            ]
        )
    parts.append(
        table(
            SIZE_COLUMNS.format(county=FIRST).split(" | "),
            rows,
        )
    )
    parts.append(
        "\n*case counts*: `=` when the product's 办件量 per county equals the raw count.\n"
    )
    if spark_part:
        rows, session_start, cases, exported = spark_part
        parts.append(
            f"### DuckDB against Spark SQL local mode at {len(growth)} counties "
            f"({cases:,} cases)\n\nbench/spark_engines.py's queries (dashboard/engines/port.py) "
            "over the store's own published Parquet files (etl/lake.py: the catalog's file list, "
            f"the reference tables written to a sidecar in {exported:.1f} s); DuckDB 2 "
            f"threads, Spark local[2] with a {args.spark_memory} driver. Spark session start "
            f"(JVM): {session_start:.1f} s. Rollups: one run each; queries: medians of "
            f"{args.runs}.\n"
        )
        parts.append(
            table(
                ["query", "DuckDB s", "Spark local[2] s", "Spark / DuckDB"],
                [[q, f"{a:.3f}", f"{b:.3f}", f"{b / a:.0f}×" if a else "—"] for q, a, b in rows],
            )
        )
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    main()
