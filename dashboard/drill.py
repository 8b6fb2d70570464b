"""Links to the rows behind a figure: every drill-down on every page goes through here."""

from __future__ import annotations

from dashboard.filters import Filters


def rows_href(
    filters: Filters, indicator: str, town: str | None = None, dept: str | None = None
) -> str:
    """The 明细 page for one figure, keeping the period (and the chosen towns/departments)."""
    f = filters.with_extra(indicator=indicator, town=town, dept=dept)
    return "/rows" + f.to_query()


def town_href(filters: Filters, town: str) -> str:
    """The 乡镇 page of one town, keeping the period and departments."""
    f = Filters(filters.period, filters.date_from, filters.date_to, (), filters.depts)
    return "/town" + f.with_extra(town=town).to_query()


CASE_STATES = ("overdue_open", "warning_open", "overdue_completed")  # 办件查询's state filter


def cases_href(filters: Filters) -> str:
    """办件查询 for the view: its period, towns and departments — narrowed to the town and
    department a page or a 明细 was on — and, for a case figure with a state, that state."""
    towns = (filters.extra["town"],) if filters.extra.get("town") else filters.towns
    depts = (filters.extra["dept"],) if filters.extra.get("dept") else filters.depts
    indicator = filters.extra.get("indicator")
    flag = indicator if indicator in CASE_STATES else filters.extra.get("flag")
    f = Filters(filters.period, filters.date_from, filters.date_to, towns, depts, filters.channel)
    return "/cases" + f.with_extra(flag=flag).to_query()
