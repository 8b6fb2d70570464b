"""12345 热线: volume by request type and topic, on-time, satisfaction and resolution rates,
overdue open tickets, repeat callers and the towns side by side. Every count opens its
tickets: the KPIs and the town table in 明细, the bars and 解决率 in the 工单明细 panel below
them. Callers are shown only by a short code of their hashed number, never a phone number.

Definitions of the page's own figures: 解决率 in dashboard/queries/hotline__resolution.sql,
重复来电 by repeat_calls() in etl/sql/rollups/01_daily.sql."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
import polars as pl
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.components.context import View, page_callback
from dashboard.components.figures import PALETTE, base_layout, plain
from dashboard.components.format import fmt
from dashboard.components.kpi import kpi_card
from dashboard.components.panels import (
    indicator_cells,
    indicator_columns,
    kpi_row,
    list_height,
    record_list,
)
from dashboard.components.tables import data_grid, section_header
from dashboard.domain import lateness
from dashboard.domain.hotline import REPEAT_WINDOW_DAYS, county_resolution, query_params
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.periods import Period
from dashboard.drill import rows_href, town_href
from dashboard.errors import BadRequest
from dashboard.filters import Filters

dash.register_page(
    __name__, path="/hotline", name="12345热线", title="12345热线 · 政务服务效能看板", order=40
)

SHOWN_CALLERS = 500  # the callers table lists the most repeated; the KPI counts them all
ID_WIDTHS = {"case_id": 230, "ticket_id": 180, "eval_id": 180}  # long numbers, shown whole
PANEL_ROWS = 200  # tickets listed in the panel; its count covers them all
LIST_ROWS = 500
KPIS = (
    "hotline_tickets",
    "hotline_on_time_rate",
    "hotline_satisfaction_rate",
    "hotline_resolution_rate",
    "hotline_overdue_open",
    "hotline_repeat_callers",
)
TOWN_COLUMNS = (
    "hotline_tickets",
    "hotline_on_time_rate",
    "hotline_satisfaction_rate",
    "hotline_resolution_rate",
    "hotline_overdue_open",
)
TICKET_FIELDS = (
    "ticket_id",
    "town_name",
    "dept_name",
    "request_type",
    "topic",
    "received_at",
    "due_at",
    "completed_at",
    "status",
    "resolved",
    "satisfaction",
)


class Ids:
    DRILL = "hotline-drill"
    KPIS = "hotline-kpis"
    KPI_PANEL = "hotline-kpi-panel"  # pattern-matching: {"type": KPI_PANEL, "index": indicator}
    BY_TYPE = "hotline-by-type"
    BY_TOPIC = "hotline-by-topic"
    SELECTION = "hotline-selection"  # dcc.Store: what the 工单明细 panel lists
    PANEL = "hotline-panel"
    TOWNS = "hotline-towns"
    OVERDUE_HEAD = "hotline-overdue-head"
    OVERDUE = "hotline-overdue"
    REPEAT_HEAD = "hotline-repeat-head"
    CALLERS = "hotline-callers"
    CALLER_TICKETS = "hotline-caller-tickets"


# --- layout -------------------------------------------------------------------------------


def layout(**_query) -> html.Div:
    graph = {"displaylogo": False, "displayModeBar": False}
    return html.Div(
        [
            dcc.Location(id=Ids.DRILL, refresh="callback-nav"),
            dcc.Store(id=Ids.SELECTION),
            html.H3("12345 热线", className="mb-3"),
            dbc.Row(id=Ids.KPIS, className="g-3 mb-4 row-cols-2 row-cols-md-3 row-cols-xl-6"),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=Ids.BY_TYPE, config=graph), lg=5),
                    dbc.Col(dcc.Graph(id=Ids.BY_TOPIC, config=graph), lg=7),
                ],
                className="mb-2",
            ),
            html.Div(id=Ids.PANEL, className="mb-4"),
            section_header("各乡镇", "点击数字查看其工单。"),
            data_grid(Ids.TOWNS, "params.data.town_code", auto_height=True),
            html.Div(id=Ids.OVERDUE_HEAD),
            data_grid(Ids.OVERDUE, "params.data.ticket_id", height="360px"),
            html.Div(id=Ids.REPEAT_HEAD),
            data_grid(Ids.CALLERS, "params.data.caller", height="320px"),
            html.Div(id=Ids.CALLER_TICKETS),
        ]
    )


# --- queries: the page's figures ------------------------------------------------------------


def params(view: View, period: Period | None = None, **extra) -> dict:
    """The page's query parameters: the view's, the repeat-call window, no caller chosen."""
    return view.params(period, **query_params(**extra))


def resolution(view: View, period: Period | None = None) -> pl.DataFrame:
    """解决率 per town (hotline__resolution.sql)."""
    return view.store.query("hotline__resolution", scope=view.scope, **params(view, period))


def repeat_count(view: View, period: Period | None = None) -> dict:
    """重复来电人数 and 重复来电 of the period (hotline__repeat_count.sql)."""
    frame = view.store.query("hotline__repeat_count", scope=view.scope, **params(view, period))
    return frame.row(0, named=True)


def repeat_tickets(view: View, caller: str = "") -> pl.DataFrame:
    """The tickets of the period's repeat callers, or of the one whose hash starts with
    `caller` (hotline__repeat_tickets.sql)."""
    values = params(view, caller=caller)
    return view.store.query("hotline__repeat_tickets", scope=view.scope, **values)


def repeat_callers(tickets: pl.DataFrame) -> pl.DataFrame:
    """One row per repeat caller: a short code of the hash (never the number), the calls in
    the period, how many of them are repeats, first and last call, towns and topics."""
    if tickets.height == 0:
        return pl.DataFrame(
            schema={
                "caller": pl.String,
                "caller_hash": pl.String,
                "calls": pl.UInt32,
                "repeat_calls": pl.UInt32,
                "first_at": pl.Datetime,
                "last_at": pl.Datetime,
                "towns": pl.String,
                "topics": pl.String,
            }
        )
    return (
        tickets.filter(pl.col("in_period"))
        .group_by("caller_hash")
        .agg(
            pl.len().alias("calls"),
            pl.col("is_repeat").sum().cast(pl.UInt32).alias("repeat_calls"),
            pl.col("received_at").min().alias("first_at"),
            pl.col("received_at").max().alias("last_at"),
            pl.col("town_name").unique().sort().str.join("、").alias("towns"),
            pl.col("topic").unique().sort().str.join("、").alias("topics"),
        )
        .with_columns(caller_code(pl.col("caller_hash")).alias("caller"))
        .sort(["repeat_calls", "last_at", "caller_hash"], descending=[True, True, False])
        .select("caller", "caller_hash", pl.exclude("caller", "caller_hash"))
    )


CALLER_LABEL = "来电人 "


def caller_code(hashed: pl.Expr) -> pl.Expr:
    """A short, stable code for a caller: the first 8 letters of the keyed hash (the hash is
    written in letters, so it never looks like a phone number)."""
    return pl.lit(CALLER_LABEL) + hashed.str.slice(0, 8)


# --- KPIs -----------------------------------------------------------------------------------


@page_callback(Output(Ids.KPIS, "children"))
def show_kpis(view: View):
    values = []
    for p in (view.spans.current, view.spans.previous):
        row = view.metrics("county", period=p, flags=False).row(0, named=True)
        row["hotline_resolution_rate"] = county_resolution(resolution(view, p))
        row.update(repeat_count(view, p))
        values.append(row)
    now, before = values

    def card(k, value, moved):
        drawn = kpi_card(k, value, moved, card_id=f"kpi-{k}", label=view.spans.label)
        if k == "hotline_resolution_rate":  # its tickets open in the panel below
            return html.Div(
                drawn,
                id={"type": Ids.KPI_PANEL, "index": k},
                n_clicks=0,
                className="h-100 clickable",
                title="点击查看计入解决率的工单",
            )
        if k == "hotline_repeat_callers":  # its tickets are listed further down the page
            return html.A(
                drawn,
                href=f"#{Ids.REPEAT_HEAD}",
                className="text-reset text-decoration-none d-block h-100",
            )
        return None

    return kpi_row(view, KPIS, now, before, card=card)


# --- volume by request type and topic --------------------------------------------------------


@page_callback(Output(Ids.BY_TYPE, "figure"), Output(Ids.BY_TOPIC, "figure"))
def show_volume(view: View):
    by_type = view.query("hotline__by_type")
    by_topic = view.query("hotline__by_topic")
    return (
        volume_bars(by_type, "request_type", "按诉求类型(点击查看工单)", PALETTE[0]),
        volume_bars(by_topic, "topic", "按一级分类(点击查看工单)", PALETTE[2]),
    )


def volume_bars(frame: pl.DataFrame, column: str, title: str, color: str) -> go.Figure:
    """Horizontal bars, largest on top, each labelled with its count."""
    data = frame.sort("tickets")
    fig = go.Figure(
        go.Bar(
            x=data["tickets"].to_list(),
            y=plain(data[column].to_list()),
            customdata=data[column].to_list(),  # the value itself, for a click
            orientation="h",
            marker_color=color,
            text=[fmt("hotline_tickets", v) for v in data["tickets"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,} 件<extra></extra>",
        )
    )
    top = max(data["tickets"].max() or 0, 1) if data.height else 1
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        xaxis={"title": "工单量", "range": [0, top * 1.15]},
        yaxis={"automargin": True},
    )
    return base_layout(fig, height=max(260, 60 + 34 * frame.height))


# --- the 工单明细 panel ------------------------------------------------------------------------


def _clicked(click: dict) -> str:
    """The category of a clicked bar (its raw value, carried as customdata)."""
    point = (click.get("points") or [{}])[0]
    value = point.get("customdata", point.get("y"))
    if not isinstance(value, str) or len(value) > 200:
        raise BadRequest("点击的数据无效")
    return value


@callback(
    Output(Ids.SELECTION, "data"),
    Input(Ids.BY_TYPE, "clickData"),
    Input(Ids.BY_TOPIC, "clickData"),
    Input({"type": Ids.KPI_PANEL, "index": ALL}, "n_clicks"),
    Input(Ids.TOWNS, "cellClicked"),
    prevent_initial_call=True,
)
def select_tickets(type_click, topic_click, _kpi_clicks, cell):
    """What the panel lists: a bar's tickets, or the tickets 解决率 counts (county or town)."""
    trigger = dash.ctx.triggered_id
    if trigger == Ids.BY_TYPE and type_click:
        return {"request_type": _clicked(type_click)}
    if trigger == Ids.BY_TOPIC and topic_click:
        return {"topic": _clicked(topic_click)}
    if isinstance(trigger, dict) and any(_kpi_clicks or ()):
        return {"resolution_known": True}
    if trigger == Ids.TOWNS and cell and cell.get("colId") == "hotline_resolution_rate":
        return {"resolution_known": True, "town": cell.get("rowId")}
    return no_update


@callback(
    Output(Ids.PANEL, "children"),
    Input(Ids.SELECTION, "data"),
    Input(Shell.URL, "search"),
)
def show_panel(selection, query):
    if query is None:
        return no_update
    if not selection:
        return html.Div("点击上方图表的柱子或「12345解决率」,在此列出其工单。", className="hint")
    if not isinstance(selection, dict) or not all(
        isinstance(selection.get(k), str | None) for k in ("request_type", "topic", "town")
    ):
        raise BadRequest("选择的数据无效")
    view = View.from_search(query)
    frame = view.store.query(
        "hotline__tickets",
        scope=view.scope,
        **params(
            view,
            request_type=selection.get("request_type"),
            topic=selection.get("topic"),
            town=selection.get("town"),
            resolution_known=bool(selection.get("resolution_known")),
            limit=PANEL_ROWS,
        ),
    )
    total = int(frame["total"][0]) if frame.height else 0
    title = panel_title(selection, frame)
    note = f"共 {total:,} 件" + (f",下表显示最近 {PANEL_ROWS} 件" if total > PANEL_ROWS else "")
    if selection.get("resolution_known"):
        resolved = int(frame["resolved"].sum()) if frame.height else 0
        if total <= PANEL_ROWS:
            note += f",其中已解决 {resolved:,} 件"
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Strong(f"工单明细 · {title}"),
                    html.Span(f"  {note}", className="text-muted", id=f"{Ids.PANEL}-count"),
                ]
            ),
            dbc.CardBody(
                record_list(f"{Ids.PANEL}-grid", frame.select(TICKET_FIELDS), "ticket_id", "320px")
            ),
        ]
    )


def panel_title(selection: dict, frame: pl.DataFrame) -> str:
    if selection.get("request_type"):
        return f"诉求类型:{selection['request_type']}"
    if selection.get("topic"):
        return f"一级分类:{selection['topic']}"
    town = frame["town_name"][0] if selection.get("town") and frame.height else "全部乡镇"
    return f"计入解决率的工单({town};已填是否解决)"


# --- by town --------------------------------------------------------------------------------


@page_callback(Output(Ids.TOWNS, "columnDefs"), Output(Ids.TOWNS, "rowData"))
def show_towns(view: View):
    frame = view.metrics("town", flags=False)
    rates = resolution(view).select("town_code", "hotline_resolution_rate")
    frame = frame.join(rates, on="town_code", how="left")
    columns = [
        {
            "field": "town_name",
            "headerName": labels.PAGE_FIELDS["town_name"],
            "pinned": "left",
            "cellClass": "town-link",
        },
        *indicator_columns(TOWN_COLUMNS),
    ]
    rows = [
        {
            "town_code": r["town_code"],
            "town_name": r["town_name"],
            **indicator_cells(r, TOWN_COLUMNS),
        }
        for r in frame.sort("hotline_tickets", descending=True).iter_rows(named=True)
    ]
    return columns, rows


@callback(
    Output(Ids.DRILL, "href"),
    Input(Ids.TOWNS, "cellClicked"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def drill_from_towns(cell, query):
    """A town's count or rate opens its tickets in 明细 (解决率: the panel above)."""
    column = (cell or {}).get("colId")
    town = (cell or {}).get("rowId")
    if not isinstance(town, str) or not town or query is None:
        return no_update
    if column == "hotline_resolution_rate":
        return no_update
    if column == "town_name":  # a town's name opens its own page
        return town_href(Filters.from_query(query), town)
    if column not in TOWN_COLUMNS:
        column = "hotline_tickets"
    return rows_href(Filters.from_query(query), column, town=town)


# --- overdue open tickets -------------------------------------------------------------------


@page_callback(
    Output(Ids.OVERDUE_HEAD, "children"),
    Output(Ids.OVERDUE, "columnDefs"),
    Output(Ids.OVERDUE, "rowData"),
    Output(Ids.OVERDUE, "style"),
)
def show_overdue(view: View):
    rows = view.rows("hotline_overdue_open")
    towns = view.store.query("shell__towns", scope=view.scope)
    late = lateness.with_lateness(
        view.store, rows.join(towns, on="town_code", how="left"), view.as_of, deadline="due_at"
    ).sort("late_hours", descending=True)
    shown = late.head(LIST_ROWS).select(
        "ticket_id",
        "town_name",
        "dept_name",
        "request_type",
        "topic",
        "received_at",
        "due_at",
        "status",
        "late_workdays",
        "late_hours",
    )
    head = section_header(
        indicator_label("hotline_overdue_open"),
        f"共 {rows.height:,} 件,超期最久的在前"
        + (f"(列出前 {LIST_ROWS} 件)" if rows.height > LIST_ROWS else ""),
        dcc.Link(
            "在明细中查看全部 →",
            href=view.href("hotline_overdue_open"),
            id="hotline-overdue-rows",
        ),
    )
    grid = record_list(Ids.OVERDUE, shown, "ticket_id", "320px")
    columns = grid.columnDefs
    for column in columns[-2:]:
        column.update(type="rightAligned", cellClass="rag-red")
    return head, columns, grid.rowData, list_height(shown.height)


# --- repeat callers -------------------------------------------------------------------------


@page_callback(
    Output(Ids.REPEAT_HEAD, "children"),
    Output(Ids.CALLERS, "columnDefs"),
    Output(Ids.CALLERS, "rowData"),
    Output(Ids.CALLERS, "style"),
)
def show_repeat_callers(view: View):
    callers = repeat_callers(repeat_tickets(view))
    calls = int(callers["repeat_calls"].sum()) if callers.height else 0
    listed = f"按重复次数列出前 {SHOWN_CALLERS:,} 人。" if callers.height > SHOWN_CALLERS else ""
    head = section_header(
        "重复来电",
        f"同一来电人(号码加密后比对){REPEAT_WINDOW_DAYS} 天内就同一乡镇再次来电:"
        f"本期 {callers.height:,} 人、重复来电 {calls:,} 次。{listed}点击一行查看其工单。",
    )
    shown = (
        callers.head(SHOWN_CALLERS)
        .drop("caller_hash")
        .with_columns(pl.col("first_at", "last_at").dt.strftime("%Y-%m-%d %H:%M"))
    )
    columns = [
        {"field": c, "headerName": labels.PAGE_FIELDS[c], "minWidth": 100} for c in shown.columns
    ]
    columns[0]["pinned"] = "left"
    return head, columns, shown.to_dicts(), list_height(shown.height, most=320)


@callback(
    Output(Ids.CALLER_TICKETS, "children"),
    Input(Ids.CALLERS, "cellClicked"),
    Input(Shell.URL, "search"),
)
def show_caller_tickets(cell, query):
    """One repeat caller's tickets (the earlier calls within the window included)."""
    if query is None or dash.ctx.triggered_id != Ids.CALLERS or not (cell or {}).get("rowId"):
        return html.Div("点击左侧一位来电人,在此列出其工单。", className="hint")
    if not isinstance(cell["rowId"], str) or len(cell["rowId"]) > 40:
        raise BadRequest("点击的数据无效")
    hashed = cell["rowId"].removeprefix(CALLER_LABEL)
    mine = repeat_tickets(View.from_search(query), caller=hashed)
    shown = mine.select(
        "ticket_id",
        "received_at",
        "previous_at",
        "town_name",
        "dept_name",
        "request_type",
        "topic",
        "status",
        "resolved",
        "satisfaction",
        "in_period",
        "is_repeat",
    )
    return html.Div(
        [
            html.Div(
                f"{cell['rowId']} 的工单 {mine.height} 件", className="fw-bold mb-1 caller-head"
            ),
            record_list(f"{Ids.CALLER_TICKETS}-grid", shown, "ticket_id", "320px"),
        ]
    )
