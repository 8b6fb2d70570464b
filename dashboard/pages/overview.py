"""总览: county KPIs against the previous period and the targets, the town ranking with
红黑榜, and trends by week and month. Every figure links to the rows behind it."""

from __future__ import annotations

from datetime import timedelta

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from dashboard.app import Ids as Shell
from dashboard.components.figures import trend
from dashboard.components.format import fmt, status
from dashboard.components.kpi import kpi_card
from dashboard.domain import indicators, ranking
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.metrics import INDICATORS, default_as_of, metrics
from dashboard.drill import rows_href
from dashboard.filters import Filters
from dashboard.store import default_store

dash.register_page(__name__, path="/", name="总览", title="总览 · 政务服务效能看板", order=0)

KPIS = (
    "cases",
    "online_rate",
    "satisfaction_rate",
    "evaluation_rate",
    "on_time_rate",
    "overdue_open",
    "warning_open",
    "hotline_satisfaction_rate",
    "rectify_rate",
)
RANK_CHOICES = (
    "online_rate",
    "satisfaction_rate",
    "on_time_rate",
    "evaluation_rate",
    "rectify_rate",
    "hotline_satisfaction_rate",
    "cases",
    "overdue_open",
)


class Ids:
    KPIS = "overview-kpis"
    RANK_BY = "overview-rank-by"
    RANKING = "overview-ranking"
    TREND_MONTH = "overview-trend-month"
    TREND_WEEK = "overview-trend-week"
    DRILL = "overview-drill"


def layout(**_query) -> html.Div:
    return html.Div(
        [
            dcc.Location(id=Ids.DRILL, refresh="callback-nav"),
            dbc.Row(id=Ids.KPIS, className="g-3 mb-4 row-cols-2 row-cols-md-3 row-cols-xl-5"),
            dbc.Row(
                [
                    dbc.Col(html.H4("乡镇排名 · 红黑榜", className="mb-0"), md="auto"),
                    dbc.Col(
                        dcc.Dropdown(
                            id=Ids.RANK_BY,
                            clearable=False,
                            value="online_rate",
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


@callback(Output(Ids.KPIS, "children"), Input(Shell.URL, "search"))
def show_kpis(query):
    if query is None:
        return no_update
    f = Filters.from_query(query)
    store = default_store()
    as_of = default_as_of(store)
    period = f.resolve(as_of)
    prev = period.previous()
    now = metrics(
        store,
        period.start,
        period.end,
        as_of,
        by="county",
        scope=f.scope(),
        depts=f.depts,
        flags=False,
    ).row(0, named=True)
    before = metrics(
        store,
        prev.start,
        prev.end,
        as_of,
        by="county",
        scope=f.scope(),
        depts=f.depts,
        flags=False,
    ).row(0, named=True)
    return [dbc.Col(kpi_card(k, now[k], before[k], href=rows_href(f, k))) for k in KPIS]


@callback(
    Output(Ids.RANKING, "columnDefs"),
    Output(Ids.RANKING, "rowData"),
    Input(Shell.URL, "search"),
    Input(Ids.RANK_BY, "value"),
)
def show_ranking(query, rank_by):
    if query is None:
        return no_update, no_update
    f = Filters.from_query(query)
    store = default_store()
    as_of = default_as_of(store)
    period = f.resolve(as_of)
    # the ranking is published: a town official sees every town's figures here, as in a 通报
    frame = metrics(
        store,
        period.start,
        period.end,
        as_of,
        by="town",
        scope=f.scope(),
        depts=f.depts,
        published=True,
    )
    shown = [c for c in INDICATORS if c not in ("online_cases", "outside_system_depts")]
    ascending = indicators.get(rank_by).better == "lower"
    rows = []
    for x in ranking.rank(frame, rank_by):
        r = x.row
        row = {
            "rank": x.rank,
            "board": x.board,
            "town_code": r["town_code"],
            "town_name": r["town_name"],
        }
        for c in shown:
            row[c] = r[c]
            row[f"{c}__text"] = fmt(c, r[c])
            row[f"{c}__status"] = status(c, r[c])
        row["outside_system_depts"] = r["outside_system_depts"] or ""
        rows.append(row)
    columns = [
        {"field": "rank", "headerName": "名次", "width": 70, "pinned": "left"},
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
        {"field": "town_name", "headerName": "乡镇", "pinned": "left", "width": 110},
        *[
            {
                "field": c,
                "headerName": indicator_label(c),
                "valueFormatter": {"function": f"params.data['{c}__text']"},
                "cellClassRules": {
                    "rag-red": f"params.data['{c}__status'] == 'red'",
                    "rag-amber": f"params.data['{c}__status'] == 'amber'",
                    "rag-green": f"params.data['{c}__status'] == 'green'",
                },
                "sort": ("asc" if ascending else "desc") if c == rank_by else None,
                "type": "rightAligned",
            }
            for c in shown
        ],
        {"field": "outside_system_depts", "headerName": indicator_label("outside_system_depts")},
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
    if column not in INDICATORS or column == "outside_system_depts":
        column = "cases"
    town = cell.get("rowId")
    if not town:
        return no_update
    return rows_href(Filters.from_query(query), column, town=town)


@callback(
    Output(Ids.TREND_MONTH, "figure"),
    Output(Ids.TREND_WEEK, "figure"),
    Input(Shell.URL, "search"),
)
def show_trends(query):
    if query is None:
        return no_update, no_update
    f = Filters.from_query(query)
    store = default_store()
    as_of = default_as_of(store)
    end = as_of.date()
    month_start = (end.replace(day=1) - timedelta(days=335)).replace(day=1)
    week_start = end - timedelta(days=end.weekday()) - timedelta(weeks=11)
    shown = ["cases", "online_rate", "satisfaction_rate", "on_time_rate"]
    monthly = metrics(
        store,
        month_start,
        end,
        as_of,
        by="county",
        scope=f.scope(),
        depts=f.depts,
        bucket="month",
        flags=False,
    )
    weekly = metrics(
        store,
        week_start,
        end,
        as_of,
        by="county",
        scope=f.scope(),
        depts=f.depts,
        bucket="week",
        flags=False,
    )
    return (trend(monthly, shown, "近12个月趋势(按月)"), trend(weekly, shown, "近12周趋势(按周)"))
