"""The rows behind any figure: `pulse cases` and every drill-down on the pages.

Each indicator's declaration (domain/indicators.py, `trace`) names the flag macro it sums
(etl/sql/flags/01_records.sql), the rows it counts (its denominator, for a rate) and, for a
rate, the flag of its numerator. Listing the rows filters the very flags the figure sums,
so the rows always count exactly the figure. The SQL is assembled from those declarations
only; request values are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from dashboard.domain.indicators import REGISTRY, Trace
from dashboard.domain.params import Params, default_as_of
from dashboard.store import COUNTY, Scope, Store

# the window of cases whose file names none: "-" is never a window's name (an optional
# cell "-" means no value, contract §1)
NO_WINDOW = "-"

TRACES: dict[str, Trace] = {i.key: i.trace for i in REGISTRY if i.trace is not None}


def _selection(
    store: Store,
    indicator: str,
    date_from: date,
    date_to: date,
    town: str | None,
    dept: str | None,
    as_of: datetime | None,
    scope: Scope,
    depts: tuple[str, ...],
    window: str | None = None,
) -> tuple[Trace, str, dict]:
    """The indicator's trace, the WHERE clause selecting its rows, and the parameters."""
    try:
        trace = TRACES[indicator]
    except KeyError:
        raise ValueError(f"unknown indicator {indicator!r}; known: {', '.join(TRACES)}") from None
    params = Params(date_from, date_to, as_of or default_as_of(store)).sql_params()
    where = ["day between $date_from and $date_to", "list_contains($towns, town_code)"]
    if depts:
        where.append("list_contains($depts::varchar[], dept_name)")
        params["depts"] = list(depts)
    if trace.rows:
        where.append(trace.rows)
    if town:
        where.append("town_code = $town")
        params["town"] = town
    if dept:
        where.append("dept_name = $dept")
        params["dept"] = dept
    if window:  # a window (受理窗口) of the town: only case figures carry it
        if trace.id_column != "case_id":
            raise ValueError(f"{indicator} has no window")
        if window == NO_WINDOW:
            where.append("window_name is null")
        else:
            where.append("window_name = $window")
            params["window"] = window
    return trace, " and ".join(where), params


@dataclass(frozen=True)
class Selection:
    """Which rows of a figure: its period, town and department, the towns and departments a
    page asked for (the Store narrows them to the viewer's), the moment."""

    date_from: date
    date_to: date
    town: str | None = None
    dept: str | None = None
    as_of: datetime | None = None
    scope: Scope = COUNTY
    depts: tuple[str, ...] = ()
    window: str | None = None

    def kwargs(self) -> dict:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "town": self.town,
            "dept": self.dept,
            "as_of": self.as_of,
            "scope": self.scope,
            "depts": self.depts,
            "window": self.window,
        }


def rows_sql(
    store: Store,
    indicator: str,
    date_from: date,
    date_to: date,
    town: str | None = None,
    dept: str | None = None,
    as_of: datetime | None = None,
    scope: Scope = COUNTY,
    depts: tuple[str, ...] = (),
    sort: tuple[str, bool] | None = None,
    window: str | None = None,
) -> tuple[str, dict, tuple[str, ...]]:
    """The SQL, parameters and fields of every row behind a figure (exports stream it; the
    Store binds $towns)."""
    trace, where, params = _selection(
        store, indicator, date_from, date_to, town, dept, as_of, scope, depts, window
    )
    fields = (*trace.fields, "counted") if trace.numerator else trace.fields
    counted = f", {trace.numerator} as counted" if trace.numerator else ""
    sql = (
        f"select {', '.join(trace.fields)}{counted} from {trace.flags} "
        f"where {where} order by {_order(trace, sort)}"
    )
    return sql, params, fields


def breakdown(
    store: Store,
    indicator: str,
    by: str,
    date_from: date,
    date_to: date,
    town: str | None = None,
    dept: str | None = None,
    as_of: datetime | None = None,
    scope: Scope = COUNTY,
    depts: tuple[str, ...] = (),
    window: str | None = None,
) -> pl.DataFrame:
    """The rows behind a figure counted by one of their fields (department, item …), the
    largest first: `rows`, and for a rate `counted` (above the line). Sums to the figure."""
    trace, where, params = _selection(
        store, indicator, date_from, date_to, town, dept, as_of, scope, depts, window
    )
    if by not in trace.fields:
        raise ValueError(f"{indicator} has no field {by!r}")
    counted = f"count(*) filter (where {trace.numerator})" if trace.numerator else "null"
    return store.sql(
        f"select {by} as key, count(*) as rows, {counted} as counted from {trace.flags} "
        f"where {where} group by {by} order by rows desc, key",
        params,
        scope=scope,
    )


def rows_behind(
    store: Store,
    indicator: str,
    date_from: date,
    date_to: date,
    town: str | None = None,
    dept: str | None = None,
    as_of: datetime | None = None,
    scope: Scope = COUNTY,
    limit: int | None = None,
    offset: int = 0,
    depts: tuple[str, ...] = (),
    sort: tuple[str, bool] | None = None,
    window: str | None = None,
) -> pl.DataFrame:
    """The records an indicator counts for a town (and department) and period.

    For a rate, the rows are its denominator and the column `counted` says which of them
    are in the numerator. Personal data appears only as stored (masked or hashed). Rows come
    in time order, or by `sort` = (field, descending) when the field is one of the trace's;
    the record id breaks ties, so pages of a long list never overlap.
    """
    sql, params, _ = rows_sql(
        store, indicator, date_from, date_to, town, dept, as_of, scope, depts, sort, window
    )
    if limit is not None:
        sql += " limit $limit offset $offset"
        params["limit"], params["offset"] = max(0, int(limit)), max(0, int(offset))
    return store.sql(sql, params, scope=scope)


def sortable(indicator: str) -> tuple[str, ...]:
    """The fields the rows of an indicator can be sorted by."""
    trace = TRACES[indicator]
    return (*trace.fields, "counted") if trace.numerator else trace.fields


def _order(trace: Trace, sort: tuple[str, bool] | None) -> str:
    """ORDER BY from the trace's own field names: a requested field only selects one of
    them, so no text of a request reaches the SQL."""
    default = f"{trace.fields[5]}, {trace.id_column}"
    if sort is None:
        return default
    known = {f: f for f in trace.fields} | ({"counted": "counted"} if trace.numerator else {})
    field = known.get(sort[0])
    if field is None:
        return default
    direction = "desc nulls last" if sort[1] else "asc nulls last"
    return f"{field} {direction}, {trace.id_column}"


def count_behind(
    store: Store,
    indicator: str,
    date_from: date,
    date_to: date,
    town: str | None = None,
    dept: str | None = None,
    as_of: datetime | None = None,
    scope: Scope = COUNTY,
    depts: tuple[str, ...] = (),
    window: str | None = None,
) -> tuple[int, int | None]:
    """(rows, rows counted above the line for a rate, else None) — the same selection as
    rows_behind, counted in SQL so that a year of cases is never materialised to count it."""
    trace, where, params = _selection(
        store, indicator, date_from, date_to, town, dept, as_of, scope, depts, window
    )
    counted = f"count(*) filter (where {trace.numerator})" if trace.numerator else "null"
    row = store.sql(
        f"select count(*) as n, {counted} as counted from {trace.flags} where {where}",
        params,
        scope=scope,
    ).row(0)
    return int(row[0]), None if row[1] is None else int(row[1])
