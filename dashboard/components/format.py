"""How a figure is written and coloured, the same on every page, the wall and the PDF."""

from __future__ import annotations

from typing import Literal

from dashboard import labels
from etl import settings

Status = Literal["green", "amber", "red", "none"]


def is_rate(indicator: str) -> bool:
    return indicator.endswith("_rate")


def fmt(indicator: str, value: float | int | None) -> str:
    """92.3% for rates, 12,345 for counts, — for no value (an empty rate is not 0%)."""
    if value is None:
        return "—"
    if is_rate(indicator):
        return f"{value * 100:.1f}%"
    if isinstance(value, str):
        return value or "—"
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


def improved(indicator: str, now, before) -> bool | None:
    if now is None or before is None or now == before:
        return None
    better = now > before
    return not better if indicator in labels.LOWER_IS_BETTER else better


def target(indicator: str) -> float | None:
    try:
        return float(settings.get(f"targets.{indicator}"))
    except KeyError:
        return None


def status(indicator: str, value: float | int | None) -> Status:
    """Red/amber/green against the configured target (rates), or zero (bad counts)."""
    if value is None:
        return "none"
    if indicator in labels.LOWER_IS_BETTER:
        return "green" if value == 0 else "red"
    goal = target(indicator)
    if goal is None:
        return "none"
    if value >= goal - 1e-12:
        return "green"
    return "amber" if value >= goal - float(settings.get("targets.amber_margin")) else "red"


STATUS_COLORS = {"green": "#1e9e5a", "amber": "#e0a100", "red": "#d64541", "none": "#6c757d"}
