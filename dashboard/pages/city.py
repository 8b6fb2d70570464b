"""市级看板 (issue 18): the city's figures, its counties ranked with the towns' rule (红黑榜,
升降), and the drill-down county → 总览 of that county (its towns ranked) → 乡镇 → 部门 → 明细
and 办件查询. Shown in the navigation only when the instance holds several counties.

The county ranking is published, like the towns' ranking in a 通报: a county or town official
sees every county's figures here; the rows behind them stay within the official's own towns
(the Store binds them from the session)."""

from __future__ import annotations

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
from dashboard.components.panels import indicator_cells, indicator_columns, kpi_row
from dashboard.domain import counties, indicators, ranking
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.metrics import INDICATORS
from dashboard.drill import county_href, rows_href
from dashboard.errors import BadRequest
from dashboard.filters import Filters

dash.register_page(
    __name__,
    path="/city",
    name="市级看板",
    title="市级看板 · 政务服务效能看板",
    order=-1,
    roles=("admin", "city", "county", "town"),
    several_counties=True,  # the navigation shows it only when there are several counties
)


# the overview's figures and ranking choices (the domain's, as there)
KPIS = indicators.HEADLINE
RANK_CHOICES = indicators.RANKABLE


class Ids:
    URL_KEY = "city-url-key"
    TITLE = "city-title"
    KPIS = "city-kpis"
    RANK_BY = "city-rank-by"
    RANKING = "city-ranking"
    NOTE = "city-note"
    DRILL = "city-drill"


def layout(**query) -> html.Div:
    rank_by = query.get("rank") if query.get("rank") in RANK_CHOICES else RANK_CHOICES[0]
    return html.Div(
        [
            dcc.Store(id=Ids.URL_KEY, data={"key": "rank", "default": RANK_CHOICES[0]}),
            dcc.Location(id=Ids.DRILL, refresh="callback-nav"),
            html.H4(id=Ids.TITLE, className="mb-3"),
            dbc.Row(id=Ids.KPIS, className="g-3 mb-4 row-cols-2 row-cols-md-3 row-cols-xl-5"),
            dbc.Row(
                [
                    dbc.Col(html.H4("县区排名 · 红黑榜", className="mb-0"), md="auto"),
                    dbc.Col(
                        dcc.Dropdown(
                            id=Ids.RANK_BY,
                            clearable=False,
                            value=rank_by,
                            options=[
                                {"label": f"按{indicator_label(c)}排名", "value": c}
                                for c in RANK_CHOICES
                            ],
                        ),
                        md=3,
                    ),
                ],
                className="align-items-center g-2 mb-2",
            ),
            html.P(id=Ids.NOTE, className="text-muted small mb-2"),
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
                getRowId="params.data.county_code",
                className="mb-4",
            ),
        ]
    )


@page_callback(Output(Ids.TITLE, "children"), Output(Ids.KPIS, "children"))
def show_kpis(view: View):
    title = f"{counties.city_name(view.store)} · 各县区政务服务效能"
    return title, kpi_row(view, KPIS)


@page_callback(
    Output(Ids.RANKING, "columnDefs"),
    Output(Ids.RANKING, "rowData"),
    Output(Ids.NOTE, "children"),
    Input(Ids.RANK_BY, "value"),
)
def show_ranking(view: View, rank_by):
    if rank_by not in RANK_CHOICES:
        raise BadRequest("未知的排名指标")
    frame = counties.metrics(
        view.store, view.period.start, view.period.end, view.as_of, view.scope, view.depts
    )
    previous = view.spans.previous
    before = counties.metrics(
        view.store, previous.start, previous.end, view.as_of, view.scope, view.depts
    )
    shown = [c for c in INDICATORS if c not in ("online_cases", "outside_system_depts")]
    ascending = indicators.get(rank_by).better == "lower"
    rows = []
    ranked = ranking.rank(frame, rank_by, before, key="county_code")
    for x in ranked:
        r = x.row
        row = {
            "rank": x.rank,
            "change": ranking.change_text(x),
            "board": x.board,
            "county_code": r["county_code"],
            "county_name": r["county_name"],
        }
        row.update(indicator_cells(r, shown))
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
            "field": "county_name",
            "headerName": "县区",
            "pinned": "left",
            "width": 110,
            "cellClass": "town-link",
            "headerTooltip": "点击县区名称打开该县区的总览(乡镇排名)",
        },
        *[
            {
                **column,
                "sort": ("asc" if ascending else "desc") if column["field"] == rank_by else None,
            }
            for column in indicator_columns(shown)
        ],
    ]
    valued = sum(1 for x in ranked if x.rank is not None)
    boards = ranking.BOARD_SIZE * 2
    note = (
        f"{len(ranked)} 个县区;红黑榜规则与乡镇相同:"
        f"有数据的县区多于 {boards} 个时,前 {ranking.BOARD_SIZE} 名为红榜、"
        f"后 {ranking.BOARD_SIZE} 名为黑榜"
        + (f"(本期 {valued} 个,不设红黑榜)" if valued <= boards else "")
        + "。点击县区名称查看其乡镇排名,点击数字查看明细。"
    )
    return columns, rows, note


@callback(
    Output(Ids.DRILL, "href"),
    Input(Ids.RANKING, "cellClicked"),
    Input(Shell.URL, "search"),
    prevent_initial_call=True,
)
def drill_from_ranking(cell, query):
    """A county's name opens its 总览 (towns ranked); a figure the rows behind it."""
    if not cell or dash.ctx.triggered_id != Ids.RANKING:
        return no_update
    column = cell.get("colId")
    county = cell.get("rowId")
    if not isinstance(county, str) or not county.isdigit() or len(county) != 6:
        return no_update
    filters = Filters.from_query(query)
    if column == "county_name":
        return county_href(filters, county)
    if column not in INDICATORS or column == "outside_system_depts":
        column = "cases"
    return rows_href(county_filters(filters, county), column)


def county_filters(filters: Filters, county: str) -> Filters:
    """The view narrowed to one county (its towns chosen before are dropped)."""
    return Filters(
        filters.period, filters.date_from, filters.date_to, (), filters.depts, counties=(county,)
    )


clientside_callback(
    ClientsideFunction(namespace="pulse", function_name="valueToUrl"),
    Output(Shell.URL, "search", allow_duplicate=True),
    Input(Ids.RANK_BY, "value"),
    State(Ids.URL_KEY, "data"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
