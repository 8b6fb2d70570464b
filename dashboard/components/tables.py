"""Small tables rendered server-side (for large ones the pages use dash-ag-grid) and the page
grid. Every grid's Chinese texts: dashboard/components/defaults.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from dashboard import labels


def simple_table(headers: Sequence[str], rows: Iterable[Sequence[object]], **kwargs) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(h) for h in headers]))
    body = html.Tbody([html.Tr([html.Td(_text(v)) for v in row]) for row in rows])
    return dbc.Table([head, body], striped=True, size="sm", **kwargs)


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def section_header(title: str, hint: str, extra=None) -> html.Div:
    """A section title with a muted hint, and optionally a control at the right."""
    return html.Div(
        [
            html.H4(title, className="mb-0 me-3 text-nowrap"),
            html.Span(hint, className="text-muted small me-auto"),
            *([extra] if extra is not None else []),
        ],
        className="d-flex flex-wrap align-items-baseline column-gap-1 mt-3 mb-2",
    )


def data_grid(
    grid_id: str,
    row_id: str,
    auto_height: bool = False,
    height: str = "",
    columns: list[dict] | None = None,
    rows: list[dict] | None = None,
    min_width: int = 90,
) -> dag.AgGrid:
    """A page grid: sortable, Chinese texts (components/defaults.py) with its own empty text,
    either as tall as its rows or a fixed height; narrower minimum column widths get the
    compact style."""
    options = {
        "animateRows": False,
        "suppressCellFocus": True,
        "localeText": {**labels.GRID_LOCALE, "noRowsToShow": "本期没有记录"},
    }
    if auto_height:
        options["domLayout"] = "autoHeight"
    # no rowData until the page's callback sends it: the grid says 加载中…, not 本期没有记录
    data = {} if rows is None else {"rowData": rows}
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns or [],
        **data,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "minWidth": min_width,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        columnSize="responsiveSizeToFit",
        dashGridOptions=options,
        getRowId=row_id,
        style={} if auto_height else {"height": height},
        className="mb-3 pulse-grid" + (" pulse-grid-compact" if min_width < 90 else ""),
    )
