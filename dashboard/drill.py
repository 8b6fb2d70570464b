"""Links to the rows behind a figure: every drill-down on every page goes through here."""

from __future__ import annotations

from dashboard.filters import Filters


def rows_href(
    filters: Filters, indicator: str, town: str | None = None, dept: str | None = None
) -> str:
    """The 明细 page for one figure, keeping the period (and the chosen towns/departments)."""
    f = filters.with_extra(indicator=indicator, town=town, dept=dept)
    return "/rows" + f.to_query()


def outside_href(
    filters: Filters, town: str | None = None, dept: str | None = None, signal: str | None = None
) -> str:
    """The 体外循环 page: one department's signals and evidence (town and dept), a town's
    flagged departments (town only) or every flagged department the viewer may see, for the
    period (and chosen towns/departments) of `filters`; `signal` opens that signal's rows.
    Other page state (an indicator, a grid's sort) is not carried over."""
    f = Filters(
        filters.period, filters.date_from, filters.date_to, filters.towns, filters.depts
    ).with_extra(town=town, dept=dept, signal=signal)
    return "/outside" + f.to_query()
