"""Links to the rows behind a figure: every drill-down on every page goes through here."""

from __future__ import annotations

from dataclasses import replace

from dashboard.filters import Filters


def rows_href(
    filters: Filters,
    indicator: str,
    town: str | None = None,
    dept: str | None = None,
    window: str | None = None,
) -> str:
    """The 明细 page for one figure, keeping the period (and the chosen towns/departments) and
    the town or department a page is on (and a window, 受理窗口, of a window's figure);
    another page's own state (its ranking choice, a grid's sort or filter) stays behind."""
    kept = {k: v for k, v in filters.extra.items() if k in ("town", "dept")}
    f = replace(filters, extra=kept).with_extra(
        indicator=indicator, town=town, dept=dept, window=window
    )
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
    f = replace(f, counties=() if filters.extra.get("town") else filters.counties)
    return "/cases" + f.with_extra(flag=flag).to_query()


def outside_href(
    filters: Filters, town: str | None = None, dept: str | None = None, signal: str | None = None
) -> str:
    """The 体外循环 page: one department's signals and evidence (town and dept), a town's
    flagged departments (town only) or every flagged department the viewer may see, for the
    period (and chosen towns/departments) of `filters`; `signal` opens that signal's rows.
    Other page state (an indicator, a grid's sort) is not carried over."""
    f = Filters(
        filters.period,
        filters.date_from,
        filters.date_to,
        filters.towns,
        filters.depts,
        counties=() if town else filters.counties,
    ).with_extra(town=town, dept=dept, signal=signal)
    return "/outside" + f.to_query()


def county_href(filters: Filters, county: str) -> str:
    """总览 of one county (issue 18): its KPIs and its towns ranked, keeping the period and
    departments; the towns chosen before are dropped (they may be another county's)."""
    f = Filters(
        filters.period, filters.date_from, filters.date_to, (), filters.depts, counties=(county,)
    )
    return "/" + f.to_query()
