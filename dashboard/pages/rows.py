"""明细: the rows behind one figure — the target of every drill-down. The count shown is the
number of rows the figure counts, and the table lists exactly those rows."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, callback, html, no_update

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.filters import Filters
from dashboard.metrics import default_as_of
from dashboard.store import default_store
from dashboard.trace import TRACES, count_behind, rows_behind

dash.register_page(__name__, path="/rows", name="明细", title="明细 · 政务服务效能看板", nav=False)

PAGE_ROWS = 5000  # shown in the browser; the count above always covers every row

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


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H3(id=Ids.TITLE, className="mb-1"),
            html.Div(id=Ids.COUNT, className="mb-3 text-muted"),
            dag.AgGrid(
                id=Ids.GRID,
                columnDefs=[],
                rowData=[],
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                columnSize="autoSize",
                style={"height": "70vh"},
                className="ag-theme-alpine",
            ),
        ]
    )


@callback(
    Output(Ids.TITLE, "children"),
    Output(Ids.COUNT, "children"),
    Output(Ids.GRID, "columnDefs"),
    Output(Ids.GRID, "rowData"),
    Input(Shell.FILTERS, "data"),
)
def show_rows(query):
    if query is None:
        return (no_update,) * 4
    f = Filters.from_query(query)
    indicator = f.extra.get("indicator", "cases")
    if indicator not in TRACES:
        return "明细", dbc.Alert(f"未知指标 {indicator}", color="warning"), [], []
    store = default_store()
    as_of = default_as_of(store)
    period = f.resolve(as_of)
    town = f.extra.get("town")
    dept = f.extra.get("dept")
    scope = f.scope()
    selection = {
        "town": town,
        "dept": dept,
        "as_of": as_of,
        "scope": scope,
        "depts": () if dept else f.depts,
    }
    total, counted = count_behind(store, indicator, period.start, period.end, **selection)
    rows = rows_behind(store, indicator, period.start, period.end, limit=PAGE_ROWS, **selection)
    town_name = ""
    if town:
        names = store.sql("select town_name from towns where town_code = $t", {"t": town})
        town_name = names["town_name"][0] if names.height else town
    title = " · ".join(
        x
        for x in (labels.INDICATORS.get(indicator, indicator), town_name or "全县", dept or "")
        if x
    )
    summary = f"{period.label}({period.start} 至 {period.end}),共 {total:,} 条"
    if counted is not None:
        summary += f",其中计入分子 {counted:,} 条"
    if total > PAGE_ROWS:
        summary += f";下表显示前 {PAGE_ROWS:,} 条,完整列表请用办件查询导出"
    columns = [{"field": c, "headerName": FIELD_LABELS.get(c, c)} for c in rows.columns]
    shown = rows.with_columns(
        [pl.col(c).cast(pl.String) for c, t in rows.schema.items() if t.is_temporal()]
    )
    return title, summary, columns, shown.to_dicts()
