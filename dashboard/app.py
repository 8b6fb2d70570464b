"""create_app(): the only Dash(...) call. Pages register themselves from dashboard/pages."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from etl import settings

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


def create_app() -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).with_name("pages")),
        assets_folder=str(ASSETS),
        # Bootstrap comes from assets/vendor: county intranets have no CDN.
        external_stylesheets=[],
        serve_locally=True,
        title=f"{settings.get('county.name')} 政务服务效能看板",
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.layout = _shell
    return app


def _shell() -> html.Div:
    nav = dbc.NavbarSimple(
        children=[
            dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
            for page in dash.page_registry.values()
            if page.get("nav", True)
        ],
        brand=f"{settings.get('county.name')} · 政务服务效能看板",
        brand_href="/",
        color="primary",
        dark=True,
        fluid=True,
    )
    return html.Div(
        [
            dcc.Location(id="url"),
            nav,
            dbc.Container(dash.page_container, fluid=True, className="py-3"),
        ]
    )
