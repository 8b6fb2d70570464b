"""Spark SQL gives DuckDB's figures (issue 18 point 3): a two-county demo, its tables as
Hive-partitioned Parquet, every registry figure and every count it is formed from, for every
county and every town, compared exactly with the counties' own DuckDB stores.

Slow (2 to 3 minutes on 2 shared cores: two demo loads, a local Spark session) but in the
default run; skipped only when no Java 17 is installed (make sysdeps installs it as root).
"""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.engines import check, port
from dashboard.engines.spark import java_home

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
    counties = check.build_demo(base, counties=2, scale=0.02)
    root = check.publish_parquet(counties, base / "parquet")
    values = check.parameters(check.store_as_of(counties[0].store), 365)
    return counties, root, values


def test_the_parquet_is_partitioned_by_county_year_and_month(city):
    _, root, _ = city
    months = sorted(p.relative_to(root).as_posix() for p in root.glob("cases/*/*/*"))
    assert months[0].startswith("cases/county=339901/year=")
    assert {m.split("/")[1] for m in months} == {"county=339901", "county=339902"}
    assert all(m.split("/")[3].startswith("month=") for m in months)


def test_duckdb_over_the_parquet_gives_the_stores_figures(city):
    counties, root, values = city
    for level in ("county", "town"):
        stored = check.duckdb_store(counties, level, values)
        assert check.differences(stored, check.duckdb_parquet(root, level, values)) == []


def test_spark_gives_duckdbs_figures_for_every_county_and_town(city):
    counties, root, values = city
    month = check.parameters(values["as_of"], 30)
    county_year, town_year, county_month, town_month = check.spark_figures(
        root, ["county", "town"], [values, month]
    )
    for level, spark, params in (
        ("county", county_year, values),
        ("town", town_year, values),
        ("county", county_month, month),
        ("town", town_month, month),
    ):
        duck = check.duckdb_store(counties, level, params)
        assert check.differences(duck, spark) == [], level
    # every county and every town of both, every figure with its numerator and denominator
    assert county_year["county"].to_list() == ["339901", "339902"]
    assert town_year.height == 26
    assert {c[:6] for c in town_year["town_code"]} == {"339901", "339902"}
    assert set(port.FIGURES) | set(port.count_columns()) == set(town_year.columns[1:])
    # not a comparison of empty figures: each county has a value for every figure
    for figure in port.FIGURES:
        assert county_year[figure].null_count() == 0, figure
    assert county_year.select(pl.col("cases").min()).item() > 1000
