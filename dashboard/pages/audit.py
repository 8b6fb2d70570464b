"""审计日志 (admins): who signed in or failed to, who exported what, who looked at case rows,
who changed an account — filtered by day, user and action, paged on the server, exportable
as CSV (the export itself is audited)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import labels
from dashboard.admin_routes import audit_filters
from dashboard.auth import audit
from dashboard.auth.access import ROLE_LABELS
from dashboard.case_explorer import block_bounds
from dashboard.errors import BadRequest

dash.register_page(
    __name__,
    path="/audit",
    name="审计日志",
    title="审计日志 · 政务服务效能看板",
    order=95,
    roles=("admin",),
)

PAGE_SIZE = 100


class Ids:
    SINCE = "audit-since"
    UNTIL = "audit-until"
    USER = "audit-user"
    ACTION = "audit-action"
    COUNT = "audit-count"
    CSV = "audit-csv"
    GRID = "audit-grid"
    FILTERS = "audit-filters"  # dcc.Store: the filters the grid shows (from the URL)
    NAV = "audit-nav"  # a filter change writes the URL: the page is drawn afresh


def layout(**query) -> html.Div:
    return html.Div(
        [
            dcc.Store(id=Ids.FILTERS, data=(shown := _clean(query))),
            dcc.Location(id=Ids.NAV, refresh="callback-nav"),
            html.H2("审计日志", className="mb-1"),
            html.P(
                f"登录、退出、导出、查看办件明细与账号变更的记录,保留 {audit.retention_days()} 天"
                "(不少于 180 天)。",
                className="text-muted small",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.DatePickerRange(
                            id=Ids.SINCE,
                            display_format="YYYY-MM-DD",
                            first_day_of_week=1,
                            start_date=query.get("since") or None,
                            end_date=query.get("until") or None,
                            start_date_placeholder_text="开始日期",
                            end_date_placeholder_text="结束日期",
                        ),
                        md="auto",
                    ),
                    dbc.Col(
                        dbc.Input(
                            id=Ids.USER,
                            placeholder="用户名",
                            value=query.get("user") or "",
                            debounce=True,
                            maxlength=64,
                        ),
                        md=2,
                    ),
                    dbc.Col(
                        dcc.Dropdown(
                            id=Ids.ACTION,
                            options=[{"label": v, "value": k} for k, v in audit.ACTIONS.items()],
                            value=query.get("action") or None,
                            placeholder="全部操作",
                        ),
                        md=2,
                    ),
                    dbc.Col(html.Div(id=Ids.COUNT, className="text-muted"), className="me-auto"),
                    dbc.Col(
                        html.A(
                            "导出 CSV",
                            id=Ids.CSV,
                            href="/admin/audit.csv?" + urlencode(shown),
                            className="btn btn-sm btn-outline-primary",
                        ),
                        md="auto",
                    ),
                ],
                className="g-2 align-items-center mb-2",
            ),
            dag.AgGrid(
                id=Ids.GRID,
                rowModelType="infinite",
                columnDefs=[
                    {"field": "at", "headerName": "时间", "width": 170},
                    {"field": "user_name", "headerName": "用户", "width": 120},
                    {"field": "role", "headerName": "角色", "width": 100},
                    {"field": "address", "headerName": "地址", "width": 130},
                    {"field": "action", "headerName": "操作", "width": 110},
                    {"field": "rows", "headerName": "行数", "width": 90, "type": "rightAligned"},
                    {
                        "field": "detail",
                        "headerName": "详情",
                        "flex": 1,
                        "minWidth": 380,
                        "tooltipField": "detail",
                    },
                    {"field": "request_id", "headerName": "请求编号", "width": 130},
                ],
                defaultColDef={"resizable": True, "sortable": False},
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": PAGE_SIZE,
                    "paginationPageSizeSelector": False,
                    "cacheBlockSize": PAGE_SIZE,
                    "maxBlocksInCache": 10,
                    "infiniteInitialRowCount": 1,
                    "localeText": labels.GRID_LOCALE,
                    "animateRows": False,
                },
                style={"height": "calc(100vh - 260px)", "minHeight": "420px"},
                className="ag-theme-alpine",
            ),
        ]
    )


def _clean(values: dict) -> dict:
    """The filters as the audit query takes them (validated: a bad date is a 400)."""
    raw = {k: values.get(k) or "" for k in ("since", "until", "user", "action")}
    audit_filters(raw)
    return {k: v for k, v in raw.items() if v}


@callback(
    Output(Ids.NAV, "href"),
    Input(Ids.SINCE, "start_date"),
    Input(Ids.SINCE, "end_date"),
    Input(Ids.USER, "value"),
    Input(Ids.ACTION, "value"),
    State(Ids.FILTERS, "data"),
    prevent_initial_call=True,
)
def choose(since, until, user, action, shown):
    """A changed filter becomes the URL (back and forward walk through them)."""
    filters = _clean(
        {"since": (since or "")[:10], "until": (until or "")[:10], "user": user, "action": action}
    )
    if filters == shown:
        return no_update
    return "/audit?" + urlencode(filters)


@callback(
    Output(Ids.GRID, "getRowsResponse"),
    Output(Ids.COUNT, "children"),
    Input(Ids.GRID, "getRowsRequest"),
    State(Ids.FILTERS, "data"),
)
def rows(request_, filters):
    if not isinstance(filters, dict):
        raise BadRequest("筛选参数无效")
    if not isinstance(request_, dict):
        return no_update, no_update
    start, end = block_bounds(request_.get("startRow", 0), request_.get("endRow", PAGE_SIZE))
    chosen = audit_filters(filters)
    total = audit.count(**chosen)
    found = audit.query(**chosen, limit=end - start, offset=start)
    shown = [
        {
            **r,
            "action": audit.ACTIONS.get(r["action"], r["action"]),
            "role": ROLE_LABELS.get(r["role"] or "", r["role"] or ""),
            "detail": _detail(r["detail"]),
        }
        for r in found
    ]
    return {"rowData": shown, "rowCount": total}, f"共 {total:,} 条"


def _detail(text: str) -> str:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return text
    return ",".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
