"""好差评: rating distribution and channels, bad reviews with their rectification state,
rectification overdue, and towns and departments side by side — 评价率 always next to
满意度 (contract §7: a window that leaves its rating device unused has a high 满意度 on few
ratings). The KPIs and the tables open their rows in 明细; the bars open the 评价明细 panel."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
import polars as pl
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.components.context import View, page_callback
from dashboard.components.figures import base_layout, plain
from dashboard.components.format import fmt
from dashboard.components.panels import (
    indicator_cells,
    indicator_columns,
    kpi_row,
    list_height,
    record_list,
)
from dashboard.components.tables import data_grid, section_header
from dashboard.domain import lateness
from dashboard.domain.indicators import label as indicator_label
from dashboard.drill import rows_href, town_href
from dashboard.errors import BadRequest
from dashboard.filters import Filters

dash.register_page(
    __name__, path="/evaluations", name="好差评", title="好差评 · 政务服务效能看板", order=50
)

KPIS = (
    "evaluations",
    "satisfaction_rate",
    "evaluation_rate",
    "bad_reviews",
    "rectify_rate",
    "rectify_overdue",
)
TABLE_COLUMNS = (
    "evaluations",
    "satisfaction_rate",
    "evaluation_rate",
    "completed",
    "bad_reviews",
    "rectify_rate",
    "rectify_overdue",
)
RATING_COLORS = {5: "#1e9e5a", 4: "#6cc08b", 3: "#b5d99c", 2: "#f0a35e", 1: "#d64541"}
STATE_COLORS = {"已整改": "success", "整改中": "warning", "未整改": "danger"}
ID_WIDTHS = {"case_id": 230, "ticket_id": 180, "eval_id": 180}  # long numbers, shown whole
PANEL_ROWS = 200
LIST_ROWS = 500
EVAL_FIELDS = (
    "eval_id",
    "case_id",
    "town_name",
    "dept_name",
    "eval_channel",
    "rated_at",
    "rating",
    "rectify_status",
    "rectify_deadline_at",
    "rectified_at",
)


class Ids:
    DRILL = "evaluations-drill"
    KPIS = "evaluations-kpis"
    RATINGS = "evaluations-ratings"
    CHANNELS = "evaluations-channels"
    PANEL = "evaluations-panel"
    STATES = "evaluations-states"
    STATE = "evaluations-state"  # radio: which rectification state the bad-review list shows
    BAD = "evaluations-bad"
    BAD_HEAD = "evaluations-bad-head"
    OVERDUE_HEAD = "evaluations-overdue-head"
    OVERDUE = "evaluations-overdue"
    TOWNS = "evaluations-towns"
    DEPTS = "evaluations-depts"


# --- layout -------------------------------------------------------------------------------


def layout(**_query) -> html.Div:
    graph = {"displaylogo": False, "displayModeBar": False}
    return html.Div(
        [
            dcc.Location(id=Ids.DRILL, refresh="callback-nav"),
            html.H3("好差评", className="mb-3"),
            dbc.Row(id=Ids.KPIS, className="g-3 mb-4 row-cols-2 row-cols-md-3 row-cols-xl-6"),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=Ids.RATINGS, config=graph), lg=5),
                    dbc.Col(dcc.Graph(id=Ids.CHANNELS, config=graph), lg=7),
                ],
                className="mb-2",
            ),
            html.Div(id=Ids.PANEL, className="mb-4"),
            html.Div(id=Ids.BAD_HEAD),
            dbc.RadioItems(
                id=Ids.STATE,
                inline=True,
                value="",
                options=[{"label": "全部", "value": ""}],
                className="mb-2",
            ),
            html.Div(id=Ids.STATES),
            data_grid(Ids.BAD, "params.data.eval_id", height="360px"),
            html.Div(id=Ids.OVERDUE_HEAD),
            data_grid(Ids.OVERDUE, "params.data.eval_id", height="360px"),
            section_header("各乡镇", "评价率与满意度并列;点击数字查看其明细。"),
            data_grid(Ids.TOWNS, "params.data.town_code", auto_height=True),
            section_header("各部门", "各乡镇窗口部门;点击数字查看其明细。"),
            data_grid(Ids.DEPTS, "params.data.key", height="420px"),
        ]
    )


def ratings(view: View) -> pl.DataFrame:
    """Evaluations by rating and channel (evaluations__ratings.sql, from the rollup)."""
    return view.query("evaluations__ratings")


# --- KPIs -----------------------------------------------------------------------------------


@page_callback(Output(Ids.KPIS, "children"))
def show_kpis(view: View):
    return kpi_row(view, KPIS)


# --- rating distribution and channels --------------------------------------------------------


@page_callback(Output(Ids.RATINGS, "figure"), Output(Ids.CHANNELS, "figure"))
def show_ratings(view: View):
    frame = ratings(view)
    return rating_bars(frame), channel_bars(frame)


def rating_bars(frame: pl.DataFrame) -> go.Figure:
    """One bar per rating level, 非常满意 first; share of all evaluations in the hover."""
    by_rating = frame.group_by("rating").agg(pl.col("evaluations").sum())
    counts = dict(by_rating.iter_rows())
    total = sum(counts.values())
    levels = sorted(labels.RATINGS, reverse=True)
    values = [counts.get(r, 0) for r in levels]
    fig = go.Figure(
        go.Bar(
            x=[labels.RATINGS[r] for r in levels],
            y=values,
            customdata=levels,
            marker_color=[RATING_COLORS[r] for r in levels],
            text=[
                f"{v:,}<br>{v / total * 100:.1f}%" if total else fmt("evaluations", v)
                for v in values
            ],
            textposition="auto",
            hovertemplate="%{x}: %{y:,} 条<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": "评价等级分布(点击查看评价)", "x": 0, "font": {"size": 15}},
        yaxis={"title": "评价数"},
    )
    return base_layout(fig, height=340)


def channel_bars(frame: pl.DataFrame) -> go.Figure:
    """Evaluations per channel, stacked by rating level."""
    channels = (
        frame.group_by("eval_channel")
        .agg(pl.col("evaluations").sum())
        .sort("evaluations", descending=True)["eval_channel"]
        .to_list()
    )
    fig = go.Figure()
    for rating in sorted(labels.RATINGS, reverse=True):
        part = dict(
            frame.filter(pl.col("rating") == rating).select("eval_channel", "evaluations").rows()
        )
        fig.add_trace(
            go.Bar(
                x=plain(channels),
                y=[part.get(c, 0) for c in channels],
                name=labels.RATINGS[rating],
                customdata=[rating] * len(channels),
                marker_color=RATING_COLORS[rating],
                hovertemplate="%{x} · %{fullData.name}: %{y:,} 条<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title={"text": "评价渠道(点击查看评价)", "x": 0, "font": {"size": 15}},
        yaxis={"title": "评价数"},
    )
    base_layout(fig, height=340)
    fig.update_layout(legend={"traceorder": "normal"})
    return fig


@callback(
    Output(Ids.PANEL, "children"),
    Input(Ids.RATINGS, "clickData"),
    Input(Ids.CHANNELS, "clickData"),
    Input(Shell.URL, "search"),
)
def show_panel(rating_click, channel_click, query):
    """The evaluations behind a clicked bar (a rating, or a channel's rating level)."""
    trigger = dash.ctx.triggered_id
    if query is None or trigger not in (Ids.RATINGS, Ids.CHANNELS):
        return html.Div("点击上方图表的柱子,在此列出其评价。", className="hint")
    point = ((rating_click if trigger == Ids.RATINGS else channel_click) or {}).get("points")
    if not point:
        return no_update
    point = point[0]
    try:
        rating, total = int(point["customdata"]), int(point["y"])
    except (KeyError, TypeError, ValueError, OverflowError):
        raise BadRequest("点击的数据无效") from None
    channel = point.get("x") if trigger == Ids.CHANNELS else None
    if rating not in labels.RATINGS or not (channel is None or isinstance(channel, str)):
        raise BadRequest("点击的数据无效")
    frame = View.from_search(query).query(
        "evaluations__rows", rating=rating, eval_channel=channel, limit=PANEL_ROWS
    )
    # total: the bar's figure (rollup); the rows are its newest ones
    title = " · ".join(x for x in (channel, labels.RATINGS[rating]) if x)
    note = f"共 {total:,} 条" + (f",下表显示最近 {PANEL_ROWS} 条" if total > PANEL_ROWS else "")
    shown = frame.select(
        "eval_id",
        "case_id",
        "town_name",
        "dept_name",
        "eval_channel",
        "rated_at",
        "rating",
        "rectify_status",
        "rectified_at",
    )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Strong(f"评价明细 · {title}"),
                    html.Span(f"  {note}", className="text-muted", id=f"{Ids.PANEL}-count"),
                ]
            ),
            dbc.CardBody(record_list(f"{Ids.PANEL}-grid", shown, "eval_id", "320px")),
        ]
    )


# --- bad reviews and their rectification ----------------------------------------------------


@page_callback(
    Output(Ids.BAD_HEAD, "children"), Output(Ids.STATE, "options"), Output(Ids.STATES, "children")
)
def show_rectify_states(view: View):
    states = view.query("evaluations__rectify_states")
    total = int(states["bad_reviews"].sum()) if states.height else 0
    head = section_header(
        "差评及整改",
        f"本期差评 {total:,} 条(不满意、非常不满意);未整改的排在前面。",
        dcc.Link("在明细中查看全部 →", href=view.href("bad_reviews"), id="evaluations-bad-rows"),
    )
    options = [{"label": f"全部({total:,})", "value": ""}] + [
        {"label": f"{s}({n:,})", "value": s}
        for s, n in states.select("rectify_status", "bad_reviews").rows()
    ]
    bar = rectify_bar(states, total)
    return head, options, bar


def rectify_bar(states: pl.DataFrame, total: int) -> dbc.Progress | None:
    """One stacked bar: the share of bad reviews in each rectification state."""
    if not total:
        return None
    return dbc.Progress(
        [
            dbc.Progress(
                value=n / total * 100,
                label=f"{s} {n / total * 100:.0f}%",
                color=STATE_COLORS.get(s, "secondary"),
                bar=True,
            )
            for s, n in states.select("rectify_status", "bad_reviews").rows()
        ],
        className="mb-2 rectify-bar",
        style={"height": "22px"},
    )


@page_callback(
    Output(Ids.BAD, "columnDefs"),
    Output(Ids.BAD, "rowData"),
    Output(Ids.BAD, "style"),
    Input(Ids.STATE, "value"),
)
def show_bad_reviews(view: View, state):
    """The period's bad reviews (rows_behind 'bad_reviews'), not yet rectified first; the
    ones past their rectification deadline marked."""
    if not isinstance(state, str | None):
        raise BadRequest("整改状态无效")
    bad = _rows(view, "bad_reviews")
    overdue = set(_rows(view, "rectify_overdue")["eval_id"].to_list())
    if state:
        bad = bad.filter(pl.col("rectify_status").fill_null("未填写") == state)
    ordered = (
        bad.with_columns(
            (pl.col("rectify_status") == "已整改").fill_null(False).alias("_done"),
            pl.col("eval_id").is_in(list(overdue)).alias("rectify_overdue"),
        )
        .sort(["_done", "rated_at"], descending=[False, False])
        .head(LIST_ROWS)
    )
    shown = ordered.select(*EVAL_FIELDS, "rectify_overdue").with_columns(
        pl.col("rectify_overdue").replace_strict(
            {True: "超期", False: ""}, default="", return_dtype=pl.String
        )
    )
    grid = record_list(Ids.BAD, shown, "eval_id", "320px")
    columns = grid.columnDefs
    columns[-1]["cellClass"] = "rag-red"
    for c in columns:
        if c["field"] == "rectify_status":
            c["cellClassRules"] = {
                "rag-red": "params.value == '未整改'",
                "rag-amber": "params.value == '整改中'",
                "rag-green": "params.value == '已整改'",
            }
    rows = grid.rowData
    # county staff open a rectification item for a review not yet rectified, from its row
    links = [
        None
        if r["rectify_status"] == "已整改"
        else view.ledger_href(
            "review",
            f"差评未整改:评价 {r['eval_id']}({r['town_name']} {r['dept_name']},"
            f"{str(r['rated_at'])[:10]})",
            town=r["town_code"],
            dept=r["dept_name"],
            indicator="bad_reviews",
            ref=r["eval_id"],
        )
        for r in ordered.iter_rows(named=True)
    ]
    if any(links):
        for row, href in zip(rows, links, strict=True):
            row["ledger"] = f"[立项整改]({href})" if href else ""
        columns.append(
            {
                "field": "ledger",
                "headerName": "整改台账",
                "cellRenderer": "markdown",
                "minWidth": 100,
            }
        )
    return columns, rows, list_height(shown.height)


def _rows(view: View, indicator: str) -> pl.DataFrame:
    towns = view.store.query("shell__towns", scope=view.scope)
    return view.rows(indicator).join(towns, on="town_code", how="left")


@page_callback(
    Output(Ids.OVERDUE_HEAD, "children"),
    Output(Ids.OVERDUE, "columnDefs"),
    Output(Ids.OVERDUE, "rowData"),
    Output(Ids.OVERDUE, "style"),
)
def show_rectify_overdue(view: View):
    """Bad reviews past their rectification deadline, the longest overdue first."""
    rows = _rows(view, "rectify_overdue")
    late = lateness.with_lateness(
        view.store, rows, view.as_of, deadline="rectify_deadline_at", until="rectified_at"
    ).sort("late_hours", descending=True)
    shown = late.head(LIST_ROWS).select(*EVAL_FIELDS, "late_workdays")
    head = section_header(
        indicator_label("rectify_overdue"),
        f"共 {rows.height:,} 条:超过整改期限仍未整改,或整改完成晚于期限"
        + (f"(列出前 {LIST_ROWS} 条)" if rows.height > LIST_ROWS else ""),
        dcc.Link(
            "在明细中查看全部 →",
            href=view.href("rectify_overdue"),
            id="evaluations-overdue-rows",
        ),
    )
    grid = record_list(Ids.OVERDUE, shown, "eval_id", "320px")
    columns = grid.columnDefs
    columns[-1].update(headerName="超期(工作日)", type="rightAligned", cellClass="rag-red")
    return head, columns, grid.rowData, list_height(shown.height)


# --- by town and department -----------------------------------------------------------------


@page_callback(
    Output(Ids.TOWNS, "columnDefs"),
    Output(Ids.TOWNS, "rowData"),
    Output(Ids.DEPTS, "columnDefs"),
    Output(Ids.DEPTS, "rowData"),
)
def show_tables(view: View):
    by_town, by_dept = (view.metrics(by, flags=False) for by in ("town", "dept"))
    by_dept = by_dept.filter(pl.col("dept_name").is_not_null() & (pl.col("evaluations") > 0))
    town_rows = [
        {
            "town_code": r["town_code"],
            "town_name": r["town_name"],
            **indicator_cells(r, TABLE_COLUMNS),
        }
        for r in by_town.sort("evaluations", descending=True).iter_rows(named=True)
    ]
    dept_rows = [
        {
            "key": f"{r['town_code']}|{r['dept_name']}",
            "town_name": r["town_name"],
            "dept_name": r["dept_name"],
            **indicator_cells(r, TABLE_COLUMNS),
        }
        for r in by_dept.sort("evaluations", descending=True).iter_rows(named=True)
    ]
    town_cols = [
        {
            "field": "town_name",
            "headerName": labels.PAGE_FIELDS["town_name"],
            "pinned": "left",
            "cellClass": "town-link",
        },
        *indicator_columns(TABLE_COLUMNS),
    ]
    dept_cols = [
        {
            "field": "town_name",
            "headerName": labels.PAGE_FIELDS["town_name"],
            "pinned": "left",
            "cellClass": "town-link",
        },
        {"field": "dept_name", "headerName": labels.PAGE_FIELDS["dept_name"], "pinned": "left"},
        *indicator_columns(TABLE_COLUMNS),
    ]
    return town_cols, town_rows, dept_cols, dept_rows


@callback(
    Output(Ids.DRILL, "href"),
    Input(Ids.TOWNS, "cellClicked"),
    Input(Ids.DEPTS, "cellClicked"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def drill(town_cell, dept_cell, query):
    """A town's or a department's figure opens the rows behind it in 明细."""
    if query is None:
        return no_update
    cell = town_cell if dash.ctx.triggered_id == Ids.TOWNS else dept_cell
    key = (cell or {}).get("rowId")
    if not isinstance(key, str) or not key or len(key) > 200:
        return no_update
    column = cell.get("colId")
    if column not in (*TABLE_COLUMNS, "town_name"):
        column = "evaluations"
    town, _, dept = key.partition("|")
    if column == "town_name":  # a town's name opens its own page
        return town_href(Filters.from_query(query), town)
    return rows_href(Filters.from_query(query), column, town=town, dept=dept or None)
