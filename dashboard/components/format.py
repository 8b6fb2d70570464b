"""How a figure is written and coloured, the same on every page, the wall and the PDF — from
the indicator registry (dashboard/domain/indicators.py): its kind says rate or count, its
direction and target give the colour."""

from __future__ import annotations

from dashboard.domain import indicators
from dashboard.domain.indicators import Status, improved, target

NO_DATA = "无数据"  # a figure from an optional column the town's files lack

__all__ = ["STATUS_COLORS", "Status", "delta", "fmt", "improved", "is_rate", "status", "target"]


def is_rate(indicator: str) -> bool:
    found = indicators.BY_KEY.get(indicator)
    return found is not None and found.is_rate


def fmt(indicator: str, value: float | int | str | None) -> str:
    """92.3% for rates, 12,345 for counts, — for no value (an empty rate is not 0%); a
    figure from an optional column without data reads 无数据 (contract §7), never 0."""
    if value is None:
        found = indicators.BY_KEY.get(indicator)
        return NO_DATA if found is not None and found.optional else "—"
    if isinstance(value, str):
        return value or "—"
    if is_rate(indicator):
        return f"{value * 100:.1f}%"
    return f"{int(value):,}"


def delta(indicator: str, now: float | int | None, before: float | int | None) -> str:
    """Change against the previous comparable period: percentage points for rates."""
    if now is None or before is None:
        return "—"
    if is_rate(indicator):
        pts = (now - before) * 100
        return f"{pts:+.1f}个百分点"
    if before == 0:
        return f"{now - before:+,}"
    return f"{now - before:+,} ({(now - before) / before * 100:+.0f}%)"


def status(indicator: str, value: float | int | str | None) -> Status:
    """Red/amber/green (indicators.judge: the one rule)."""
    return indicators.judge(indicator, value)


STATUS_COLORS = {"green": "#1e9e5a", "amber": "#e0a100", "red": "#d64541", "none": "#6c757d"}
