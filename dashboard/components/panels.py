"""Panels the pages share: a row of KPI cards, an indicator table that drills to the rows,
and a list of records. Each is a function of data; the figures come from the View."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import dcc, html

from dashboard import labels
from dashboard.components.context import View
from dashboard.components.format import fmt, status
from dashboard.components.kpi import kpi_card
from dashboard.components.tables import data_grid
from dashboard.domain import comparisons
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.rectification import rectification

ID_WIDTHS = {"case_id": 230, "ticket_id": 180, "eval_id": 180, "item_name": 220}


# --- KPI cards ----------------------------------------------------------------------------


def kpi_row(
    view: View,
    keys: Sequence[str],
    now: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    card: Callable[[str, Any, Any], Any] | None = None,
    **metrics_options: Any,
) -> list[dbc.Col]:
    """One card per figure: value, change against the comparable previous span (the running
    period against the same elapsed span of the previous one; counts at a moment not
    compared; 上期无数据), target colour, and a link to the rows behind it. `now`/`before`
    default to the view's county figures over view.spans (metrics_options narrow them, e.g.
    scope=); `card` draws a figure its own way (it gets the key, value and Change)."""
    spans = view.spans
    options = {"flags": False, **metrics_options}
    if now is None or before is None:
        now = view.metrics("county", period=spans.current, **options).row(0, named=True)
        before = view.metrics("county", period=spans.previous, **options).row(0, named=True)
    empty = not comparisons.has_data(now)
    previous = comparisons.has_data(before)
    scope = metrics_options.get("scope") or view.scope
    one_town = scope.towns[0] if scope.towns and len(scope.towns) == 1 else None
    cols = []
    for key in keys:
        moved = comparisons.change(key, now[key], before[key], previous)
        if card is not None and (drawn := card(key, now[key], moved)) is not None:
            cols.append(dbc.Col(drawn))
            continue
        extra: dict[str, Any] = {}
        if key == "rectify_rate" and not empty:  # judged on what is due only
            state = rectification(view.store, view.params_of(spans.current), scope, view.depts)
            extra = {"state": state.status, "detail": state.text()}
        cols.append(
            dbc.Col(
                kpi_card(
                    key,
                    now[key],
                    moved,
                    href=view.href(key, town=one_town),
                    label=spans.label,
                    empty=empty,
                    **extra,
                )
            )
        )
    return cols


# --- a table of figures that drills down ---------------------------------------------------


def indicator_columns(keys: Iterable[str]) -> list[dict]:
    """Grid columns for figures: Chinese header, the figure's own format and colour."""
    return [
        {
            "field": c,
            "headerName": indicator_label(c),
            "valueFormatter": {"function": f"params.data['{c}__text']"},
            "cellClassRules": {
                "rag-red": f"params.data['{c}__status'] == 'red'",
                "rag-amber": f"params.data['{c}__status'] == 'amber'",
                "rag-green": f"params.data['{c}__status'] == 'green'",
            },
            "type": "rightAligned",
            "cellClass": "drillable",
        }
        for c in keys
    ]


def indicator_cells(row: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """A grid row's cells for the figures: value, text and colour of each."""
    cells: dict[str, Any] = {}
    for c in keys:
        cells[c] = row[c]
        cells[f"{c}__text"] = fmt(c, row[c])
        cells[f"{c}__status"] = status(c, row[c])
    return cells


# --- a list of records --------------------------------------------------------------------


def list_height(rows: int, most: int = 380) -> dict:
    """A list grid as tall as its rows (two at least, for the empty message), at most `most`."""
    return {"height": f"{min(most, 52 + 42 * max(rows, 2))}px"}


def record_list(
    grid_id: str, frame: pl.DataFrame, row_key: str, height: str | None = None
) -> dag.AgGrid:
    """Records with Chinese headers: times as text, yes/no as 是/否, ratings by name, the
    record id pinned; as tall as its rows unless a height is given."""
    shown = frame.with_columns(
        [
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M")
            for c, t in frame.schema.items()
            if t.is_temporal()
        ]
        + [
            pl.col(c).replace_strict({True: "是", False: "否"}, default="", return_dtype=pl.String)
            for c, t in frame.schema.items()
            if t == pl.Boolean
        ]
    )
    if "rating" in shown.columns and shown.schema["rating"].is_integer():
        shown = shown.with_columns(
            pl.col("rating").replace_strict(labels.RATINGS, default="", return_dtype=pl.String)
        )
    columns = [
        {"field": c, "headerName": labels.PAGE_FIELDS.get(c, c), "minWidth": ID_WIDTHS.get(c, 90)}
        for c in frame.columns
    ]
    if columns:
        columns[0]["pinned"] = "left"
    return data_grid(
        grid_id,
        f"params.data.{row_key}",
        height=height or list_height(frame.height)["height"],
        columns=columns,
        rows=shown.to_dicts(),
    )


def record_card(title: str, note: str, body: Any) -> dbc.Card:
    """A titled card around a record list (a bar's or a row's records)."""
    return dbc.Card(
        [
            dbc.CardHeader([html.Strong(title), html.Span(f"  {note}", className="text-muted")]),
            dbc.CardBody(body),
        ],
        className="mb-3",
    )


def ledger_link(href: str | None, link_id: str | None = None) -> dcc.Link | None:
    """ "立项整改": open a rectification item for what is shown (View.ledger_href), or nothing
    for a viewer who may not open items."""
    if href is None:
        return None
    extra = {"id": link_id} if link_id else {}
    return dcc.Link("立项整改", href=href, className="btn btn-sm btn-outline-danger ms-2", **extra)
