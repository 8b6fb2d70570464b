"""KPI cards: value, change against the comparable previous span (domain/comparisons.py),
target colour, and a link to the rows behind the figure."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.format import STATUS_COLORS, fmt, status, target
from dashboard.domain.comparisons import Change
from dashboard.domain.indicators import Status
from dashboard.domain.indicators import label as indicator_label

NO_DATA = "本期无数据"


def kpi_card(
    indicator: str,
    now,
    moved: Change | None,
    href: str | None = None,
    card_id: str | None = None,
    label: str = "较上期",
    state: Status | None = None,
    detail: str | None = None,
    empty: bool = False,
) -> html.Div:
    """One figure. `moved` is its change (None: not compared); `state` overrides the target
    colour (差评整改率: only what is due); `empty`: the period has no data at all."""
    state = "none" if empty else (state or status(indicator, now))
    colour = {True: "text-success", False: "text-danger", None: "text-muted"}
    shown = NO_DATA if empty else fmt(indicator, now)
    value = html.Div(shown, className="fs-3 fw-bold kpi-value" + (" kpi-empty" if empty else ""))
    if moved is None or empty:
        line: list = [html.Span("\u00a0")]
    elif moved.kind in ("change", "flat"):
        line = [
            html.Span(moved.arrow + " " if moved.arrow else "", className=colour[moved.better]),
            html.Span(f"{label} {moved.text}", className="kpi-change"),
        ]
    else:
        line = [html.Span(moved.text, className="kpi-change")]
    goal = target(indicator)
    body = [
        html.Div(indicator_label(indicator), className="text-muted small"),
        dcc.Link(value, href=href, className="text-reset text-decoration-none") if href else value,
        html.Div(line, className="small text-muted"),
        html.Div(
            detail or (f"目标 {fmt(indicator, goal)}" if goal is not None else "\u00a0"),
            className="small text-muted kpi-detail",
        ),
    ]
    card = dbc.Card(
        dbc.CardBody(body),
        className="h-100 kpi-card",
        style={"borderTop": f"4px solid {STATUS_COLORS[state]}"},
    )
    return html.Div(
        card, id=card_id or f"kpi-{indicator}", className="h-100", **{"data-status": state}
    )
