"""Period helpers and the URL-held filter state."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dashboard.domain import periods
from dashboard.filters import Filters

SUNDAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("this_week", date(2026, 11, 16), date(2026, 11, 22)),
        ("last_week", date(2026, 11, 9), date(2026, 11, 15)),
        ("this_month", date(2026, 11, 1), date(2026, 11, 30)),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("this_quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("this_year", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_named_periods(kind, start, end):
    p = periods.named(kind, SUNDAY)
    assert (p.start, p.end) == (start, end)


def test_previous_comparable_periods():
    assert periods.named("last_week", SUNDAY).previous() == periods.Period(
        date(2026, 11, 2), date(2026, 11, 8), "week"
    )
    assert periods.named("this_month", date(2026, 3, 31)).previous() == periods.Period(
        date(2026, 2, 1), date(2026, 2, 28), "month"
    )
    assert periods.named("this_quarter", SUNDAY).previous() == periods.Period(
        date(2026, 7, 1), date(2026, 9, 30), "quarter"
    )
    custom = periods.Period(date(2026, 11, 10), date(2026, 11, 19))
    assert custom.previous() == periods.Period(date(2026, 10, 31), date(2026, 11, 9))


def test_iso_week_and_last_complete_week():
    assert periods.iso_week("2026-W47") == periods.Period(
        date(2026, 11, 16), date(2026, 11, 22), "week"
    )
    assert periods.last_complete_week(date(2026, 11, 23)).start == date(2026, 11, 16)
    assert periods.iso_week("2026-W47").label.startswith("2026年第47周")


def test_filters_round_trip_through_the_url():
    f = Filters(
        period="custom",
        date_from=date(2026, 10, 1),
        date_to=date(2026, 10, 31),
        towns=("339901001000", "339901101000"),
        depts=("社保",),
        channel="网上办理",
        extra={"town": "339901001000"},
    )
    again = Filters.from_query(f.to_query())
    assert again == f
    assert again.resolve(datetime(2026, 11, 22, 8)).start == date(2026, 10, 1)


def test_bad_url_values_fall_back_to_defaults():
    f = Filters.from_query("?period=nonsense&from=2026-99-99&towns=")
    assert (f.period, f.date_from, f.towns) == ("this_month", None, ())
    assert f.resolve(datetime(2026, 11, 22, 8)).start == date(2026, 11, 1)
