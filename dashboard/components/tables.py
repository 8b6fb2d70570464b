"""Small tables rendered server-side (for large ones the pages use dash-ag-grid)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dash_bootstrap_components as dbc
from dash import html


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
