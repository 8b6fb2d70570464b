"""A trend's last bucket that the data does not cover to its end is drawn apart (lighter bar,
hollow marker on a dotted segment, a note): a week of 8 hours is not a fall."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from dashboard.components.figures import trend
from dashboard.domain import periods

WEEKS = pl.DataFrame(
    {
        "period_start": [date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30)],
        "cases": [1200, 1180, 40],
        "online_rate": [0.60, 0.61, 0.97],
    }
)


def test_the_data_covers_whole_days_up_to_the_one_before_its_cut():
    assert periods.whole_days_until(datetime(2026, 11, 30, 8, 0)) == date(2026, 11, 29)
    assert periods.whole_days_until(datetime(2026, 11, 30, 0, 0)) == date(2026, 11, 29)
    assert periods.whole_days_until(datetime(2026, 11, 30, 23, 59)) == date(2026, 11, 30)
    assert periods.bucket_end(date(2026, 2, 1), "month") == date(2026, 2, 28)
    assert periods.bucket_end(date(2026, 11, 30), "week") == date(2026, 12, 6)
    assert periods.incomplete(date(2026, 11, 30), "week", datetime(2026, 11, 30, 8))
    assert not periods.incomplete(date(2026, 11, 23), "week", datetime(2026, 11, 30, 8))
    assert not periods.incomplete(date(2026, 11, 23), "week", datetime(2026, 11, 29, 23, 59))


def test_a_running_week_is_drawn_apart():
    fig = trend(WEEKS, ["cases", "online_rate"], as_of=datetime(2026, 11, 30, 8), bucket="week")
    bars = [t for t in fig.data if t.type == "bar"]
    assert list(bars[0].marker.opacity) == [0.35, 0.35, 0.15]
    solid, dotted = [t for t in fig.data if t.type == "scatter"]
    assert list(solid.y)[-1] is None and list(solid.y)[:2] == [60.0, 61.0]
    assert dotted.line.dash == "dot" and list(dotted.x) == ["2026-11-23", "2026-11-30"]
    assert list(dotted.marker.symbol) == ["circle", "circle-open"]
    assert {t.customdata[0] for t in fig.data} == {"cases", "online_rate"}
    assert "未满一周" in fig.layout.annotations[0].text


def test_whole_buckets_are_drawn_as_they_are():
    fig = trend(WEEKS, ["cases", "online_rate"], as_of=datetime(2026, 12, 7, 0), bucket="week")
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert not fig.layout.annotations
    plain = trend(WEEKS, ["cases", "online_rate"])  # no 数据截至 given: nothing is marked
    assert [t.type for t in plain.data] == ["bar", "scatter"]


def test_the_walls_running_month_is_drawn_apart():
    from dashboard.wall import panels

    months = [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    rates = [k for k in panels.TREND_INDICATORS if k != "cases"]
    frame = pl.DataFrame(
        {"period_start": months, "cases": [9000, 9100, 60], **{k: [0.9, 0.92, 1.0] for k in rates}}
    )
    fig = panels.trend_figure(frame, 1.0, datetime(2026, 12, 1, 8))
    dotted = [t for t in fig.data if t.type == "scatter" and t.line.dash == "dot"]
    assert len(dotted) == len(rates)
    assert all(list(t.marker.symbol) == ["circle", "circle-open"] for t in dotted)
    solid = [t for t in fig.data if t.type == "scatter" and t.line.dash != "dot"]
    assert all(list(t.y)[-1] is None for t in solid)  # the running month only dotted
    whole = panels.trend_figure(frame, 1.0, datetime(2027, 1, 1, 0, 0))
    assert not [t for t in whole.data if t.type == "scatter" and t.line.dash == "dot"]
