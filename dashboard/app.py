"""create_app(): the only Dash(...) call, and the shell every analyst page sits in:
navigation built from the page registry (collapsed behind a toggler on phones), the global
filters kept in the URL, 数据截至, and a loading indicator while callbacks run.

First render (issue 16): responses are compressed (dashboard/compression.py), Dash's
fingerprinted bundles are cached for a year (the gate's after-request), plotly.js is the
partial bundle in assets/vendor and loads only on pages with a graph (assets/plotly-setup.js),
and the page says 正在加载… from the first byte, in Chinese, with lang="zh-CN".
"""

from __future__ import annotations

import json
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import compression
from dashboard.admin_routes import register_routes as register_admin_routes
from dashboard.auth import access, gate, policy
from dashboard.auth import views as auth_views
from dashboard.components import context, defaults, notices
from dashboard.domain import periods
from dashboard.drill import cases_href
from dashboard.export_routes import register_routes as register_export_routes
from dashboard.filters import Filters
from dashboard.health import register_routes as register_health_routes
from dashboard.manage_routes import register_routes as register_manage_routes
from dashboard.outside_export import register_routes as register_outside_export_routes
from dashboard.snapshot.archive import register_routes as register_snapshot_routes
from dashboard.store import StoreEmpty, default_store
from etl import settings

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


class Ids:
    URL = context.URL
    # dcc.Store: the normalised query string the shell reads. Pages read URL.search itself:
    # it is already the new one when a followed link mounts their components, so they never
    # render once with the page-before's filters.
    FILTERS = "filters"
    NAV = "shell-nav"
    FILTER_BAR = "shell-filter-bar"
    PERIOD = "filter-period"
    RANGE = "filter-range"
    TOWNS = "filter-towns"
    COUNTIES = "filter-counties"  # issue 18: shown only when the viewer sees several counties
    DEPTS = "filter-depts"
    AS_OF = "shell-as-of"
    PERIOD_TEXT = "shell-period-text"
    NAV_LINK = "nav-link"  # pattern-matching: {"type": NAV_LINK, "index": path}
    NAV_TOGGLE = "shell-nav-toggle"  # the ☰ button of a narrow screen
    NAV_COLLAPSE = "shell-nav-collapse"
    ACCOUNT = "shell-account"
    LOADING = "shell-loading"  # 正在加载…, shown by assets/shell.js while callbacks run


# Pages that fill the screen on their own (wall, print) hide the analyst shell.
BARE_PATHS = ("/wall", "/report", "/bulletin-print")

LOADING_TEXT = "正在加载…"

# Dash's index page, in Chinese: lang="zh-CN" (no offer to translate the page; CJK line
# breaking) and no Internet Explorer notice in English.
INDEX = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


class PulseDash(dash.Dash):
    def interpolate_index(self, **kwargs) -> str:
        """Dash's placeholder until the app has drawn says Loading... — ours says 正在加载…"""
        entry = kwargs.get("app_entry", "")
        kwargs["app_entry"] = entry.replace("Loading...", LOADING_TEXT)
        return super().interpolate_index(**kwargs)


def create_app() -> dash.Dash:
    defaults.install()  # grids, dropdowns and date pickers speak Chinese on every page
    app = PulseDash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).with_name("pages")),
        assets_folder=str(ASSETS),
        # the partial plotly.js bundle is fetched by assets/plotly-setup.js when a page has
        # a graph, never put on every page
        assets_ignore=r"^plotly-basic-.*\.js$",
        # Bootstrap comes from assets/vendor: county intranets have no CDN.
        external_stylesheets=[],
        serve_locally=True,
        eager_loading=False,  # Dash's default, said aloud: async chunks only when used
        title=f"{settings.get('county.name')} 政务服务效能看板",
        update_title=None,
        suppress_callback_exceptions=True,
        index_string=INDEX,
    )
    app.layout = _shell
    _register_shell_callbacks(app)
    notices.register(app)  # what is wrong with the view the URL asks for
    compression.install(app.server, ASSETS)  # gzip/brotli; before the gate: runs after it
    gate.install(app)  # logins, roles and headers in front of every route (issue 13)
    auth_views.register_routes(app.server)  # /login, /logout
    register_snapshot_routes(app.server)  # the weekly PDFs' downloads
    register_export_routes(app.server)  # 办件查询's CSV/Excel exports
    register_outside_export_routes(app.server)  # 体外循环's evidence CSV
    register_admin_routes(app.server)  # 审计日志 CSV
    register_health_routes(app.server)  # GET /healthz for monitoring (no login)
    register_manage_routes(app.server)  # 整改台账, 办件抽查, 书面说明 forms; 通报 (issue 17)
    return app


def _nav_pages() -> list[dict]:
    """The pages in the navigation: those the viewer's role may open (a page of the county
    level, such as 市级看板, only when the instance holds several counties)."""
    role = access.current().role
    several = _several_counties()
    return [
        p
        for p in dash.page_registry.values()
        if p.get("nav", True)
        and policy.allowed(role, policy.page_roles(p))
        and (several or not p.get("several_counties"))
    ]


def _brand() -> str:
    """The county's name, or the city's with several counties (issue 18)."""
    from dashboard.domain import counties

    try:
        return counties.brand(default_store())
    except (StoreEmpty, access.AccessDenied):
        return str(settings.get("county.name"))


def _several_counties() -> bool:
    from dashboard.domain import counties

    try:
        return counties.several(default_store())
    except (StoreEmpty, access.AccessDenied):
        return False


def _account() -> html.Div:
    """Who is signed in, and the logout button (a POST form: no link can sign anyone out)."""
    viewer = access.current()
    return html.Form(
        [
            html.Span(viewer.label(), className="navbar-text text-white-50 small me-2"),
            html.Button("退出", type="submit", className="btn btn-sm btn-outline-light"),
        ],
        action="/logout",
        method="POST",
        className="d-flex align-items-center ms-3 mb-0",
        id=Ids.ACCOUNT,
    )


# Pages grouped under a menu of the navigation (the others are links of their own), so an
# admin's navigation fits one line from 1200 px however many management pages there are.
NAV_MENUS = {
    "管理": ("/snapshots", "/case-audit", "/ledger", "/explanations", "/bulletins"),
    "系统": ("/quality", "/audit", "/accounts"),
}


def _nav_items() -> list:
    """The viewer's pages as links, and the grouped ones under their menus (a menu with one
    page the viewer may open is just that link)."""
    pages = _nav_pages()
    grouped = {path: menu for menu, paths in NAV_MENUS.items() for path in paths}
    items: list = []
    menus: dict[str, list[dict]] = {}
    for p in pages:
        menu = grouped.get(p["path"])
        if menu is None:
            items.append(p)
        else:
            if menu not in menus:
                items.append(menu)  # a menu takes the place of its first page
            menus.setdefault(menu, []).append(p)

    def link_id(p: dict) -> dict:
        return {"type": Ids.NAV_LINK, "index": p["relative_path"]}

    out = []
    for item in items:
        if isinstance(item, dict) or len(menus[item]) == 1:
            p = item if isinstance(item, dict) else menus[item][0]
            out.append(
                dbc.NavItem(
                    dbc.NavLink(p["name"], href=p["relative_path"], id=link_id(p), active="exact")
                )
            )
            continue
        out.append(
            dbc.DropdownMenu(
                [
                    dbc.DropdownMenuItem(p["name"], href=p["relative_path"], id=link_id(p))
                    for p in menus[item]
                ],
                label=item,
                nav=True,
                in_navbar=True,
                align_end=False,
            )
        )
    return out


def _shell() -> html.Div:
    towns, depts = _choices()
    county_choices = _county_choices()
    links = dbc.Nav(_nav_items(), navbar=True, className="me-auto")
    # dbc.NavbarToggler labels itself "Toggle navigation": a plain button says it in Chinese
    toggler = html.Button(
        html.Span(className="navbar-toggler-icon"),
        id=Ids.NAV_TOGGLE,
        className="navbar-toggler",
        type="button",
        n_clicks=0,
        title="导航菜单",
        **{"aria-label": "展开或收起导航菜单", "aria-controls": Ids.NAV_COLLAPSE},
    )
    nav = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [
                        html.Span(f"{_brand()} · ", className="brand-county"),
                        "政务服务效能看板",
                    ],
                    href="/",
                ),
                toggler,
                dbc.Collapse(
                    [
                        links,
                        html.Span(id=Ids.AS_OF, className="navbar-text text-white-50 small"),
                        _account(),
                    ],
                    id=Ids.NAV_COLLAPSE,
                    is_open=False,
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        expand="xl",
        className="mb-2 pulse-navbar",
    )
    bar = dbc.Container(
        dbc.Row(
            [
                dbc.Col(
                    dcc.Dropdown(
                        id=Ids.PERIOD,
                        clearable=False,
                        searchable=False,
                        options=[{"label": v, "value": k} for k, v in periods.LABELS.items()],
                        value="this_month",
                    ),
                    xs=12,
                    sm=4,
                    md=2,
                ),
                dbc.Col(
                    dcc.DatePickerRange(
                        id=Ids.RANGE,
                        # month names and weekdays from date-fns's zh-CN locale, which
                        # assets/vendor/date-fns-*-zh-CN.min.js registers for Dash's picker
                        display_format="YYYY-MM-DD",
                        month_format="YYYY年M月",
                        first_day_of_week=1,
                        start_date_placeholder_text="开始日期",
                        end_date_placeholder_text="结束日期",
                    ),
                    xs=12,
                    md="auto",
                    id=f"{Ids.RANGE}-col",
                    style={"display": "none"},  # until the period is 自定义 (describe_period)
                ),
                dbc.Col(
                    dcc.Dropdown(
                        id=Ids.COUNTIES,
                        multi=True,
                        placeholder="全部县区",
                        options=county_choices,
                    ),
                    xs=6,
                    sm=4,
                    md=2,
                    id=f"{Ids.COUNTIES}-col",
                    # one county: no county level anywhere (the bar looks as it always did)
                    style=None if len(county_choices) > 1 else {"display": "none"},
                ),
                dbc.Col(
                    dcc.Dropdown(id=Ids.TOWNS, multi=True, placeholder="全部乡镇", options=towns),
                    xs=6,
                    sm=4,
                    md=3,
                ),
                dbc.Col(
                    dcc.Dropdown(id=Ids.DEPTS, multi=True, placeholder="全部部门", options=depts),
                    xs=6,
                    sm=4,
                    md=3,
                ),
                dbc.Col(
                    html.Span(id=Ids.PERIOD_TEXT, className="text-muted small"),
                    md="auto",
                    className="d-flex align-items-center",
                ),
            ],
            className="g-2",
        ),
        fluid=True,
        id=Ids.FILTER_BAR,
        className="mb-2",
    )
    loading = html.Div(
        [html.Span(className="spinner-border spinner-border-sm me-2"), LOADING_TEXT],
        id=Ids.LOADING,
        className="pulse-loading",
        role="status",
        **{"aria-live": "polite"},
    )
    return html.Div(
        [
            dcc.Location(id=Ids.URL, refresh=False),
            dcc.Store(id=Ids.FILTERS),
            html.Div([nav, bar, loading], id=Ids.NAV),
            notices.placeholder(),
            dbc.Container(dash.page_container, fluid=True, className="pb-4"),
        ]
    )


def _choices() -> tuple[list[dict], list[dict]]:
    try:
        store = default_store()
        towns = store.query("shell__towns")
        depts = store.query("shell__depts")
    except (StoreEmpty, access.AccessDenied):  # no data yet; nobody signed in (start-up)
        return [], []
    return (
        [{"label": n, "value": c} for c, n in towns.iter_rows()],
        [{"label": d, "value": d} for (d,) in depts.iter_rows()],
    )


def _county_choices() -> list[dict]:
    """The counties the viewer has towns in (the counties filter)."""
    from dashboard.domain import counties

    try:
        frame = counties.visible(default_store())
    except (StoreEmpty, access.AccessDenied):
        return []
    return [{"label": n, "value": c} for c, n in frame.select("county_code", "county_name").rows()]


def _register_shell_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(Ids.URL, "search"),
        Output(Ids.PERIOD, "value"),
        Output(Ids.RANGE, "start_date"),
        Output(Ids.RANGE, "end_date"),
        Output(Ids.TOWNS, "value"),
        Output(Ids.DEPTS, "value"),
        Output(Ids.COUNTIES, "value"),
        Output(Ids.FILTERS, "data"),
        Input(Ids.URL, "search"),
        Input(Ids.PERIOD, "value"),
        Input(Ids.RANGE, "start_date"),
        Input(Ids.RANGE, "end_date"),
        Input(Ids.TOWNS, "value"),
        Input(Ids.DEPTS, "value"),
        Input(Ids.COUNTIES, "value"),
    )
    def sync_filters(search, period, start, end, towns, depts, county_values):
        """URL → widgets on load and back/forward; widgets → URL on every change."""
        if ctx.triggered_id in (None, Ids.URL):
            f = Filters.from_query(search)
            return (
                no_update,
                f.period,
                _iso(f.date_from),
                _iso(f.date_to),
                list(f.towns),
                list(f.depts),
                list(f.counties),
                f.to_query(),
            )
        current = Filters.from_query(search)
        if ctx.triggered_id == Ids.RANGE and start and end and str(end) < str(start):
            # a reversed range is refused where it is picked: the end is cleared, the view
            # (and the URL) stay as they were until a valid end date is chosen
            kept = [no_update] * len(ctx.outputs_list)
            kept[3] = None  # Output(Ids.RANGE, "end_date")
            return tuple(kept)
        f = Filters.from_query(
            Filters(
                period=period or current.period,
                date_from=_day(start),
                date_to=_day(end),
                towns=tuple(towns or ()),
                depts=tuple(depts or ()),
                channel=current.channel,
                extra=current.extra,
                counties=tuple(county_values or ()),
            ).to_query()
        )
        query = f.to_query()
        return (
            query if query != search else no_update,
            no_update,
            no_update,
            no_update,
            no_update,
            no_update,
            no_update,
            query,
        )

    @app.callback(
        Output(Ids.AS_OF, "children"),
        Output(Ids.PERIOD_TEXT, "children"),
        Output(f"{Ids.RANGE}-col", "style"),
        Input(Ids.FILTERS, "data"),
    )
    def describe_period(query):
        f = Filters.from_query(query)
        hidden = {} if f.period == "custom" else {"display": "none"}
        try:
            as_of = _as_of()
        except (StoreEmpty, ValueError):
            return "尚无数据", "", hidden
        p = f.resolve(as_of)
        return (
            f"数据截至 {as_of:%Y-%m-%d %H:%M}",
            f"{p.label} · {p.start:%Y-%m-%d} 至 {p.end:%Y-%m-%d}",
            hidden,
        )

    @app.callback(
        Output({"type": Ids.NAV_LINK, "index": ALL}, "href"),
        Input(Ids.FILTERS, "data"),
        State({"type": Ids.NAV_LINK, "index": ALL}, "id"),
    )
    def carry_filters_in_links(query, ids):
        """Moving between pages keeps the period and towns (page extras are dropped); 办件查询
        keeps the town, department and state the view was on (drill.cases_href)."""
        f = Filters.from_query(query)
        base = Filters(
            f.period, f.date_from, f.date_to, f.towns, f.depts, f.channel, counties=f.counties
        )
        return [
            cases_href(f) if i["index"] == "/cases" else i["index"] + base.to_query() for i in ids
        ]

    @app.callback(
        Output(Ids.TOWNS, "options"),
        Input(Ids.COUNTIES, "value"),
        prevent_initial_call=True,
    )
    def towns_of_counties(chosen):
        """The towns filter offers the chosen counties' towns (all when none is chosen)."""
        towns, _ = _choices()
        if not chosen or not isinstance(chosen, list):
            return towns
        keep = {str(c) for c in chosen}
        return [t for t in towns if access.county_of(t["value"]) in keep]

    bare = json.dumps(list(BARE_PATHS))
    app.clientside_callback(
        f"(path) => {bare}.some(p => (path || '').startsWith(p)) ? {{display: 'none'}} : {{}}",
        Output(Ids.NAV, "style"),
        Input("_pages_location", "pathname"),
    )
    # the ☰ button opens and closes the navigation; following a link closes it
    app.clientside_callback(
        """(clicks, path, open) => {
            const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id;
            return trigger === 'shell-nav-toggle.n_clicks' ? !open : false;
        }""",
        Output(Ids.NAV_COLLAPSE, "is_open"),
        Input(Ids.NAV_TOGGLE, "n_clicks"),
        Input("_pages_location", "pathname"),
        State(Ids.NAV_COLLAPSE, "is_open"),
        prevent_initial_call=True,
    )


def _as_of():
    from dashboard.domain.metrics import default_as_of

    return default_as_of(default_store())


def _iso(d):
    return d.isoformat() if d else None


def _day(text):
    from datetime import date

    return date.fromisoformat(text[:10]) if text else None
