"""乡镇: one town — its KPIs, its departments (with 体外循环 flags), its service items,
trends, and the cases that are overdue (超期未办结) or about to be (超时预警) with how late
they are. The town is `?town=CODE` in the URL (default: the first town the viewer may see),
so a link reproduces the view and the back button returns to the previous town."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.components.context import View, page_callback
from dashboard.components.figures import trend
from dashboard.components.format import fmt
from dashboard.components.panels import (
    indicator_cells,
    indicator_columns,
    kpi_row,
    ledger_link,
    list_height,
    record_card,
    record_list,
)
from dashboard.components.tables import data_grid, section_header
from dashboard.domain import coverage, lateness, periods, windows
from dashboard.domain.indicators import OPTIONAL
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.metrics import INDICATORS, figures_query
from dashboard.domain.params import Params
from dashboard.domain.trace import NO_WINDOW
from dashboard.drill import outside_href, rows_href
from dashboard.errors import BadRequest
from dashboard.filters import Filters
from dashboard.store import Scope, StoreEmpty

dash.register_page(__name__, path="/town", name="乡镇", title="乡镇 · 政务服务效能看板", order=10)

KPIS = (
    "cases",
    "online_rate",
    "on_time_rate",
    "overdue_open",
    "warning_open",
    "satisfaction_rate",
    "evaluation_rate",
    "rectify_rate",
    "hotline_tickets",
    "hotline_satisfaction_rate",
)
# the figures from optional case columns (contract §3a) follow, where the county has them
DEPT_COLUMNS = tuple(
    c for c in INDICATORS if c not in ("online_cases", "outside_system_depts", *OPTIONAL)
)
DRILLABLE = (*DEPT_COLUMNS, *OPTIONAL)
NO_WINDOW_TEXT = "(未记录窗口)"
ITEM_COLUMNS = (
    "cases",
    "online_rate",
    "completed",
    "on_time_rate",
    "overdue_completed",
    "overdue_open",
    "warning_open",
)
TREND_SHOWN = ["cases", "online_rate", "on_time_rate", "satisfaction_rate"]
ID_WIDTHS = {"case_id": 230, "ticket_id": 180, "eval_id": 180}  # long numbers, shown whole
LIST_ROWS = 500  # cases listed on the page; 明细 has them all
ITEM_CASE_ROWS = 200


class Ids:
    NAV = "town-nav"  # the page's own URL writer (town choice)
    DRILL = "town-drill"  # drill-downs from tables and trends to 明细
    TOWN = "town-choice"
    TITLE = "town-title"
    KPIS = "town-kpis"
    DEPTS = "town-depts"
    ITEMS = "town-items"
    ITEM_CASES = "town-item-cases"
    TREND_MONTH = "town-trend-month"
    TREND_WEEK = "town-trend-week"
    OVERDUE_HEAD = "town-overdue-head"
    OVERDUE = "town-overdue"
    WARNING_HEAD = "town-warning-head"
    WARNING = "town-warning"
    WINDOWS = "town-windows"
    WINDOWS_NOTE = "town-windows-note"
    WINDOW_RANKING = "town-window-ranking"


# --- layout -------------------------------------------------------------------------------


def layout(**query) -> html.Div:
    # The town choice is drawn from the URL here, not set by a callback: the page is drawn
    # anew on every URL change, so the dropdown always shows the URL's town, and only a
    # person choosing another one writes the URL (see choose_town).
    options, town = town_choice(Filters.from_query(urlencode(query, doseq=True)))
    title = f"乡镇 · {town[1]}" if town else "乡镇 · 未找到该乡镇"
    return html.Div(
        [
            dcc.Location(id=Ids.NAV, refresh="callback-nav"),
            dcc.Location(id=Ids.DRILL, refresh="callback-nav"),
            dbc.Row(
                [
                    dbc.Col(html.H3(title, id=Ids.TITLE, className="mb-0"), md="auto"),
                    dbc.Col(
                        dcc.Dropdown(
                            id=Ids.TOWN,
                            clearable=False,
                            options=options,
                            value=town[0] if town else None,
                            placeholder="选择乡镇",
                        ),
                        md=3,
                        lg=2,
                    ),
                ],
                className="align-items-center g-3 mb-3",
            ),
            dbc.Row(id=Ids.KPIS, className="g-3 mb-4 row-cols-2 row-cols-md-3 row-cols-xl-5"),
            section_header("部门", "点击数字查看其明细;点击体外循环列查看该部门各项信号及证据。"),
            data_grid(Ids.DEPTS, "params.data.dept_name", auto_height=True, min_width=66),
            section_header(
                "窗口",
                "各部门受理窗口本期受理的办件;点击数字查看其明细。",
            ),
            html.Div(id=Ids.WINDOWS_NOTE, className="text-muted small mb-1"),
            data_grid(Ids.WINDOWS, "params.data.row_id", height="420px", min_width=66),
            html.Div(id=Ids.WINDOW_RANKING, className="mb-4"),
            section_header("事项", "按事项统计本期受理的办件;点击一行查看该事项的办件。"),
            data_grid(Ids.ITEMS, "params.data.item_code", height="360px"),
            html.Div(id=Ids.ITEM_CASES, className="mb-4"),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=Ids.TREND_MONTH, config={"displaylogo": False}), lg=6),
                    dbc.Col(dcc.Graph(id=Ids.TREND_WEEK, config={"displaylogo": False}), lg=6),
                ],
                className="mb-4",
            ),
            html.Div(id=Ids.OVERDUE_HEAD),
            data_grid(Ids.OVERDUE, "params.data.case_id", height="380px"),
            html.Div(id=Ids.WARNING_HEAD),
            data_grid(Ids.WARNING, "params.data.case_id", height="380px"),
        ]
    )


def chosen_town(view: View) -> tuple[str, str] | None:
    """(code, name) of the town in `?town=`, or the first town the viewer may see when the
    URL names none. A town that does not exist or that the viewer may not see is None —
    never silently another town (the shell says why, components/notices.py)."""
    towns = list(view.store.query("shell__towns", scope=view.scope).iter_rows())
    wanted = view.filters.extra.get("town")
    if wanted:
        return next(((code, name) for code, name in towns if code == wanted), None)
    return towns[0] if towns else None


# --- town choice: URL → dropdown, dropdown → URL ------------------------------------------


def town_choice(f: Filters) -> tuple[list[dict], tuple[str, str] | None]:
    """The dropdown's options (the towns the viewer may see) and the chosen town."""
    try:
        view = View.from_search(f.to_query())
    except (StoreEmpty, ValueError):
        return [], None
    towns = view.store.query("shell__towns", scope=view.scope)
    options = [{"label": n, "value": c} for c, n in towns.rows()]
    return options, chosen_town(view)


@callback(
    Output(Ids.NAV, "href"),
    Input(Ids.TOWN, "value"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def choose_town(code, search):
    """Choosing a town writes it into the URL (a new history entry: back returns)."""
    if not isinstance(code, str) or not code:
        return no_update
    view = View.from_search(search)
    town = chosen_town(view)
    if town is not None and town[0] == code:
        return no_update
    return "/town" + view.filters.with_extra(town=code).to_query()


# --- KPIs -----------------------------------------------------------------------------------


@page_callback(Output(Ids.KPIS, "children"))
def show_kpis(view: View):
    town = chosen_town(view)
    if town is None:
        return dbc.Alert("该乡镇不存在或您无权查看,请在右侧选择乡镇。", color="warning")
    return kpi_row(
        view,
        coverage.with_available(view.store, KPIS, view.period.start, view.period.end),
        scope=Scope((town[0],)),
    )


# --- departments ----------------------------------------------------------------------------


@page_callback(Output(Ids.DEPTS, "columnDefs"), Output(Ids.DEPTS, "rowData"))
def show_departments(view: View):
    town = chosen_town(view)
    if town is None:
        return [], []
    frame = view.metrics("dept", scope=Scope((town[0],)))
    shown = coverage.with_available(view.store, DEPT_COLUMNS, view.period.start, view.period.end)
    return department_table(frame.filter(pl.col("dept_name").is_not_null()), shown)


def department_table(
    frame: pl.DataFrame, shown: tuple[str, ...] = DEPT_COLUMNS
) -> tuple[list[dict], list[dict]]:
    """Columns and rows of the departments grid: every indicator (those from optional
    columns where the county has them), then the 体外循环 flag and signals when metrics
    provides them."""
    flagged = bool({"outside_system", "signals"} & set(frame.columns))
    columns = [
        {
            "field": "dept_name",
            "headerName": labels.PAGE_FIELDS["dept_name"],
            "pinned": "left",
            "minWidth": 110,
            "tooltipField": "dept_name",
        },
        *(
            [
                {
                    "field": "outside_system",
                    "headerName": labels.PAGE_FIELDS["outside_system"],
                    "cellClassRules": {"flag-outside": "params.value"},
                    "cellClass": "drillable",  # opens the department's 体外循环 evidence
                    "minWidth": 120,
                    "tooltipField": "outside_system",
                }
            ]
            if flagged
            else []
        ),
        *indicator_columns(shown),
    ]
    rows = []
    for r in frame.sort("cases", descending=True).iter_rows(named=True):
        row = {"dept_name": r["dept_name"], **indicator_cells(r, shown)}
        if flagged:
            row["outside_system"] = outside_text(r)
        rows.append(row)
    return columns, rows


def outside_text(row: dict) -> str:
    """The 体外循环 cell: the department's signals in words, 是 if flagged without them."""
    return flag_text(row.get("signals")) or flag_text(row.get("outside_system"))


def flag_text(value) -> str:
    """体外循环 flag or signals as words: True → 是, a list or 'a;b' → names joined."""
    if value is None or value is False:
        return ""
    if value is True:
        return "是"
    names = value if isinstance(value, list | tuple) else str(value).split(";")
    try:
        from dashboard.domain.outside_system import LABELS as SIGNALS
    except ImportError:  # detection not installed: show the names as they come
        SIGNALS = {}
    return "、".join(SIGNALS.get(n, n) for n in names if n)


@callback(
    Output(Ids.DRILL, "href"),
    Input(Ids.DEPTS, "cellClicked"),
    Input(Ids.TREND_MONTH, "clickData"),
    Input(Ids.TREND_WEEK, "clickData"),
    Input(Ids.WINDOWS, "cellClicked"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def drill(cell, month_click, week_click, window_cell, query):
    """A department's figure, or a point of a trend, opens the rows behind it."""
    if query is None:
        return no_update
    view = View.from_search(query)
    f = view.filters
    town = chosen_town(view)
    if town is None:
        return no_update
    trigger = dash.ctx.triggered_id
    if trigger == Ids.DEPTS:
        column = (cell or {}).get("colId")
        dept = (cell or {}).get("rowId")
        if not isinstance(dept, str) or not dept or len(dept) > 100:
            return no_update
        if column == "outside_system":
            return outside_href(f, town[0], dept)
        if column not in DRILLABLE:
            column = "cases"
        return rows_href(f, column, town=town[0], dept=dept)
    if trigger == Ids.WINDOWS:
        return window_href(f, town[0], window_cell)
    click = month_click if trigger == Ids.TREND_MONTH else week_click
    return trend_href(f, town[0], click, "month" if trigger == Ids.TREND_MONTH else "week")


def window_href(f: Filters, town: str, cell: dict | None) -> str | dash.NoUpdate:
    """明细 of a window's figure: the town, the department and the window (NO_WINDOW: the
    department's cases whose file names no window)."""
    column, row_id = (cell or {}).get("colId"), (cell or {}).get("rowId")
    if not isinstance(row_id, str) or not row_id or len(row_id) > 300:
        return no_update
    try:
        dept, window = json.loads(row_id)
    except (ValueError, TypeError):
        raise BadRequest("点击的数据无效") from None
    if not isinstance(dept, str) or not isinstance(window, str) or not dept or not window:
        raise BadRequest("点击的数据无效")
    if column not in windows.FIGURES:
        column = "cases"
    return rows_href(f, column, town=town, dept=dept, window=window)


def trend_href(f: Filters, town: str, click: dict | None, bucket: str) -> str | dash.NoUpdate:
    """明细 for the bucket (week or month) and the indicator of the clicked point."""
    points = (click or {}).get("points") or []
    if not points:
        return no_update
    point = points[0]
    try:
        indicator = str(point["customdata"])  # the trace's indicator (figures.trend)
        start = date.fromisoformat(str(point["x"])[:10])
    except (KeyError, IndexError, TypeError, ValueError):
        raise BadRequest("点击的数据无效") from None
    if indicator not in TREND_SHOWN:
        raise BadRequest("点击的数据无效")
    end = periods.bucket_end(start, bucket)
    bucket_filters = Filters(
        period="custom",
        date_from=start,
        date_to=end,
        towns=f.towns,
        depts=f.depts,
        counties=f.counties,
    )
    return rows_href(bucket_filters, indicator, town=town)


# --- windows (受理窗口) -------------------------------------------------------------------


@page_callback(
    Output(Ids.WINDOWS_NOTE, "children"),
    Output(Ids.WINDOWS, "columnDefs"),
    Output(Ids.WINDOWS, "rowData"),
)
def show_windows(view: View):
    """The town's figures by window under each department (the town page's period)."""
    town = chosen_town(view)
    if town is None:
        return None, [], []
    params = Params(view.period.start, view.period.end, view.as_of)
    frame = windows.figures(view.store, params, Scope((town[0],)), town=town[0], depts=view.depts)
    return window_table(frame)


def window_table(frame: pl.DataFrame) -> tuple[str, list[dict], list[dict]]:
    """(note, columns, rows): each department's windows, the busiest first; the cases whose
    file names no window last, as (未记录窗口)."""
    if frame.is_empty():
        return "", [], []
    without = int(frame.filter(pl.col("window_name").is_null())["cases"].sum() or 0)
    named = frame.height - frame.filter(pl.col("window_name").is_null()).height
    note = ""
    if not named:
        note = "本期办件均未记录受理窗口(导出文件无「受理窗口」列或未填写),无法按窗口统计。"
    elif without:
        note = (
            f"其中 {without:,} 件办件未记录受理窗口(含网上、掌上办理等不经窗口的办件),"
            f"列为{NO_WINDOW_TEXT},不参与窗口排名。"
        )
    columns = [
        {
            "field": "dept_name",
            "headerName": labels.PAGE_FIELDS["dept_name"],
            "pinned": "left",
            "minWidth": 100,
        },
        {
            "field": "window_name",
            "headerName": labels.PAGE_FIELDS["window_name"],
            "pinned": "left",
            "minWidth": 130,
            "tooltipField": "window_name",
        },
        *indicator_columns(windows.FIGURES),
    ]
    ordered = frame.sort(
        [pl.col("dept_name"), pl.col("window_name").is_null(), pl.col("cases")],
        descending=[False, False, True],
    )
    rows = [
        {
            "row_id": json.dumps(
                [r["dept_name"], r["window_name"] or NO_WINDOW], ensure_ascii=False
            ),
            "dept_name": r["dept_name"],
            "window_name": r["window_name"] or NO_WINDOW_TEXT,
            **indicator_cells(r, windows.FIGURES),
        }
        for r in ordered.iter_rows(named=True)
    ]
    return note, columns, rows


@page_callback(Output(Ids.WINDOW_RANKING, "children"))
def show_window_ranking(view: View):
    """The month's window ranking (the one rule, domain/windows.py): this town's windows
    with their places, and the 红旗窗口 and 后进窗口 among the windows the viewer may see."""
    town = chosen_town(view)
    if town is None:
        return None
    month = windows.month_of(view.period, view.as_of)
    ranking = windows.ranking(view.store, month, view.as_of)
    return window_ranking_card(ranking, town, view.store.viewer().whole_county)


def window_ranking_card(
    ranking: windows.WindowRanking, town: tuple[str, str], whole_county: bool
) -> dbc.Card:
    where = "全县" if whole_county else "本镇"
    ranked = ranking.ranked
    mine = ranking.of_town(town[0])

    def names(items: list[windows.RankedWindow]) -> str:
        return "、".join(
            f"{w.row['town_name']}{w.row['window_name']}"
            f"(按时办结率 {fmt('on_time_rate', w.row['on_time_rate'])})"
            for w in items
        )

    lines = [
        html.P(
            f"{ranking.period.label}:{where}参评窗口 {len(ranked)} 个。{ranking.note()}",
            className="text-muted small mb-2",
        )
    ]
    if ranking.flags or ranking.lagging:
        lines.append(
            html.P(
                [
                    dbc.Badge(windows.FLAG, color="danger", className="me-2"),
                    names(ranking.flags) or "无",
                    html.Br(),
                    dbc.Badge(windows.LAGGING, color="dark", className="me-2 mt-1"),
                    names(ranking.lagging) or "无",
                ],
                className="mb-2",
                id="town-window-boards",
            )
        )
    elif ranked:
        lines.append(
            html.P(
                f"参评窗口不足 {2 * ranking.board_size + 1} 个,本月不评红旗窗口和后进窗口。",
                className="text-muted small mb-2",
            )
        )
    shown = ("completed", "on_time_rate", "onsite_rate", "early_rate", "overdue_open")
    columns = [
        {"field": "window_rank", "headerName": labels.PAGE_FIELDS["window_rank"], "width": 80},
        {"field": "window_board", "headerName": labels.PAGE_FIELDS["window_board"], "width": 110},
        {"field": "window_name", "headerName": labels.PAGE_FIELDS["window_name"], "minWidth": 140},
        *indicator_columns(shown),
    ]
    for c in columns[3:]:
        c["cellClass"] = ""  # the ranking does not drill: the table above does
    rows = [
        {
            "row_id": w.row["window_name"],
            "window_rank": f"{w.rank} / {len(ranked)}" if w.rank else "—",
            "window_board": w.board,
            "window_name": w.row["window_name"],
            **indicator_cells(w.row, shown),
        }
        for w in mine
    ]
    body = [
        *lines,
        data_grid(
            "town-window-ranking-grid",
            "params.data.row_id",
            auto_height=True,
            columns=columns,
            rows=rows,
        ),
    ]
    return record_card(f"{town[1]} · 窗口月度排名", f"({ranking.period.label})", body)


# --- items ----------------------------------------------------------------------------------


@page_callback(Output(Ids.ITEMS, "columnDefs"), Output(Ids.ITEMS, "rowData"))
def show_items(view: View):
    town = chosen_town(view)
    if town is None:
        return [], []
    frame = figures_query(
        view.store, "town__items", ITEM_COLUMNS, view.scope, **view.params(town=town[0])
    )
    columns = [
        {"field": "item_name", "headerName": labels.PAGE_FIELDS["item_name"], "minWidth": 220},
        {"field": "dept_names", "headerName": labels.PAGE_FIELDS["dept_names"]},
        *indicator_columns(ITEM_COLUMNS),
    ]
    rows = [
        {
            "item_code": r["item_code"],
            "item_name": r["item_name"],
            "dept_names": r["dept_names"],
            **indicator_cells(r, ITEM_COLUMNS),
        }
        for r in frame.iter_rows(named=True)
    ]
    return columns, rows


@callback(
    Output(Ids.ITEM_CASES, "children"),
    Input(Ids.ITEMS, "cellClicked"),
    Input(Shell.URL, "search"),
)
def show_item_cases(cell, query):
    """The cases behind an item's row (its 办件量), newest first."""
    if query is None or dash.ctx.triggered_id != Ids.ITEMS or not (cell or {}).get("rowId"):
        return None
    if not isinstance(cell["rowId"], str) or len(cell["rowId"]) > 100:
        raise BadRequest("点击的数据无效")
    view = View.from_search(query)
    town = chosen_town(view)
    if town is None:
        return None
    frame = view.query(
        "town__item_cases", town=town[0], item_code=cell["rowId"], limit=ITEM_CASE_ROWS
    )
    total = int(frame["total"][0]) if frame.height else 0
    name = frame["item_name"][0] if frame.height else cell["rowId"]
    shown = frame.select(
        "case_id",
        "dept_name",
        "channel",
        "accepted_at",
        "promised_days",
        "deadline_at",
        "completed_at",
        "status",
    )
    note = f"共 {total:,} 件" + (
        f",下表显示最近 {ITEM_CASE_ROWS} 件" if total > ITEM_CASE_ROWS else ""
    )
    return record_card(
        f"{name} · 办件", note, record_list(f"{Ids.ITEM_CASES}-grid", shown, "case_id", "300px")
    )


# --- trends ---------------------------------------------------------------------------------


@page_callback(Output(Ids.TREND_MONTH, "figure"), Output(Ids.TREND_WEEK, "figure"))
def show_trends(view: View):
    town = chosen_town(view)
    if town is None:
        return {}, {}
    scope = Scope((town[0],))
    month_fig = trend(
        view.trend("month", scope=scope),
        TREND_SHOWN,
        f"{town[1]} 近12个月趋势(按月,点击查看明细)",
        as_of=view.as_of,
        bucket="month",
    )
    week_fig = trend(
        view.trend("week", scope=scope),
        TREND_SHOWN,
        f"{town[1]} 近12周趋势(按周,点击查看明细)",
        as_of=view.as_of,
        bucket="week",
    )
    # dates in Chinese (plotly's own month names are English)
    month_fig.update_xaxes(tickformat="%Y年%-m月", hoverformat="%Y年%-m月")
    week_fig.update_xaxes(tickformat="%-m月%-d日", hoverformat="%Y年%-m月%-d日起")
    return month_fig, week_fig


# --- overdue and about-to-be-overdue cases ---------------------------------------------------


@page_callback(
    Output(Ids.OVERDUE_HEAD, "children"),
    Output(Ids.OVERDUE, "columnDefs"),
    Output(Ids.OVERDUE, "rowData"),
    Output(Ids.OVERDUE, "style"),
    Output(Ids.WARNING_HEAD, "children"),
    Output(Ids.WARNING, "columnDefs"),
    Output(Ids.WARNING, "rowData"),
    Output(Ids.WARNING, "style"),
)
def show_late_cases(view: View):
    town = chosen_town(view)
    if town is None:
        return None, [], [], list_height(0), None, [], [], list_height(0)
    out = []
    for indicator in ("overdue_open", "warning_open"):
        rows = view.rows(indicator, town=town[0])
        timed = lateness.with_lateness(view.store, rows, view.as_of)
        ledger = None
        if indicator == "overdue_open" and timed.height:
            problem = f"{town[1]}超期未办结 {timed.height} 件({view.period.label})"
            ledger = view.ledger_href("list", problem, town=town[0], indicator=indicator)
        head = _list_head(indicator, timed.height, view.href(indicator, town=town[0]), ledger)
        columns, data = late_table(timed, late=indicator == "overdue_open")
        out += [head, columns, data, list_height(len(data))]
    return tuple(out)


LATE_FIELDS = ("case_id", "dept_name", "item_name", "accepted_at", "deadline_at")


def late_table(frame: pl.DataFrame, late: bool) -> tuple[list[dict], list[dict]]:
    """Overdue cases, most late first; or warnings, least time left first."""
    extra = ("late_workdays", "late_hours") if late else ("left_workdays", "left_hours")
    ordered = frame.sort(extra[1], descending=late).head(LIST_ROWS)
    shown = ordered.select(*LATE_FIELDS, *extra).with_columns(
        pl.col("accepted_at", "deadline_at").dt.strftime("%Y-%m-%d %H:%M")
    )
    widths = {"case_id": 230, "item_name": 220}
    columns = [
        {"field": c, "headerName": labels.PAGE_FIELDS[c], "minWidth": widths.get(c, 110)}
        for c in LATE_FIELDS
    ] + [
        {
            "field": c,
            "headerName": labels.PAGE_FIELDS[c],
            "type": "rightAligned",
            "cellClass": "rag-red" if late else "rag-amber",
            "minWidth": 90,
        }
        for c in extra
    ]
    columns[0]["pinned"] = "left"
    return columns, shown.to_dicts()


def _list_head(indicator: str, count: int, href: str, ledger: str | None = None) -> html.Div:
    note = f"(列出前 {LIST_ROWS} 件)" if count > LIST_ROWS else ""
    color = "danger" if indicator == "overdue_open" else "warning"
    return html.Div(
        [
            html.H4(
                [indicator_label(indicator), " ", dbc.Badge(fmt(indicator, count), color=color)],
                className="mb-0 me-3",
            ),
            html.Span(note, className="text-muted small me-auto"),
            dcc.Link("在明细中查看全部 →", href=href, id=f"town-{indicator}-rows"),
            ledger_link(ledger, f"town-{indicator}-ledger"),
        ],
        className="d-flex align-items-baseline mt-2 mb-2",
    )
