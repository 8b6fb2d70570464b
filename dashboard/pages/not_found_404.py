"""页面不存在: what Dash's page router shows for a path no page has (Dash uses the page
module named not_found_404 instead of its English "404 - Page not found")."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.auth import policy

dash.register_page(
    __name__,
    path="/404",
    name="页面不存在",
    title="页面不存在 · 政务服务效能看板",
    nav=False,
    roles=policy.SIGNED_IN,
)


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H2("页面不存在", className="h4 mb-3"),
            html.P(
                "您打开的地址没有对应的页面,可能链接有误或页面已调整。",
                className="text-muted",
            ),
            dcc.Link("返回总览", href="/", className="btn btn-outline-primary"),
        ],
        className="py-5 text-center not-found",
        id="not-found",
    )
