"""Periods the pages and the PDF offer, and the previous comparable period for deltas.

Weeks run Monday–Sunday. The previous comparable period of a week is the week before; of a
month, the month before; of a custom range, the same number of days just before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

LABELS = {
    "this_week": "本周",
    "last_week": "上周",
    "this_month": "本月",
    "last_month": "上月",
    "this_quarter": "本季度",
    "last_quarter": "上季度",
    "this_year": "本年",
    "last_12_months": "近12个月",
    "custom": "自定义",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind in ("this_week", "last_week", "week"):
            iso = self.start.isocalendar()
            return f"{iso.year}年第{iso.week}周({self.start:%m.%d}–{self.end:%m.%d})"
        if self.kind in ("this_month", "last_month", "month"):
            return f"{self.start.year}年{self.start.month}月"
        if self.kind in ("this_quarter", "last_quarter", "quarter"):
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.kind in ("this_year", "year"):
            return f"{self.start.year}年"
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def previous(self) -> Period:
        """The previous comparable period (for week-over-week and month-over-month deltas)."""
        kind = _base_kind(self.kind)
        if kind == "week":
            return Period(self.start - timedelta(days=7), self.end - timedelta(days=7), kind)
        if kind == "month":
            end = self.start - timedelta(days=1)
            return Period(end.replace(day=1), end, kind)
        if kind == "quarter":
            end = self.start - timedelta(days=1)
            return Period(_quarter_start(end), end, kind)
        if kind == "year":
            return Period(
                self.start.replace(year=self.start.year - 1),
                self.end.replace(year=self.end.year - 1),
                kind,
            )
        return Period(
            self.start - timedelta(days=self.days), self.start - timedelta(days=1), "custom"
        )


def _base_kind(kind: str) -> str:
    for base in ("week", "month", "quarter", "year"):
        if kind.endswith(base) or kind == base:
            return base
    return "custom"


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


TREND_MONTHS = 12  # monthly trends: this month and the 11 before it
TREND_WEEKS = 12  # weekly trends: this week and the 11 before it


def trend_window(end: date, bucket: str) -> tuple[date, date]:
    """The days a trend shows up to `end` (数据截至, or a report's last day): the first day
    of the month 11 months before, or the Monday 11 weeks before — the one rule the
    overview, the town page, the wall and the PDF use."""
    if bucket == "month":
        start = end.replace(day=1)
        for _ in range(TREND_MONTHS - 1):
            start = (start - timedelta(days=1)).replace(day=1)
        return start, end
    if bucket == "week":
        return end - timedelta(days=end.weekday()) - timedelta(weeks=TREND_WEEKS - 1), end
    raise ValueError(f"unknown trend bucket {bucket!r}")


def bucket_end(start: date, bucket: str) -> date:
    """The last day of the trend bucket (week or month) starting on `start`."""
    if bucket == "month":
        return _month_end(start)
    if bucket == "week":
        return start + timedelta(days=6)
    raise ValueError(f"unknown trend bucket {bucket!r}")


def whole_days_until(as_of: datetime) -> date:
    """The last day the data covers whole: 数据截至 2026-11-30 08:00 covers 11-29 whole
    (and 8 hours of 11-30); 23:59 covers its own day."""
    return (as_of + timedelta(minutes=1)).date() - timedelta(days=1)


def incomplete(start: date, bucket: str, as_of: datetime) -> bool:
    """A trend bucket the data does not cover to its end: drawn as such, never read as a
    fall (a week of 8 hours is not a -100% week)."""
    return bucket_end(start, bucket) > whole_days_until(as_of)


def named(kind: str, today: date) -> Period:
    """A named period relative to `today` (normally the 数据截至 date)."""
    monday = today - timedelta(days=today.weekday())
    if kind == "this_week":
        return Period(monday, monday + timedelta(days=6), kind)
    if kind == "last_week":
        return Period(monday - timedelta(days=7), monday - timedelta(days=1), kind)
    if kind == "this_month":
        return Period(today.replace(day=1), _month_end(today), kind)
    if kind == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end, kind)
    if kind == "this_quarter":
        start = _quarter_start(today)
        return Period(start, _month_end(date(start.year, start.month + 2, 1)), kind)
    if kind == "last_quarter":
        end = _quarter_start(today) - timedelta(days=1)
        return Period(_quarter_start(end), end, kind)
    if kind == "this_year":
        return Period(date(today.year, 1, 1), date(today.year, 12, 31), kind)
    if kind == "last_12_months":
        return Period(trend_window(today, "month")[0], today, kind)
    raise ValueError(f"unknown period {kind!r}; known: {', '.join(LABELS)}")


def iso_week(text: str) -> Period:
    """'2026-W47' → Monday–Sunday of that ISO week."""
    year, week = text.upper().split("-W")
    start = date.fromisocalendar(int(year), int(week), 1)
    return Period(start, start + timedelta(days=6), "week")


def last_complete_week(today: date) -> Period:
    """The last Monday–Sunday week that has ended before `today`."""
    return named("last_week", today)
