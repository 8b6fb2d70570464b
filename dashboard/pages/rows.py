"""明细: the rows behind one figure — the target of every drill-down. The count shown is the
number of rows the figure counts, and the table lists exactly those rows."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, callback, html, no_update

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.auth import audit
from dashboard.case_explorer import block_bounds
from dashboard.components.context import View
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.trace import TRACES, count_behind, rows_behind, sortable
from dashboard.errors import BadRequest

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

FIELD_LABELS = {
    "case_id": "办件编号",
    "town_code": "乡镇代码",
    "dept_name": "部门",
    "item_name": "事项",
    "channel": "申报方式",
    "accepted_at": "受理时间",
    "promised_days": "承诺时限",
    "deadline_at": "办理期限",
    "completed_at": "办结时间",
    "status": "状态",
    "recorded_at": "录入时间",
    "eval_id": "评价编号",
    "eval_channel": "评价渠道",
    "rated_at": "评价时间",
    "rating": "评价等级",
    "rectify_status": "整改状态",
    "rectified_at": "整改完成时间",
    "rectify_deadline_at": "整改期限",
    "ticket_id": "工单编号",
    "request_type": "诉求类型",
    "topic": "一级分类",
    "received_at": "来电时间",
    "due_at": "办理时限",
    "satisfaction": "满意度",
    "counted": "计入分子",
}


class Ids:
    TITLE = "rows-title"
    COUNT = "rows-count"
    GRID = "rows-grid"


def layout(indicator: str = "cases", **_query) -> html.Div:
    trace = TRACES.get(indicator)
    # the record id and, for a rate, whether the row is in the numerator stay in sight
    fields = []
    if trace is not None:
        counted = ["counted"] if trace.numerator else []
        fields = [trace.fields[0], *counted, *trace.fields[1:]]
    return html.Div(
        [
            html.H3(id=Ids.TITLE, className="mb-1"),
            html.Div(id=Ids.COUNT, className="mb-3 text-muted"),
            dag.AgGrid(
                id=Ids.GRID,
                # server-side blocks: a county-year selection has millions of rows
                rowModelType="infinite",
                columnDefs=[
                    {
                        "field": c,
                        "colId": c,
                        "headerName": FIELD_LABELS.get(c, c),
                        "width": WIDTHS.get(c, 195 if c.endswith("_at") else 120),
                        **({"pinned": "left"} if c in (fields[0], "counted") else {}),
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
    }
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
    town_name = ""
    if town:
        names = store.sql(
            "select town_name from towns where town_code = $t", {"t": town}, public=True
        )
        town_name = names["town_name"][0] if names.height else town
    title = " · ".join(
        x for x in (indicator_label(indicator), town_name or "全县", dept or "") if x
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
    if "counted" in shown.columns:
        shown = shown.with_columns(
            pl.when(pl.col("counted")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("counted")
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
