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
