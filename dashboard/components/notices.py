"""Say what is wrong with the view the URL asks for, above every page: reversed dates, a
period outside the loaded data, a town that does not exist or that the viewer may not see.
Never zeros that look like success (issue 16 point 6)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, html

from dashboard.auth.access import AccessDenied
from dashboard.domain.params import data_span, default_as_of
from dashboard.errors import RequestError
from dashboard.filters import Filters
from dashboard.store import StoreEmpty, default_store

NOTICE = "shell-notice"


def problems(search: str | None) -> list[str]:
    """What is wrong with the view, in Chinese (empty when nothing is)."""
    try:
        filters = Filters.from_query(search)
        store = default_store()
        as_of = default_as_of(store)
        period = filters.resolve(as_of)
    except RequestError as exc:
        return [exc.message]
    except (StoreEmpty, ValueError, AccessDenied):
        return []
    found = []
    first, last = data_span(store)
    if first is None or period.start > as_of.date() or (last and period.start > last):
        found.append(
            f"本期无数据:所选期间({period.start} 至 {period.end})在数据截至 "
            f"{as_of:%Y-%m-%d %H:%M} 之后。"
        )
    elif period.end < first:
        found.append(
            f"本期无数据:所选期间({period.start} 至 {period.end})早于最早的数据({first})。"
        )
    visible = {code for (code, _name) in store.query("shell__towns").iter_rows()}
    asked = [*filters.towns, *([filters.extra["town"]] if filters.extra.get("town") else [])]
    unknown = [t for t in asked if t not in visible]
    if unknown:
        found.append(f"乡镇 {'、'.join(unknown[:5])} 不存在或您无权查看。")
    return found


def register(app: dash.Dash) -> None:
    @app.callback(Output(NOTICE, "children"), Input("url", "search"))
    def show_problems(search):
        return [
            dbc.Alert(text, color="warning", className="py-2 mb-2") for text in problems(search)
        ]


def placeholder() -> html.Div:
    """Where the notices appear (under the filter bar)."""
    return html.Div(id=NOTICE, className="container-fluid")
