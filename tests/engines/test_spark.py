"""The product, DuckDB and Spark SQL agree (issue 18 point 3): a two-county demo
(`pulse demo --counties 2`) loaded into one Parquet-format store; Spark and DuckDB read the
files the published generation's catalog names; every registry figure and every count it is
formed from, and the 12345 page's own figures (dashboard/queries/hotline__*.sql), for every
county and every town, and every 体外循环 signal for every town ×
department, equal the store's as the dashboard's domain code reads them.

Slow (2 to 3 minutes on 2 shared cores: one demo load, one local Spark session) but in the
default run; skipped only when no Java 17 is installed (make sysdeps installs it as root).
"""

from __future__ import annotations

import shutil

import duckdb
import polars as pl
import pytest

from dashboard.domain import indicators, outside_system
from dashboard.engines import check, port
from dashboard.engines.spark import java_home
from etl import lake

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        java_home() is None,
        reason="Spark needs a Java 17 runtime: apt-get install openjdk-17-jre-headless "
        "(.ci/sysdeps.sh does as root)",
    ),
]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    base = tmp_path_factory.mktemp("city")
    return check.build_demo(base, counties=2, scale=0.02), base / "sidecar"


@pytest.fixture(scope="module")
def results(city):
    found, sidecar = city
    as_of = check.store_as_of(found.store)
    periods = {"30 days": check.parameters(as_of, 30), "365 days": check.parameters(as_of, 365)}
    # the signals of the year only: Spark's slowest query, and the period where every kind
    # of signal flags (30 days flag 应进未进 only at this scale)
    compared = check.compare(found, sidecar, periods, signals=("365 days",))
    return {(r["period"], r["level"]): r for r in compared}


def test_the_lake_is_exactly_the_files_the_published_catalog_names(city, tmp_path):
    found, _ = city
    con = duckdb.connect(str(found.store), read_only=True)
    named = con.execute("select table_name, path from store_files order by all").fetchall()
    con.close()
    parts = found.store.parent / "pulse.parts"
    # a file in the parts folder that no catalog names (a killed load's): never read
    real = parts / named[0][1]
    stray = real.with_name("g999999-stray.parquet")
    shutil.copyfile(real, stray)
    try:
        files = lake.parquet_tables(found.store, tmp_path / "sidecar")
    finally:
        stray.unlink()
    assert {(t, str(parts / p)) for t, p in named} == {
        (t, f) for t, listed in files.facts.items() for f in listed
    }
    assert str(stray) not in {f for listed in files.facts.values() for f in listed}
    assert {p.split("/")[1] for _, p in named} == {"county=339901", "county=339902"}
    assert files.catalog == found.store.resolve() and files.generation == 1
    # the small tables come from the catalog, written once per generation beside it
    assert set(files.reference) == {"towns", "departments", "calendar_days"}
    towns = pl.read_parquet(files.reference["towns"])
    assert towns.height == 26
    before = files.reference["towns"].stat().st_mtime_ns
    again = lake.parquet_tables(found.store, tmp_path / "sidecar")
    assert again.reference["towns"].stat().st_mtime_ns == before
    # one county's partitions and towns only (bench: 1 of N counties)
    one = lake.parquet_tables(found.store, tmp_path / "sidecar", ["339902"])
    assert all("county=339902/" in f for listed in one.facts.values() for f in listed)
    assert set(pl.read_parquet(one.reference["towns"])["town_code"].str.slice(0, 6)) == {"339902"}


def test_a_store_of_the_single_file_format_is_refused(tmp_path):
    store = tmp_path / "pulse.duckdb"
    duckdb.connect(str(store)).close()
    with pytest.raises(ValueError, match="Parquet-format"):
        lake.parquet_tables(store, tmp_path / "sidecar")


def test_every_figure_of_every_county_and_town_agrees(results):
    for (period, level), r in results.items():
        assert r["diff"] == [], (period, level, r["diff"][:5])
    county = results[("365 days", "county")]["frames"]
    town = results[("365 days", "town")]["frames"]
    # every county and every town of both, every figure with its numerator and denominator
    assert county["spark"]["county"].sort().to_list() == ["339901", "339902"]
    assert town["spark"].height == 26
    assert {c[:6] for c in town["spark"]["town_code"]} == {"339901", "339902"}
    # ... and the page figures (12345 解决率 with its counts, 重复来电人数, 重复来电) from the
    # page's own query files: no registry figure left out
    assert set(port.PAGE_FIGURES) <= set(check.PAGE_COLUMNS)
    wanted = set(port.FIGURES) | set(port.count_columns()) | {check.NAMES, *check.PAGE_COLUMNS}
    assert wanted == set(town["product"].columns[1:]) == set(town["spark"].columns[1:])
    assert {i.key for i in indicators.REGISTRY} <= wanted  # every figure of the registry
    # not a comparison of empty figures: each county has a value for every figure
    for figure in (*port.FIGURES, check.NAMES, *check.PAGE_COLUMNS):
        assert county["product"][figure].null_count() == 0, figure
    assert county["product"].select(pl.col("cases").min()).item() > 1000
    for period in ("30 days", "365 days"):
        frames = results[(period, "county")]["frames"]
        for figure in ("resolution_known", "hotline_repeat_callers", "hotline_repeat_calls"):
            assert frames["spark"][figure].min() > 0, (period, figure)
    # per town too: the towns' counts add up to their county's
    year = town["product"].group_by(pl.col("town_code").str.slice(0, 6).alias("county"))
    summed = year.agg(pl.col("resolution_known", "hotline_repeat_calls").sum()).sort("county")
    assert summed.equals(county["product"].select(summed.columns).sort("county"))


def test_every_outside_system_signal_of_every_department_agrees(results):
    r = results[("365 days", "signals")]
    assert r["diff"] == [], r["diff"][:5]
    spark = r["frames"]["spark"]
    assert set(spark["signal"]) == set(outside_system.SIGNALS)
    assert {"value", "threshold", "volume", "hits", "flagged"} <= set(spark.columns)
    year = r["frames"]["product"]
    assert year.select("town_code", "dept_name").n_unique() > 200
    flagged = year.filter(pl.col("flagged"))
    assert flagged["town_code"].str.slice(0, 6).n_unique() == 2
    assert flagged["signal"].n_unique() >= 4  # not only 应进未进: the rates flag too
