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
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import case_explorer as explorer
from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.auth import audit
from dashboard.domain.metrics import default_as_of
from dashboard.errors import BadRequest
from dashboard.filters import Filters
from dashboard.store import StoreEmpty, default_store

dash.register_page(
    __name__, path="/cases", name="办件查询", title="办件查询 · 政务服务效能看板", order=60
)

PAGE_SIZE = 100  # rows per grid page = rows per server request
FILTER_TYPES = {"text": "agTextColumnFilter", "number": "agNumberColumnFilter"}
WIDTHS = {"case_id": 225, "item_name": 240, "promised_days": 120, "applicant_masked": 120}


class Ids:
    CHANNEL = "cases-channel"
    TOTAL = "cases-total"
    GRID = "cases-grid"
    CSV = "cases-export-csv"
    XLSX = "cases-export-xlsx"
    NOTE = "cases-export-note"
    SHOWN = "cases-shown"  # dcc.Store: the filters the grid shows; a change reloads it


def layout(**query) -> html.Div:
    shown = _data_filters(Filters.from_query(urlencode(query, doseq=True))).to_query()
    return html.Div(
        [
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
                columnDefs=[_column_def(c) for c in explorer.GRID_COLUMNS],
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


def _column_def(column: explorer.Column) -> dict:
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
    if (column.field, "desc") in explorer.DEFAULT_SORT:
        spec["sort"] = "desc"
    return spec


def _channels() -> list[dict]:
    try:
        frame = default_store().query("cases__channels")
    except StoreEmpty:
        return []
    return [{"label": c, "value": c} for (c,) in frame.iter_rows()]


def _data_filters(f: Filters) -> Filters:
    """The filters that decide the rows (page extras such as sort= do not)."""
    return Filters(f.period, f.date_from, f.date_to, f.towns, f.depts, f.channel)


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
    summary = f"共 {total:,} 条办件({period.start} 至 {period.end} 受理)"
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
