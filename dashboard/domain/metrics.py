"""Indicators for a period: the function behind `pulse metrics`, the pages, the wall and
the PDF.

The flags live in SQL (etl/sql/flags/01_records.sql → marts/01_indicators.sql); the figures formed
from their counts come from the registry (domain/indicators.py) into
dashboard/queries/metrics.sql; this module fills in parameters and shapes output.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import polars as pl

from dashboard.domain.indicators import FORMED, LISTED, RATES, select_sql
from dashboard.domain.params import Params, default_as_of
from dashboard.store import COUNTY, QUERIES, Scope, Store, query_text

By = Literal["town", "dept", "county", "counties"]

# Column order wherever indicators are listed (contract §7: evaluation_rate after rectify_rate).
INDICATORS: tuple[str, ...] = LISTED
KEYS: dict[str, tuple[str, ...]] = {
    "town": ("town_code", "town_name"),
    "dept": ("town_code", "town_name", "dept_name"),
    "county": (),  # the whole: every town in scope (one county, or the city)
    "counties": ("county_code",),  # issue 18: per county (names: domain/counties.py)
}

__all__ = ["INDICATORS", "KEYS", "RATES", "Params", "default_as_of", "metrics"]


def figures_query(
    store: Store, name: str, keys: tuple[str, ...], scope: Scope = COUNTY, **params
) -> pl.DataFrame:
    """A page query (dashboard/queries/<name>.sql) whose figures are formed by the
    registry's lines: the file's `{figures}` placeholder (see town__items.sql)."""
    text, _ = query_text(name)
    return store.sql(text.replace("{figures}", select_sql(keys)), params, scope=scope)


def metrics(
    store: Store,
    date_from: date,
    date_to: date,
    as_of: datetime | None = None,
    by: By = "town",
    scope: Scope = COUNTY,
    raw: bool = False,
    depts: tuple[str, ...] = (),
    bucket: Literal["week", "month"] | None = None,
    flags: bool = True,
    published: bool = False,
) -> pl.DataFrame:
    """One row per town (or town × department, per county, or the whole) with every indicator.

    flags=False leaves the 体外循环 columns empty (null): the detection costs more than all
    the other figures together, and KPI cards and trends do not show it.
    raw=True computes from the fact tables instead of the rollups (tests and bench only).
    bucket splits the period into weeks or months (trends): one row per key and
    period_start, for the buckets with any activity.
    published=True: every town's published figures (the ranking, as in a 通报), which a
    town official may see too; only by town, county or counties, without buckets.
    """
    if published and (by == "dept" or bucket):
        raise ValueError("published figures are per town or for the county, without buckets")
    params = Params(date_from, date_to, as_of or default_as_of(store))
    keys = KEYS[by] + (("period_start",) if bucket else ())
    # the placeholders are filled here from constants and the registry, never from a request
    text = (
        (QUERIES / "metrics.sql")
        .read_text(encoding="utf-8")
        .replace("{counts}", "indicator_counts_raw" if raw else "indicator_counts")
        .replace("{keys}", ", ".join(keys) if by != "county" or bucket else "'全县' as town_name")
        .replace("{figures}", select_sql())
    )
    values = {**params.sql_params(), "bucket": bucket or "none", "depts": list(depts)}
    frame = store.sql(text, values, scope=scope, published=published)
    if bucket:
        frame = frame.filter(pl.col("period_start").is_not_null())
    # 体外循环 (issue 4): outside_system_depts; by="dept" also outside_system and signals
    from dashboard.domain.outside_system import metrics_columns

    extra = ("outside_system", "signals") if by == "dept" else ()
    if flags:
        frame = metrics_columns(frame, store, params, by, scope, raw, depts, bucket, published)
    else:
        frame = frame.with_columns(
            pl.lit(None, pl.String).alias("outside_system_depts"),
            *(
                [
                    pl.lit(None, pl.Boolean).alias("outside_system"),
                    pl.lit(None, pl.String).alias("signals"),
                ]
                if extra
                else []
            ),
        )
    return frame.select(*(keys or ("town_name",)), *FORMED, *extra)
