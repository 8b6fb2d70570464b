"""乡镇: one town — its KPIs, its departments (with 体外循环 flags), its service items,
trends, and the cases that are overdue (超期未办结) or about to be (超时预警) with how late
they are. The town is `?town=CODE` in the URL (default: the first town the viewer may see),
so a link reproduces the view and the back button returns to the previous town."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.components.figures import trend
from dashboard.components.format import fmt, status
from dashboard.components.kpi import kpi_card
from dashboard.components.tables import data_grid
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.metrics import INDICATORS, Params, default_as_of, metrics
from dashboard.domain.periods import Period
from dashboard.domain.trace import rows_behind
from dashboard.drill import rows_href
from dashboard.filters import Filters
from dashboard.store import Scope, Store, StoreEmpty, default_store

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
DEPT_COLUMNS = tuple(c for c in INDICATORS if c not in ("online_cases", "outside_system_depts"))
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


# --- layout -------------------------------------------------------------------------------


def layout(**query) -> html.Div:
    # The town choice is drawn from the URL here, not set by a callback: the page is drawn
    # anew on every URL change, so the dropdown always shows the URL's town, and only a
    # person choosing another one writes the URL (see choose_town).
    options, town = town_choice(Filters.from_query(urlencode(query, doseq=True)))
    title = f"乡镇 · {town[1]}" if town else "乡镇 · 无可查看的乡镇"
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
            _section("部门", "点击数字查看其明细;体外循环列由体外循环检测给出。"),
            data_grid(Ids.DEPTS, "params.data.dept_name", auto_height=True, min_width=66),
            _section("事项", "按事项统计本期受理的办件;点击一行查看该事项的办件。"),
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


def _section(title: str, hint: str) -> html.Div:
    return html.Div(
        [html.H4(title, className="mb-0 me-3"), html.Span(hint, className="text-muted small")],
        className="d-flex align-items-baseline mt-2 mb-2",
    )


def list_height(rows: int, most: int = 380) -> dict:
    """A list grid as tall as its rows (two at least, for the empty message), at most `most`."""
    return {"height": f"{min(most, 52 + 42 * max(rows, 2))}px"}


# --- what every callback needs ------------------------------------------------------------


def _context(query: str) -> tuple[Filters, Store, datetime, Period]:
    f = Filters.from_query(query)
    store = default_store()
    as_of = default_as_of(store)
    return f, store, as_of, f.resolve(as_of)


def chosen_town(store: Store, f: Filters) -> tuple[str, str] | None:
    """(code, name) of the town in `?town=`, if the viewer may see it, else the first town."""
    towns = list(store.query("shell__towns", scope=f.scope()).iter_rows())
    wanted = f.extra.get("town")
    for code, name in towns:
        if code == wanted:
            return code, name
    return towns[0] if towns else None


def query_params(f: Filters, period: Period, as_of: datetime, **extra) -> dict:
    """The named parameters of the page's query files."""
    return {
        **Params(period.start, period.end, as_of).sql_params(),
        "depts": list(f.depts),
        **extra,
    }


# --- town choice: URL → dropdown, dropdown → URL ------------------------------------------


def town_choice(f: Filters) -> tuple[list[dict], tuple[str, str] | None]:
    """The dropdown's options (the towns the viewer may see) and the chosen town."""
    try:
        store = default_store()
        towns = store.query("shell__towns", scope=f.scope())
    except StoreEmpty:
        return [], None
    options = [{"label": n, "value": c} for c, n in towns.rows()]
    return options, chosen_town(store, f)


@callback(
    Output(Ids.NAV, "href"),
    Input(Ids.TOWN, "value"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def choose_town(code, search):
    """Choosing a town writes it into the URL (a new history entry: back returns)."""
    if not code:
        return no_update
    f = Filters.from_query(search)
    town = chosen_town(default_store(), f)
    if town is not None and town[0] == code:
        return no_update
    return "/town" + f.with_extra(town=code).to_query()


# --- KPIs -----------------------------------------------------------------------------------


@callback(Output(Ids.KPIS, "children"), Input(Shell.URL, "search"))
def show_kpis(query):
    if query is None:
        return no_update
    f, store, as_of, period = _context(query)
    town = chosen_town(store, f)
    if town is None:
        return dbc.Alert("没有可查看的乡镇。", color="warning")
    prev = period.previous()
    scope = Scope((town[0],))
    now, before = (
        metrics(
            store, p.start, p.end, as_of, by="town", scope=scope, depts=f.depts, flags=False
        ).row(0, named=True)
        for p in (period, prev)
    )
    return [
        dbc.Col(kpi_card(k, now[k], before[k], href=rows_href(f, k, town=town[0]))) for k in KPIS
    ]


# --- departments ----------------------------------------------------------------------------


@callback(
    Output(Ids.DEPTS, "columnDefs"),
    Output(Ids.DEPTS, "rowData"),
    Input(Shell.URL, "search"),
)
def show_departments(query):
    if query is None:
        return no_update, no_update
    f, store, as_of, period = _context(query)
    town = chosen_town(store, f)
    if town is None:
        return [], []
    frame = metrics(
        store,
        period.start,
        period.end,
        as_of,
        by="dept",
        scope=Scope((town[0],)),
        depts=f.depts,
    ).filter(pl.col("dept_name").is_not_null())
    return department_table(frame)


def department_table(frame: pl.DataFrame) -> tuple[list[dict], list[dict]]:
    """Columns and rows of the departments grid: every indicator, then the 体外循环 flag and
    signals when metrics provides them."""
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
                    "minWidth": 120,
                    "tooltipField": "outside_system",
                }
            ]
            if flagged
            else []
        ),
        *indicator_columns(DEPT_COLUMNS),
    ]
    rows = []
    for r in frame.sort("cases", descending=True).iter_rows(named=True):
        row = {"dept_name": r["dept_name"], **indicator_cells(r, DEPT_COLUMNS)}
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


def indicator_columns(indicators) -> list[dict]:
    return [
        {
            "field": c,
            "headerName": indicator_label(c),
            "valueFormatter": {"function": f"params.data['{c}__text']"},
            "cellClassRules": {
                "rag-red": f"params.data['{c}__status'] == 'red'",
                "rag-amber": f"params.data['{c}__status'] == 'amber'",
                "rag-green": f"params.data['{c}__status'] == 'green'",
            },
            "type": "rightAligned",
            "cellClass": "drillable",
        }
        for c in indicators
    ]


def indicator_cells(row: dict, indicators) -> dict:
    cells = {}
    for c in indicators:
        cells[c] = row[c]
        cells[f"{c}__text"] = fmt(c, row[c])
        cells[f"{c}__status"] = status(c, row[c])
    return cells


@callback(
    Output(Ids.DRILL, "href"),
    Input(Ids.DEPTS, "cellClicked"),
    Input(Ids.TREND_MONTH, "clickData"),
    Input(Ids.TREND_WEEK, "clickData"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def drill(cell, month_click, week_click, query):
    """A department's figure, or a point of a trend, opens the rows behind it."""
    if query is None:
        return no_update
    f = Filters.from_query(query)
    town = chosen_town(default_store(), f)
    if town is None:
        return no_update
    trigger = dash.ctx.triggered_id
    if trigger == Ids.DEPTS:
        column = (cell or {}).get("colId")
        dept = (cell or {}).get("rowId")
        if not dept:
            return no_update
        if column not in DEPT_COLUMNS:
            column = "cases"
        return rows_href(f, column, town=town[0], dept=dept)
    click = month_click if trigger == Ids.TREND_MONTH else week_click
    return trend_href(f, town[0], click, "month" if trigger == Ids.TREND_MONTH else "week")


def trend_href(f: Filters, town: str, click: dict | None, bucket: str) -> str | dash.NoUpdate:
    """明细 for the bucket (week or month) and the indicator of the clicked point."""
    points = (click or {}).get("points") or []
    if not points:
        return no_update
    point = points[0]
    indicator = TREND_SHOWN[point.get("curveNumber", 0)]
    start = date.fromisoformat(str(point["x"])[:10])
    end = start + timedelta(days=6) if bucket == "week" else _next_month(start) - timedelta(1)
    bucket_filters = Filters(
        period="custom", date_from=start, date_to=end, towns=f.towns, depts=f.depts
    )
    return rows_href(bucket_filters, indicator, town=town)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- items ----------------------------------------------------------------------------------


@callback(
    Output(Ids.ITEMS, "columnDefs"),
    Output(Ids.ITEMS, "rowData"),
    Input(Shell.URL, "search"),
)
def show_items(query):
    if query is None:
        return no_update, no_update
    f, store, as_of, period = _context(query)
    town = chosen_town(store, f)
    if town is None:
        return [], []
    frame = store.query(
        "town__items", scope=f.scope(), **query_params(f, period, as_of, town=town[0])
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
    f, store, as_of, period = _context(query)
    town = chosen_town(store, f)
    if town is None:
        return None
    frame = store.query(
        "town__item_cases",
        scope=f.scope(),
        **query_params(
            f, period, as_of, town=town[0], item_code=cell["rowId"], limit=ITEM_CASE_ROWS
        ),
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
    return dbc.Card(
        [
            dbc.CardHeader(
                [html.Strong(f"{name} · 办件"), html.Span(f"  {note}", className="text-muted")]
            ),
            dbc.CardBody(record_grid(f"{Ids.ITEM_CASES}-grid", shown, "case_id", "300px")),
        ],
        className="mb-3",
    )


def record_grid(grid_id: str, frame: pl.DataFrame, row_key: str, height: str) -> dag.AgGrid:
    """A list of records with Chinese headers; times as text."""
    rows = frame.with_columns(
        [
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M")
            for c, t in frame.schema.items()
            if t.is_temporal()
        ]
    )
    columns = [
        {"field": c, "headerName": labels.PAGE_FIELDS.get(c, c), "minWidth": ID_WIDTHS.get(c, 90)}
        for c in frame.columns
    ]
    return data_grid(
        grid_id, f"params.data.{row_key}", height=height, columns=columns, rows=rows.to_dicts()
    )


# --- trends ---------------------------------------------------------------------------------


@callback(
    Output(Ids.TREND_MONTH, "figure"),
    Output(Ids.TREND_WEEK, "figure"),
    Input(Shell.URL, "search"),
)
def show_trends(query):
    if query is None:
        return no_update, no_update
    f, store, as_of, _period = _context(query)
    town = chosen_town(store, f)
    if town is None:
        return {}, {}
    end = as_of.date()
    month_start = (end.replace(day=1) - timedelta(days=335)).replace(day=1)
    week_start = end - timedelta(days=end.weekday()) - timedelta(weeks=11)
    scope = Scope((town[0],))
    monthly, weekly = (
        metrics(
            store, start, end, as_of, by="town", scope=scope, depts=f.depts, bucket=b, flags=False
        )
        for start, b in ((month_start, "month"), (week_start, "week"))
    )
    month_fig = trend(monthly, TREND_SHOWN, f"{town[1]} 近12个月趋势(按月,点击查看明细)")
    week_fig = trend(weekly, TREND_SHOWN, f"{town[1]} 近12周趋势(按周,点击查看明细)")
    # dates in Chinese (plotly's own month names are English)
    month_fig.update_xaxes(tickformat="%Y年%-m月", hoverformat="%Y年%-m月")
    week_fig.update_xaxes(tickformat="%-m月%-d日", hoverformat="%Y年%-m月%-d日起")
    return month_fig, week_fig


# --- overdue and about-to-be-overdue cases ---------------------------------------------------


@callback(
    Output(Ids.OVERDUE_HEAD, "children"),
    Output(Ids.OVERDUE, "columnDefs"),
    Output(Ids.OVERDUE, "rowData"),
    Output(Ids.OVERDUE, "style"),
    Output(Ids.WARNING_HEAD, "children"),
    Output(Ids.WARNING, "columnDefs"),
    Output(Ids.WARNING, "rowData"),
    Output(Ids.WARNING, "style"),
    Input(Shell.URL, "search"),
)
def show_late_cases(query):
    if query is None:
        return (no_update,) * 8
    f, store, as_of, period = _context(query)
    town = chosen_town(store, f)
    if town is None:
        return None, [], [], list_height(0), None, [], [], list_height(0)
    out = []
    for indicator in ("overdue_open", "warning_open"):
        rows = rows_behind(
            store,
            indicator,
            period.start,
            period.end,
            town=town[0],
            as_of=as_of,
            scope=f.scope(),
        )
        if f.depts:
            rows = rows.filter(pl.col("dept_name").is_in(list(f.depts)))
        timed = lateness(rows, workday_seq(store, rows, as_of), as_of)
        head = _list_head(indicator, timed.height, rows_href(f, indicator, town=town[0]))
        columns, data = late_table(timed, late=indicator == "overdue_open")
        out += [head, columns, data, list_height(len(data))]
    return tuple(out)


def workday_seq(store: Store, rows: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """The calendar's working-day sequence over the days the rows' deadlines and as_of span."""
    days = [as_of.date()]
    if rows.height:
        days += [rows["deadline_at"].min().date(), rows["deadline_at"].max().date()]
    return store.query("town__calendar", day_from=min(days), day_to=max(days))


def lateness(rows: pl.DataFrame, calendar: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Adds how late a case is (as_of after its deadline) or how much time it has left.

    late_hours / left_hours: hours between the deadline and as_of (one decimal).
    late_workdays: working days after the deadline day up to the as_of date (0 = late, but
    not yet by a whole working day); left_workdays: working days from the as_of date to the
    deadline day (0 = due today). Both from the working-day calendar (调休 included).
    """
    seq = dict(zip(calendar["day"], calendar["workday_seq"], strict=True))
    today = seq.get(as_of.date())
    deadline_seq = pl.col("deadline_at").dt.date().replace_strict(seq, default=None)
    hours = (pl.lit(as_of) - pl.col("deadline_at")).dt.total_seconds() / 3600
    return rows.with_columns(
        hours.round(1).alias("late_hours"),
        (pl.lit(today) - deadline_seq).cast(pl.Int64).alias("late_workdays"),
        (-hours).round(1).alias("left_hours"),
        (deadline_seq - pl.lit(today)).cast(pl.Int64).alias("left_workdays"),
    )


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


def _list_head(indicator: str, count: int, href: str) -> html.Div:
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
        ],
        className="d-flex align-items-baseline mt-2 mb-2",
    )
