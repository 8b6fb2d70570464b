"""明细: the rows behind one figure — the target of every drill-down. The count shown is the
number of rows the figure counts, and the table lists exactly those rows."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
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

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.auth import audit
from dashboard.case_explorer import block_bounds
from dashboard.components.context import View
from dashboard.components.tables import simple_table
from dashboard.domain import counties
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.trace import NO_WINDOW, TRACES, breakdown, count_behind, rows_behind, sortable
from dashboard.drill import cases_href
from dashboard.errors import BadRequest
from dashboard.filters import Filters

dash.register_page(__name__, path="/rows", name="明细", title="明细 · 政务服务效能看板", nav=False)

PAGE_SIZE = 100  # rows per block the grid asks for; the count above covers every row
# the grid gets its rows after it is drawn, so widths are set rather than measured
WIDTHS = {
    "counted": 100,
    "case_id": 225,
    "eval_id": 200,
    "ticket_id": 190,
    "town_code": 135,
    "item_name": 240,
}


# the second breakdown of the rows, beside the department: what the records are about
SECOND = {"case_id": "item_name", "eval_id": "eval_channel", "ticket_id": "topic"}
BREAKDOWN_ROWS = 8


class Ids:
    DRAWN = "rows-drawn"
    TITLE = "rows-title"
    COUNT = "rows-count"
    GRID = "rows-grid"
    BREAKDOWN = "rows-breakdown"
    CSV = "rows-export-csv"
    XLSX = "rows-export-xlsx"


def _initial_sort(text: str | None, fields: list[str]) -> tuple[str, str] | None:
    """?sort=[{"colId": …, "sort": …}] (the grid's own model, as url_state.js writes it)."""
    try:
        model = json.loads(text or "[]")
        column, direction = model[0]["colId"], model[0]["sort"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return (column, direction) if column in fields and direction in ("asc", "desc") else None


def layout(indicator: str = "cases", **query) -> html.Div:
    trace = TRACES.get(indicator)
    # the record id and, for a rate, whether the row is in the numerator stay in sight
    fields = []
    if trace is not None:
        counted = ["counted"] if trace.numerator else []
        fields = [trace.fields[0], *counted, *trace.fields[1:]]
    sort = _initial_sort(query.get("sort"), fields)
    search = "?" + urlencode(
        {"indicator": indicator, **{k: v for k, v in query.items() if isinstance(v, str)}}
    )
    drawn = {"sort": [{"colId": sort[0], "sort": sort[1]}] if sort else [], "filter": {}}
    return html.Div(
        [
            dcc.Store(id=Ids.DRAWN, data=drawn),  # the grid as drawn: not a new history step
            dbc.Row(
                [
                    dbc.Col(html.H3(id=Ids.TITLE, className="mb-1")),
                    dbc.Col(
                        [
                            *(
                                [
                                    html.A(
                                        "在办件查询中打开",
                                        href=cases_href(Filters.from_query(search)),
                                        id="rows-open-cases",
                                        className="btn btn-sm btn-outline-secondary",
                                    )
                                ]
                                if trace is not None and trace.id_column == "case_id"
                                else []
                            ),
                            html.A(
                                "导出 CSV",
                                id=Ids.CSV,
                                href="/export/rows.csv" + search,
                                className="btn btn-sm btn-outline-primary",
                            ),
                            html.A(
                                "导出 Excel",
                                id=Ids.XLSX,
                                href="/export/rows.xlsx" + search,
                                className="btn btn-sm btn-outline-primary",
                            ),
                        ],
                        md="auto",
                        className="d-flex gap-2 align-items-start",
                    ),
                ],
                className="g-2",
            ),
            html.Div(id=Ids.COUNT, className="mb-2 text-muted"),
            html.Div(id=Ids.BREAKDOWN, className="mb-3"),
            dag.AgGrid(
                id=Ids.GRID,
                # server-side blocks: a county-year selection has millions of rows
                rowModelType="infinite",
                columnDefs=[
                    {
                        "field": c,
                        "colId": c,
                        "headerName": labels.ROW_FIELDS.get(c, c),
                        "width": WIDTHS.get(c, 195 if c.endswith("_at") else 120),
                        **({"pinned": "left"} if c in (fields[0], "counted") else {}),
                        **({"sort": sort[1]} if sort and sort[0] == c else {}),
                    }
                    for c in fields
                ],
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "minWidth": 110,
                    "suppressHeaderMenuButton": True,
                },
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": PAGE_SIZE,
                    "paginationPageSizeSelector": False,
                    "cacheBlockSize": PAGE_SIZE,
                    "maxBlocksInCache": 10,
                    "infiniteInitialRowCount": PAGE_SIZE,
                    "localeText": labels.GRID_LOCALE,
                    "animateRows": False,
                },
                style={"height": "70vh"},
                className="ag-theme-alpine",
            ),
        ]
    )


def _selection(search: str | None):
    """The figure a 明细 URL names: (indicator, period, keyword arguments of the trace)."""
    view = View.from_search(search)
    f = view.filters
    indicator = f.extra.get("indicator", "cases")
    dept = f.extra.get("dept")
    selection = {
        "town": f.extra.get("town"),
        "dept": dept,
        "as_of": view.as_of,
        "scope": view.scope,
        "depts": () if dept else view.depts,
        "window": f.extra.get("window"),
    }
    trace = TRACES.get(indicator)
    if selection["window"] and trace is not None and trace.id_column != "case_id":
        raise BadRequest("该指标不按受理窗口统计")
    return view.store, indicator, view.period, selection


@callback(
    Output(Ids.TITLE, "children"),
    Output(Ids.COUNT, "children"),
    Input(Shell.URL, "search"),
)
def show_summary(search):
    """What the rows are and how many: exactly the figure they are behind."""
    store, indicator, period, selection = _selection(search)
    if indicator not in TRACES:
        return "明细", dbc.Alert(f"未知指标 {indicator}", color="warning")
    total, counted = count_behind(store, indicator, period.start, period.end, **selection)
    town, dept = selection["town"], selection["dept"]
    window = selection["window"]
    window_text = "未记录受理窗口" if window == NO_WINDOW else window
    town_name = ""
    if town:
        names = store.sql(
            "select town_name from towns where town_code = $t", {"t": town}, public=True
        )
        town_name = names["town_name"][0] if names.height else town
    title = " · ".join(
        x
        for x in (
            indicator_label(indicator),
            town_name or counties.whole_label(store, selection["scope"].counties or ()),
            dept or "",
            window_text,
        )
        if x
    )
    summary = f"{period.label}({period.start} 至 {period.end}),共 {total:,} 条"
    if counted is not None:
        summary += f",其中计入分子 {counted:,} 条"
    return title, summary


@callback(
    Output(Ids.GRID, "getRowsResponse"),
    Input(Ids.GRID, "getRowsRequest"),
    State(Shell.URL, "search"),
)
def load_rows(request_, search):
    """One block of the rows, in the order the grid asks for."""
    if not request_:
        return no_update
    if not isinstance(request_, dict):
        raise BadRequest("表格请求无效")
    store, indicator, period, selection = _selection(search)
    if indicator not in TRACES:
        return {"rowData": [], "rowCount": 0}
    start, end = block_bounds(request_.get("startRow", 0), request_.get("endRow", PAGE_SIZE))
    sort = grid_sort(request_.get("sortModel"), sortable(indicator))
    total, _ = count_behind(store, indicator, period.start, period.end, **selection)
    rows = rows_behind(
        store,
        indicator,
        period.start,
        period.end,
        limit=end - start,
        offset=start,
        sort=sort,
        **selection,
    )
    audit.record(
        "view_rows",
        {
            "page": "明细",
            "indicator": indicator,
            "period": [str(period.start), str(period.end)],
            "town": selection["town"],
            "dept": selection["dept"],
            "window": selection["window"],
            "towns": list(selection["scope"].towns or ()),
            "depts": list(selection["depts"]),
            "block": [start, end],
        },
        rows=rows.height,
    )
    shown = rows.with_columns(
        [
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S" if t == pl.Datetime else "%Y-%m-%d")
            for c, t in rows.schema.items()
            if t.is_temporal()
        ]
    )
    # yes/no as 是/否 (计入分子, 是否现场办结, 是否跨省通办); no value stays empty
    shown = shown.with_columns(
        pl.col(c).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.String)
        for c, t in shown.schema.items()
        if t == pl.Boolean
    )
    return {"rowData": shown.to_dicts(), "rowCount": total}


def grid_sort(model, fields: tuple[str, ...]) -> tuple[str, bool] | None:
    """The grid's sortModel (one column) checked against the fields shown; else a 400."""
    if not model:
        return None
    if not isinstance(model, list) or not isinstance(model[0], dict):
        raise BadRequest("排序参数无效")
    column, direction = model[0].get("colId"), model[0].get("sort")
    if not isinstance(column, str) or column not in fields or direction not in ("asc", "desc"):
        raise BadRequest("排序参数无效")
    return column, direction == "desc"


@callback(
    Output(Ids.BREAKDOWN, "children"),
    Input(Shell.URL, "search"),
)
def show_breakdown(search):
    """Where the rows are: by department and by what they are about (item, channel or
    topic), each summing to the figure."""
    if search is None:
        return no_update
    store, indicator, period, selection = _selection(search)
    trace = TRACES.get(indicator)
    if trace is None:
        return None
    tables = []
    splits = [
        ("dept_name", "按部门"),
        (SECOND[trace.id_column], "按" + labels.ROW_FIELDS[SECOND[trace.id_column]]),
    ]
    if "window_name" in trace.fields:  # the figures of optional columns: by window too
        splits.append(("window_name", "按受理窗口"))
    for by, title in splits:
        frame = breakdown(store, indicator, by, period.start, period.end, **selection)
        table = _breakdown_table(title, frame, trace.numerator is not None)
        tables.append(dbc.Col(table, lg=12 // len(splits)))
    return dbc.Row(tables, className="g-3")


def _breakdown_table(title: str, frame: pl.DataFrame, rate: bool) -> html.Div:
    shown = frame.head(BREAKDOWN_ROWS)
    headers = [title.removeprefix("按"), "条数", *(["计入分子"] if rate else [])]
    rows = [
        [key if key is not None else "(空)", f"{n:,}", *([f"{c:,}"] if rate else [])]
        for key, n, c in shown.iter_rows()
    ]
    rest = frame.height - shown.height
    if rest > 0:
        left = int(frame["rows"][BREAKDOWN_ROWS:].sum())
        rows.append([f"其余 {rest} 项", f"{left:,}", *([""] if rate else [])])
    return html.Div(
        [html.H6(title, className="mb-1"), simple_table(headers, rows, className="mb-0 small")],
        className="rows-breakdown",
    )


# the grid's sort and filter into the URL (?sort=, ?filter=): a shared link opens this view
clientside_callback(
    ClientsideFunction(namespace="pulse", function_name="gridToUrl"),
    Output(Shell.URL, "search", allow_duplicate=True),
    Input(Ids.GRID, "getRowsRequest"),
    State(Ids.DRAWN, "data"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
