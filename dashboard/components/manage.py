"""Pieces the management pages share (issue 17): plain HTML forms that POST to /manage/ (the
browser submits them; no callback), the signed message after a redirect, month choosers."""

from __future__ import annotations

from collections.abc import Iterable

import dash_bootstrap_components as dbc
from dash import html

from dashboard.manage.common import month_label


def hidden(name: str, value: object) -> dbc.Input:
    return dbc.Input(type="hidden", name=name, value="" if value is None else str(value))


def post_form(action: str, children: list, **kwargs) -> html.Form:
    return html.Form(children, action=action, method="POST", **kwargs)


def flash_alert(query: dict) -> html.Div | None:
    """The message a form's redirect carries (only when its signature is ours)."""
    from dashboard.manage_routes import flashed

    found = flashed(query)
    if found is None:
        return None
    ok, message = found
    return dbc.Alert(
        message,
        color="success" if ok else "danger",
        className="py-2 mb-3",
        id="manage-flash",
        dismissable=True,
    )


def month_chooser(path: str, months: Iterable[str], chosen: str, extra: dict | None = None):
    """A GET form: pick a month, then 查看 (the page is drawn afresh for it)."""
    fields = [hidden(k, v) for k, v in (extra or {}).items() if v]
    return html.Form(
        [
            dbc.Select(
                name="month",
                value=chosen,
                options=[{"label": month_label(m), "value": m} for m in months],
                className="form-select-sm",
                style={"width": "9rem"},
            ),
            *fields,
            html.Button("查看", type="submit", className="btn btn-sm btn-outline-primary ms-2"),
        ],
        action=path,
        method="GET",
        className="d-flex align-items-center",
    )


def note(text: str) -> html.P:
    return html.P(text, className="text-muted small mb-2")
