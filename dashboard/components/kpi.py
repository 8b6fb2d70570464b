"""KPI cards: value, change against the previous comparable period, target colour, and a
link to the rows behind the figure."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.format import STATUS_COLORS, delta, fmt, improved, status, target
from dashboard.domain.indicators import label as indicator_label


def kpi_card(
    indicator: str, now, before, href: str | None = None, card_id: str | None = None
) -> html.Div:
    state = status(indicator, now)
    better = improved(indicator, now, before)
    arrow = {
        True: ("▲" if (now or 0) > (before or 0) else "▼", "text-success"),
        False: ("▲" if (now or 0) > (before or 0) else "▼", "text-danger"),
        None: ("", "text-muted"),
    }[better]
    goal = target(indicator)
    value = html.Div(fmt(indicator, now), className="fs-3 fw-bold kpi-value")
    body = [
        html.Div(indicator_label(indicator), className="text-muted small"),
        dcc.Link(value, href=href, className="text-reset text-decoration-none") if href else value,
        html.Div(
            [
                html.Span(arrow[0] + " ", className=arrow[1]),
                html.Span(f"较上期 {delta(indicator, now, before)}"),
            ],
            className="small text-muted",
        ),
        html.Div(
            f"目标 {fmt(indicator, goal)}" if goal is not None else "\u00a0",
            className="small text-muted",
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
