"""Fair comparisons: the one rule for "较上期" on the pages, the wall and the PDF.

- A period still running at 数据截至 (本周 on a Monday, 本月 on the 10th) is compared with the
  same elapsed span of the previous period, and labelled so (较上月同期); a complete period
  with the whole previous one (较上月).
- A count at a moment (超期未办结, 超时预警, 12345 超期未办结: the registry's `moment`) is not
  compared: it is the backlog now, not a total of the period; last month's backlog at the
  same point cannot be told from today's data (a case closed since was open then).
- When the previous period has no data, the change is 上期无数据 — never "+842,043" or -100%.
- Rates change in 百分点; a change within the dead band (comparisons.dead_band_points) is
  持平, without colour.
- Colour only where a direction is better (indicators.improved).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from dashboard.domain import indicators
from dashboard.domain.periods import Period
from etl import settings

Kind = Literal["change", "flat", "moment", "no_data", "no_value"]
ACTIVITY = ("cases", "evaluations", "hotline_tickets")  # a period "has data" when any is > 0
_WORDS = {"week": "上周", "month": "上月", "quarter": "上季度", "year": "上年"}


@dataclass(frozen=True)
class Spans:
    """The two spans compared and how the change is named."""

    current: Period
    previous: Period
    label: str  # 较上月同期, 较上周, 较上期 …
    running: bool  # the current period is not over at 数据截至


def _base(kind: str) -> str:
    for base in ("week", "month", "quarter", "year"):
        if kind == base or kind.endswith("_" + base):
            return base
    return "custom"


def spans(period: Period, as_of: datetime) -> Spans:
    """The current period as far as the data goes, and the previous one cut to the same
    elapsed span when the current one is still running."""
    previous = period.previous()
    word = "较" + _WORDS.get(_base(period.kind), "上期")
    today = as_of.date()
    if period.start <= today < period.end:
        elapsed = (today - period.start).days
        current = replace(period, end=today)
        cut = min(previous.start + timedelta(days=elapsed), previous.end)
        return Spans(current, replace(previous, end=cut), word + "同期", True)
    return Spans(period, previous, word, False)


def has_data(row: dict[str, Any] | None) -> bool:
    return row is not None and any((row.get(k) or 0) > 0 for k in ACTIVITY)


def dead_band() -> float:
    """Percentage points within which a rate counts as unchanged."""
    return float(settings.get("comparisons.dead_band_points"))


@dataclass(frozen=True)
class Change:
    key: str
    kind: Kind
    text: str  # +1.2个百分点, +120 (+5%), 持平, 上期无数据, 存量不比较
    better: bool | None  # colour: True green, False red, None none
    arrow: str  # ▲ ▼ or ""


def change(key: str, now: Any, before: Any, previous_has_data: bool = True) -> Change:
    """How the figure moved against the comparable previous span (see the module)."""
    found = indicators.BY_KEY.get(key)
    if found is not None and found.moment:
        return Change(key, "moment", "当前存量,不作比较", None, "")
    if not previous_has_data:
        return Change(key, "no_data", "上期无数据", None, "")
    if now is None or before is None or isinstance(now, str):
        return Change(key, "no_value", "—", None, "")
    diff = now - before
    if found is not None and found.is_rate:
        points = diff * 100
        if abs(points) < dead_band() - 1e-9:
            return Change(key, "flat", "持平", None, "")
        arrow = "▲" if points > 0 else "▼"
        return Change(
            key, "change", f"{points:+.1f}个百分点", indicators.improved(key, now, before), arrow
        )
    if diff == 0:
        return Change(key, "flat", "持平", None, "")
    arrow = "▲" if diff > 0 else "▼"
    text = f"{diff:+,}" if before == 0 else f"{diff:+,} ({diff / before * 100:+.0f}%)"
    return Change(key, "change", text, indicators.improved(key, now, before), arrow)


def period_note(spans_: Spans, data_until: date | None = None) -> str:
    """What the comparison covers, for a caption: 本月截至11月20日,较上月同期(10月1日–20日)."""
    c, p = spans_.current, spans_.previous
    if spans_.running:
        return (
            f"截至{c.end.month}月{c.end.day}日,{spans_.label}"
            f"({p.start:%Y-%m-%d} 至 {p.end:%Y-%m-%d})"
        )
    return f"{spans_.label}({p.start:%Y-%m-%d} 至 {p.end:%Y-%m-%d})"
