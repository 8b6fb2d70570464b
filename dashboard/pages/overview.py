"""总览: county KPIs against the previous period and the targets, the town ranking with
红黑榜, and trends by week and month. Every figure links to the rows behind it."""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)

from dashboard.app import Ids as Shell
from dashboard.components.context import View, page_callback
from dashboard.components.figures import trend
from dashboard.components.panels import indicator_cells, indicator_columns, kpi_row
from dashboard.domain import counties, coverage, indicators, ranking
from dashboard.domain.indicators import OPTIONAL
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.metrics import INDICATORS
from dashboard.drill import outside_href, rows_href, town_href
from dashboard.errors import BadRequest, RequestError
from dashboard.filters import Filters
from dashboard.store import StoreEmpty, default_store

dash.register_page(__name__, path="/", name="总览", title="总览 · 政务服务效能看板", order=0)

KPIS = indicators.HEADLINE
RANK_CHOICES = indicators.RANKABLE

# ranking table columns: every listed figure; those from optional case columns (contract
# §3a) only where the county has the data (domain/coverage.py)
SHOWN = tuple(c for c in INDICATORS if c not in ("online_cases", "outside_system_depts", *OPTIONAL))


def rank_choices(query: dict) -> tuple[str, ...]:
    """RANK_CHOICES, then the optional figures the county has data for in the period."""
    try:
        view = View.from_search(
            "?" + urlencode({k: v for k, v in query.items() if isinstance(v, str)})
        )
        return coverage.with_available(view.store, RANK_CHOICES, view.period.start, view.period.end)
    except (StoreEmpty, ValueError, RequestError):
        return RANK_CHOICES


TREND_SHOWN = ["cases", "online_rate", "satisfaction_rate", "on_time_rate"]


class Ids:
    URL_KEY = "overview-url-key"
    KPIS = "overview-kpis"
    RANK_BY = "overview-rank-by"
    RANKING = "overview-ranking"
    TREND_MONTH = "overview-trend-month"
    TREND_WEEK = "overview-trend-week"
    DRILL = "overview-drill"


def layout(**query) -> html.Div:
    choices = rank_choices(query)
    rank_by = query.get("rank") if query.get("rank") in choices else RANK_CHOICES[0]
    return html.Div(
        [
            # the ranking choice lives in ?rank= (absent for the default)
            dcc.Store(id=Ids.URL_KEY, data={"key": "rank", "default": RANK_CHOICES[0]}),
            dcc.Location(id=Ids.DRILL, refresh="callback-nav"),
            dbc.Row(id=Ids.KPIS, className="g-3 mb-4 row-cols-2 row-cols-md-3 row-cols-xl-5"),
            dbc.Row(
                [
                    dbc.Col(html.H4(_ranking_title(query), className="mb-0"), md="auto"),
                    dbc.Col(
                        dcc.Dropdown(
                            id=Ids.RANK_BY,
                            clearable=False,
                            value=rank_by,
                            options=[
                                {"label": f"按{indicator_label(c)}排名", "value": c}
                                for c in choices
                            ],
                        ),
                        md=3,
                    ),
                    dbc.Col(html.Small(ranking.board_text(), className="text-muted"), md=True),
                ],
                className="align-items-center g-2 mb-2",
            ),
            dag.AgGrid(
                id=Ids.RANKING,
                columnDefs=[],
                rowData=[],
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "minWidth": 90,
                    "wrapHeaderText": True,
                    "autoHeaderHeight": True,
                },
                columnSize="responsiveSizeToFit",
                dashGridOptions={"domLayout": "autoHeight", "animateRows": False},
                getRowId="params.data.town_code",
                className="mb-4",
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=Ids.TREND_MONTH, config={"displaylogo": False}), lg=6),
                    dbc.Col(dcc.Graph(id=Ids.TREND_WEEK, config={"displaylogo": False}), lg=6),
                ]
            ),
        ]
    )


def _ranking_title(query: dict) -> str:
    """乡镇排名 · 红黑榜, with the county's name when one county is chosen (issue 18)."""
    chosen = [c for c in str(query.get("counties") or "").split(",") if c]
    if len(chosen) != 1:
        return "乡镇排名 · 红黑榜"
    try:
        name = counties.names(default_store()).get(chosen[0])
    except StoreEmpty:
        name = None
    return f"{name} · 乡镇排名 · 红黑榜" if name else "乡镇排名 · 红黑榜"


@page_callback(Output(Ids.KPIS, "children"))
def show_kpis(view: View):
    return kpi_row(view, KPIS)


@page_callback(
    Output(Ids.RANKING, "columnDefs"),
    Output(Ids.RANKING, "rowData"),
    Input(Ids.RANK_BY, "value"),
)
def show_ranking(view: View, rank_by):
    if rank_by not in (*RANK_CHOICES, *OPTIONAL):
        raise BadRequest("未知的排名指标")
    # the ranking is published: a town official sees every town's figures here, as in a 通报
    # with several counties, a county or town official ranks among their own county's towns
    scope = counties.ranking_scope(view.store, view.scope)
    frame = view.metrics("town", published=True, scope=scope)
    before = view.metrics(
        "town", period=view.spans.previous, published=True, flags=False, scope=scope
    )
    shown = coverage.with_available(view.store, SHOWN, view.period.start, view.period.end)
    ascending = indicators.get(rank_by).better == "lower"
    rows = []
    for x in ranking.rank(frame, rank_by, before):
        r = x.row
        row = {
            "rank": x.rank,
            "change": ranking.change_text(x),
            "board": x.board,
            "town_code": r["town_code"],
            "town_name": r["town_name"],
        }
        row.update(indicator_cells(r, shown))
        row["outside_system_depts"] = r["outside_system_depts"] or ""
        rows.append(row)
    columns = [
        {"field": "rank", "headerName": "名次", "width": 70, "pinned": "left"},
        {
            "field": "change",
            "headerName": "升降",
            "width": 70,
            "pinned": "left",
            "headerTooltip": f"与上期({view.spans.label})名次相比",
            "cellClassRules": {
                "rank-up": "params.value && params.value.startsWith('↑')",
                "rank-down": "params.value && params.value.startsWith('↓')",
            },
        },
        {
            "field": "board",
            "headerName": "红黑榜",
            "width": 80,
            "pinned": "left",
            "cellClassRules": {
                "board-red": "params.value == '红榜'",
                "board-black": "params.value == '黑榜'",
            },
        },
        {
            "field": "town_name",
            "headerName": "乡镇",
            "pinned": "left",
            "width": 110,
            "cellClass": "town-link",
            "headerTooltip": "点击乡镇名称打开乡镇页",
        },
        *[
            {
                **column,
                "sort": ("asc" if ascending else "desc") if column["field"] == rank_by else None,
            }
            for column in indicator_columns(shown)
        ],
        {
            "field": "outside_system_depts",
            "headerName": indicator_label("outside_system_depts"),
            "cellClassRules": {"drillable": "params.value"},  # opens the town's flagged list
            "tooltipField": "outside_system_depts",
        },
    ]
    return columns, rows


@callback(
    Output(Ids.DRILL, "href"),
    Input(Ids.RANKING, "cellClicked"),
    Input(Shell.URL, "search"),
    prevent_initial_call=True,
)
def drill_from_ranking(cell, query):
    """A click on a town's figure opens the rows behind it."""
    if not cell or dash.ctx.triggered_id != Ids.RANKING:
        return no_update
    column = cell.get("colId")
    town = cell.get("rowId")
    if not isinstance(town, str) or not town or len(town) > 64:
        return no_update
    filters = Filters.from_query(query)
    if column == "town_name":  # a town's name opens its own page
        return town_href(filters, town)
    if column == "outside_system_depts":  # the town's departments flagged for 体外循环
        return outside_href(filters, town)
    if column not in INDICATORS:
        column = "cases"
    return rows_href(filters, column, town=town)


@page_callback(Output(Ids.TREND_MONTH, "figure"), Output(Ids.TREND_WEEK, "figure"))
def show_trends(view: View):
    return (
        trend(
            view.trend("month"), TREND_SHOWN, "近12个月趋势(按月)", as_of=view.as_of, bucket="month"
        ),
        trend(view.trend("week"), TREND_SHOWN, "近12周趋势(按周)", as_of=view.as_of, bucket="week"),
    )


# the ranking's indicator into the URL (?rank=): a shared link opens the same ranking
clientside_callback(
    ClientsideFunction(namespace="pulse", function_name="valueToUrl"),
    Output(Shell.URL, "search", allow_duplicate=True),
    Input(Ids.RANK_BY, "value"),
    State(Ids.URL_KEY, "data"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
