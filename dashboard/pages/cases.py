"""办件查询: every case of the period, paged, sorted and filtered on the server (never sent
whole to the browser), with the shell's filters and a channel filter, and an export of all
the filtered rows to CSV or Excel."""

from __future__ import annotations

import json
from dataclasses import replace
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

from dashboard import case_explorer as explorer
from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.auth import audit
from dashboard.domain.metrics import default_as_of
from dashboard.errors import BadRequest
from dashboard.filters import Filters
from dashboard.store import StoreEmpty, default_store
from etl import settings

dash.register_page(
    __name__, path="/cases", name="办件查询", title="办件查询 · 政务服务效能看板", order=60
)

PAGE_SIZE = 100  # rows per grid page = rows per server request
FILTER_TYPES = {"text": "agTextColumnFilter", "number": "agNumberColumnFilter"}
WIDTHS = {"case_id": 225, "item_name": 240, "promised_days": 120, "applicant_masked": 120}


class Ids:
    DRAWN = "cases-drawn"
    CHANNEL = "cases-channel"
    FLAG = "cases-flag"
    TOTAL = "cases-total"
    GRID = "cases-grid"
    CSV = "cases-export-csv"
    XLSX = "cases-export-xlsx"
    NOTE = "cases-export-note"
    SHOWN = "cases-shown"  # dcc.Store: the filters the grid shows; a change reloads it


def layout(**query) -> html.Div:
    shown = _data_filters(Filters.from_query(urlencode(query, doseq=True))).to_query()
    sort, grid_filter = _grid_state(query)
    drawn = {"sort": [{"colId": c, "sort": d} for c, d in sort], "filter": grid_filter}
    return html.Div(
        [
            dcc.Store(id=Ids.DRAWN, data=drawn),  # the grid as drawn: not a new history step
            dcc.Store(id=Ids.SHOWN, data=shown),
            dbc.Row(
                [
                    dbc.Col(html.H3("办件查询", className="mb-0"), md="auto"),
                    dbc.Col(
                        dcc.Dropdown(
                            id=Ids.CHANNEL,
                            options=_channels(),
                            value=query.get("channel") or None,
                            placeholder="全部申报方式",
                            searchable=False,
                        ),
                        md=2,
                    ),
                    dbc.Col(
                        dcc.Dropdown(
                            id=Ids.FLAG,
                            options=[
                                {"label": v, "value": k} for k, v in explorer.FLAG_LABELS.items()
                            ],
                            value=query.get("flag") or None,
                            placeholder="全部办件状态",
                            searchable=False,
                        ),
                        md=2,
                    ),
                    dbc.Col(html.Div(id=Ids.TOTAL, className="text-muted"), className="me-auto"),
                    dbc.Col(
                        [
                            html.A("导出 CSV", id=Ids.CSV, className=_link_class(None)),
                            html.A("导出 Excel", id=Ids.XLSX, className=_link_class(None)),
                        ],
                        md="auto",
                        className="d-flex gap-2",
                    ),
                ],
                className="align-items-center g-2 mb-1",
            ),
            html.Div(id=Ids.NOTE, className="small text-muted mb-2 cases-export-note"),
            dag.AgGrid(
                id=Ids.GRID,
                rowModelType="infinite",
                columnDefs=[_column_def(c, sort) for c in explorer.GRID_COLUMNS],
                filterModel=grid_filter,
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "floatingFilter": True,
                    "minWidth": 100,
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
                style={"height": "calc(100vh - 230px)", "minHeight": "420px"},
                className="ag-theme-alpine cases-grid",
            ),
        ]
    )


def _grid_state(query: dict) -> tuple[tuple[tuple[str, str], ...], dict]:
    """The grid's sort and filter from the URL (?sort=, ?filter=, the grid's own models as
    assets/url_state.js writes them); anything the explorer does not offer is left out."""
    try:
        sort = explorer._sort(json.loads(query.get("sort") or "[]"))
        model = json.loads(query.get("filter") or "{}")
        explorer._filters(model)
    except (ValueError, TypeError, explorer.BadRequest):
        return explorer.DEFAULT_SORT, {}
    return sort, model if isinstance(model, dict) else {}


def _column_def(column: explorer.Column, sort=explorer.DEFAULT_SORT) -> dict:
    spec: dict = {
        "field": column.field,
        "colId": column.field,
        "headerName": column.label,
        "width": WIDTHS.get(column.field, 170 if column.kind == "date" else 140),
        "filterParams": {
            "filterOptions": list(explorer.OPERATORS[column.kind]),
            "maxNumConditions": 2,
            "buttons": ["reset"],
            "debounceMs": 400,
        },
    }
    if column.kind == "date":
        spec["filter"] = "agDateColumnFilter"
        spec["filterParams"]["inRangeInclusive"] = True
    else:
        spec["filter"] = FILTER_TYPES[column.kind]
    if column.kind == "number":
        spec["type"] = "rightAligned"
    for field, direction in sort:
        if field == column.field:
            spec["sort"] = direction
    return spec


def _channels() -> list[dict]:
    try:
        frame = default_store().query("cases__channels")
    except StoreEmpty:
        return []
    return [{"label": c, "value": c} for (c,) in frame.iter_rows()]


def _data_filters(f: Filters) -> Filters:
    """The filters that decide the rows (the grid's sort= and filter= do not)."""
    flag = f.extra.get("flag")
    extra = {"flag": flag} if flag else {}
    return Filters(f.period, f.date_from, f.date_to, f.towns, f.depts, f.channel, extra, f.counties)


def _link_class(href: str | None) -> str:
    return "btn btn-sm btn-outline-primary" + ("" if href else " disabled")


@callback(
    Output(Shell.URL, "search", allow_duplicate=True),
    Input(Ids.CHANNEL, "value"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def choose_channel(channel, search):
    """The channel is part of the URL like the shell's filters, so a link reproduces it."""
    f = Filters.from_query(search)
    if (channel or "") == f.channel:
        return no_update
    return replace(f, channel=channel or "").to_query()


@callback(
    Output(Shell.URL, "search", allow_duplicate=True),
    Input(Ids.FLAG, "value"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)
def choose_flag(flag, search):
    """The state (超期未办结 …) is part of the URL too."""
    f = Filters.from_query(search)
    if (flag or "") == f.extra.get("flag", ""):
        return no_update
    if flag and flag not in explorer.FLAG_LABELS:
        raise BadRequest("未知的办件状态筛选")
    return f.with_extra(flag=flag or None).to_query()


# the grid's sort and filter into the URL (?sort=, ?filter=): a shared link opens this view
clientside_callback(
    ClientsideFunction(namespace="pulse", function_name="gridToUrl"),
    Output(Shell.URL, "search", allow_duplicate=True),
    Input(Ids.GRID, "getRowsRequest"),
    State(Ids.DRAWN, "data"),
    State(Shell.URL, "search"),
    prevent_initial_call=True,
)


@callback(
    Output(Ids.CHANNEL, "value"),
    Output(Ids.SHOWN, "data"),
    Input(Shell.URL, "search"),
    State(Ids.CHANNEL, "value"),
    State(Ids.SHOWN, "data"),
)
def follow_filters(query, channel, shown):
    """Back/forward and the shell's widgets: show the URL's channel, reload on a change."""
    if query is None:
        return no_update, no_update
    f = _data_filters(Filters.from_query(query))
    key = f.to_query()
    return (
        (f.channel or None) if (f.channel or None) != channel else no_update,
        key if key != shown else no_update,
    )


clientside_callback(
    """
    function (shown, gridId) {
        try {
            const api = dash_ag_grid.getApi(gridId);
            api.paginationGoToFirstPage();
            api.purgeInfiniteCache();
        } catch (e) { /* grid not mounted yet: it asks for its rows itself */ }
        return "正在查询…";
    }
    """,
    Output(Ids.TOTAL, "children", allow_duplicate=True),
    Input(Ids.SHOWN, "data"),
    State(Ids.GRID, "id"),
    prevent_initial_call=True,
)


@callback(
    Output(Ids.GRID, "getRowsResponse"),
    Output(Ids.TOTAL, "children"),
    Output(Ids.CSV, "href"),
    Output(Ids.CSV, "className"),
    Output(Ids.XLSX, "href"),
    Output(Ids.XLSX, "className"),
    Output(Ids.NOTE, "children"),
    Input(Ids.GRID, "getRowsRequest"),
    State(Shell.URL, "search"),
)
def load_rows(request_, search):
    """One block of rows for the grid, the total, and export links for the same rows."""
    if not request_:
        return (no_update,) * 7
    if not isinstance(request_, dict):
        raise BadRequest("表格请求无效")
    empty = {"rowData": [], "rowCount": 0}
    off = (None, _link_class(None), None, _link_class(None))
    f = Filters.from_query(search)
    store = default_store()
    try:
        as_of = default_as_of(store)
    except (StoreEmpty, ValueError):
        return empty, "尚无数据", *off, ""
    query = explorer.CaseQuery.build(
        f, as_of, request_.get("sortModel"), request_.get("filterModel")
    )
    total = explorer.count(store, query)
    start, end = explorer.block_bounds(request_.get("startRow", 0), request_.get("endRow", 0))
    rows = explorer.page(store, query, start, end)
    audit.record(
        "view_rows",
        {
            "page": "办件查询",
            "period": [str(query.date_from), str(query.date_to)],
            "towns": list(f.towns),
            "depts": list(f.depts),
            "channel": f.channel,
            "sort": request_.get("sortModel"),
            "filter": request_.get("filterModel"),
            "block": [start, end],
        },
        rows=len(rows),
    )
    period = f.resolve(as_of)
    state = explorer.FLAG_LABELS.get(query.flag, "")
    summary = f"共 {total:,} 条{state}办件({period.start} 至 {period.end} 受理)"
    limit = explorer.export_max_rows()
    if total == 0:
        return {"rowData": rows, "rowCount": 0}, summary, *off, "没有可导出的记录。"
    if total > limit:
        note = f"筛选结果超过导出上限 {limit:,} 条,请缩小时间范围或增加筛选条件后再导出。"
        return {"rowData": rows, "rowCount": total}, summary, *off, note
    csv_href = _export_href("csv", f, request_)
    xlsx_href = _export_href("xlsx", f, request_)
    note = (
        f"导出全部 {total:,} 条筛选结果;个人信息按入库时的脱敏和哈希形式导出。"
        "办件编号等长数字在 Excel 格式中保持原样(CSV 用 Excel 打开会被改成科学计数)。"
    )
    xlsx_most = int(settings.get("export.xlsx_max_rows"))
    if total > xlsx_most:  # Excel costs ~100× the CPU of CSV: refused above its limit
        xlsx_href = None
        note = (
            f"导出全部 {total:,} 条筛选结果(CSV);超过 {xlsx_most:,} 条时不提供 Excel 格式,"
            "CSV 可用 Excel、WPS 打开。个人信息按入库时的脱敏和哈希形式导出。"
        )
    return (
        {"rowData": rows, "rowCount": total},
        summary,
        csv_href,
        _link_class(csv_href),
        xlsx_href,
        _link_class(xlsx_href),
        note,
    )


def _export_href(kind: str, f: Filters, request_: dict) -> str:
    grid = {
        "sort": json.dumps(request_.get("sortModel") or [], ensure_ascii=False),
        "filter": json.dumps(request_.get("filterModel") or {}, ensure_ascii=False),
    }
    query = _data_filters(f).with_extra(**grid).to_query()
    return dash.get_relative_path(f"/export/cases.{kind}") + query
