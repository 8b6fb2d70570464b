"""How late a record is, or how long it has left: the one rule for the town page, the 12345
and 好差评 pages, the wall and the PDF — in working days by the statutory calendar (调休
included), with hours for less than a working day.

- late_workdays: working days after the deadline's day up to the moment (0 = past its
  deadline, but not yet by a whole working day); left_workdays: working days from the
  moment's day to the deadline's day (0 = due today).
- late_hours / left_hours: hours between the deadline and the moment (one decimal).
- The moment is as_of (数据截至), or — for a record already done late, such as a bad
  review rectified after its deadline — the time it was done (`until`).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from dashboard.store import Store


def workday_calendar(store: Store, first: datetime, last: datetime) -> dict:
    """{day: workday_seq} over [first, last] (the calendar is reference data)."""
    frame = store.query("town__calendar", day_from=first.date(), day_to=last.date())
    return dict(zip(frame["day"], frame["workday_seq"], strict=True))


def with_lateness(
    store: Store,
    rows: pl.DataFrame,
    as_of: datetime,
    deadline: str = "deadline_at",
    until: str | None = None,
) -> pl.DataFrame:
    """`rows` with late_hours, late_workdays, left_hours and left_workdays (see above)."""
    moment = pl.lit(as_of)
    if until is not None:
        moment = pl.coalesce(pl.col(until), pl.lit(as_of))
    days = [as_of]
    if rows.height:
        days += [rows[deadline].min(), rows[deadline].max()]
        if until is not None and rows[until].drop_nulls().len():
            days += [rows[until].min(), rows[until].max()]
    seq = workday_calendar(store, min(days), max(days))
    deadline_seq = pl.col(deadline).dt.date().replace_strict(seq, default=None)
    moment_seq = moment.dt.date().replace_strict(seq, default=None)
    hours = (moment - pl.col(deadline)).dt.total_seconds() / 3600
    return rows.with_columns(
        hours.round(1).alias("late_hours"),
        (moment_seq - deadline_seq).cast(pl.Int64).alias("late_workdays"),
        (-hours).round(1).alias("left_hours"),
        (deadline_seq - moment_seq).cast(pl.Int64).alias("left_workdays"),
    )


def late_text(late_workdays: int | None, late_hours: float | None) -> str:
    """超期3个工作日, or 超期5小时 within the first working day."""
    if late_workdays:
        return f"超期{late_workdays}个工作日"
    return f"超期{max(1, int(late_hours or 0))}小时"


def left_text(left_workdays: int | None, left_hours: float | None) -> str:
    """剩余2个工作日, 今日到期(剩余3小时), or 不足1小时."""
    if left_workdays:
        return f"剩余{left_workdays}个工作日"
    hours = int(left_hours or 0)
    return f"今日到期(剩余{hours}小时)" if hours >= 1 else "不足1小时"
