"""数据质量: what the store holds and how far to trust it — freshness per source, every load
with its accounting (rows_read = inserted + updated + duplicate + rejected), refused files
with the reason, and the rejected rows themselves with their reason and raw values."""

from __future__ import annotations

import json
from datetime import datetime

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import labels
from dashboard.case_explorer import block_bounds
from dashboard.components.tables import simple_table
from dashboard.errors import BadRequest
from dashboard.store import StoreEmpty, default_store
from etl import settings

dash.register_page(
    __name__,
    path="/quality",
    name="数据质量",
    title="数据质量 · 政务服务效能看板",
    order=90,
    roles=("admin", "city", "county"),  # rejected rows carry raw values of every town
)

LOADS_SHOWN = 100  # newest files listed
REJECTS_PAGE = 100  # rejected rows per grid page


class Ids:
    SUMMARY = "status-summary"
    FRESHNESS = "status-freshness"
    TOWNS = "status-towns"
    LOADS = "status-loads"
    BALANCE = "status-balance"
    REJECT_FILE = "status-reject-file"
    REJECT_REASON = "status-reject-reason"
    REJECT_COUNT = "status-reject-count"
    REJECTS = "status-rejects"


def stale_hours() -> float:
    return float(settings.get("quality.stale_hours"))


def layout(**_query) -> html.Div:
    store = default_store()
    try:
        meta = store.meta()
        counts = store.query("status__counts").row(0, named=True)
        towns = store.query("status__towns")
        loads = store.query("status__loads", limit=LOADS_SHOWN)
        freshness = store.query("quality__freshness")
        choices = store.query("quality__reject_choices")
    except StoreEmpty:
        return dbc.Alert("尚未导入数据。请运行 pulse load <文件或文件夹>。", color="warning")
    cards = [
        ("数据截至", meta.get("as_of") or "—"),
        ("乡镇", f"{counts['towns']:,}"),
        ("办件", f"{counts['cases']:,}"),
        ("12345工单", f"{counts['hotline']:,}"),
        ("好差评", f"{counts['evaluations']:,}"),
        ("拒收行", f"{counts['rejects']:,}"),
    ]
    notes = [
        dbc.Alert(w, color="warning") for w in json.loads(meta.get("calendar_warnings") or "[]")
    ]
    load_rows = list(loads.iter_rows(named=True))
    return html.Div(
        [
            html.H2("数据质量", className="mb-3"),
            *notes,
            html.H4("数据状态"),
            dbc.Row(
                [_card(title, value) for title, value in cards],
                className="g-3 mb-4",
                id=Ids.SUMMARY,
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H4("数据新鲜度"),
                            _freshness_table(freshness.iter_rows(named=True), datetime.now()),
                        ],
                        xl=8,
                    ),
                    dbc.Col(
                        [
                            html.H4("乡镇"),
                            html.Div(
                                simple_table(
                                    ["乡镇", "类型", "办件量"], towns.iter_rows(), id=Ids.TOWNS
                                ),
                                className="scroll-box mb-4",
                            ),
                        ],
                        xl=4,
                    ),
                ]
            ),
            html.H4("最近导入"),
            html.Div(_balance(load_rows), id=Ids.BALANCE, className="mb-2"),
            html.Div(_loads_table(load_rows), className="table-responsive scroll-box mb-4"),
            html.H4("拒收行"),
            _rejects_filters(choices),
            html.Div(id=Ids.REJECT_COUNT, className="text-muted small mb-2"),
            dag.AgGrid(
                id=Ids.REJECTS,
                rowModelType="infinite",
                columnDefs=[
                    {"field": f, "headerName": h, "tooltipField": f, **size}
                    for f, h, size in (
                        ("file_name", "文件", {"width": 210}),
                        ("source", "来源", {"width": 100}),
                        ("source_row", "行号", {"width": 80}),
                        ("reason", "原因", {"width": 260}),
                        ("detail", "说明", {"width": 320}),
                        ("raw", "原始值", {"flex": 1, "minWidth": 400}),
                    )
                ],
                defaultColDef={"resizable": True, "sortable": False},
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": REJECTS_PAGE,
                    "paginationPageSizeSelector": False,
                    "cacheBlockSize": REJECTS_PAGE,
                    "maxBlocksInCache": 10,
                    "infiniteInitialRowCount": 1,
                    "localeText": labels.GRID_LOCALE,
                    "animateRows": False,
                },
                style={"height": "480px"},
                className="ag-theme-alpine",
            ),
        ]
    )


def _card(title: str, value: str) -> dbc.Col:
    size = "fs-5" if len(value) > 10 else "fs-3"  # 数据截至 is a timestamp
    body = dbc.CardBody(
        [
            html.Div(title, className="text-muted small"),
            html.Div(value, className=f"{size} fw-bold"),
        ]
    )
    return dbc.Col(dbc.Card(body, className="h-100"), md=2)


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _freshness_table(rows, now: datetime) -> dbc.Table:
    """Newest export and newest event per source; red when the newest export is older than
    the configured age (an export that stopped arriving)."""
    limit = stale_hours()
    head = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in (
                    "来源",
                    "已导入文件",
                    "记录数",
                    "最新导出时间",
                    "距今(小时)",
                    "最新业务时间",
                    "最近导入完成",
                    "状态",
                )
            ]
        )
    )
    body = []
    for r in rows:
        extract = r["newest_extract"]
        age = (now - extract).total_seconds() / 3600 if extract else None
        stale = age is None or age > limit
        state = (
            "尚无导入" if extract is None else (f"超过 {limit:g} 小时未更新" if stale else "正常")
        )
        body.append(
            html.Tr(
                [
                    html.Td(labels.SOURCES.get(r["source"], r["source"])),
                    html.Td(f"{r['files']:,}"),
                    html.Td(f"{r['records']:,}"),
                    html.Td(_time(extract)),
                    html.Td("—" if age is None else f"{age:,.1f}"),
                    html.Td(
                        [
                            _time(r["newest_event"]),
                            html.Span(
                                f" {labels.FRESHNESS_SOURCES.get(r['source'], '')}",
                                className="text-muted small",
                            ),
                        ]
                    ),
                    html.Td(_time(r["last_load"])),
                    html.Td(state, className="freshness-stale" if stale else "freshness-ok"),
                ],
                **{"data-stale": "true" if stale else "false"},
            )
        )
    return dbc.Table(
        [head, html.Tbody(body)], size="sm", id=Ids.FRESHNESS, className="mb-4 freshness"
    )


def _accounting_gap(r: dict) -> int:
    return r["rows_read"] - (r["inserted"] + r["updated"] + r["duplicate"] + r["rejected"])


def _balance(rows: list[dict]) -> dbc.Alert:
    loaded = [r for r in rows if r["status"] == "loaded"]
    off = [r for r in loaded if _accounting_gap(r)]
    refused = sum(r["status"] == "refused" for r in rows)
    text = f"最近 {len(rows)} 个文件:{len(loaded)} 个已入库"
    text += f",{refused} 个已拒收" if refused else ""
    if off:
        names = "、".join(r["file_name"] for r in off[:5])
        return dbc.Alert(f"{text};{len(off)} 个文件行数不平衡:{names}", color="danger")
    return dbc.Alert(
        f"{text};每个已入库文件 读取行数 = 新增 + 更新 + 重复 + 拒收。",
        color="light",
        className="py-2 small",
    )


def _reasons(raw: str | None) -> str:
    try:
        counts = json.loads(raw or "{}") or {}
    except json.JSONDecodeError:
        return ""
    return ";".join(f"{labels.REASON_LABELS.get(k, k)} {v:,}" for k, v in counts.items())


def _loads_table(rows: list[dict]) -> dbc.Table:
    headers = (
        "编号",
        labels.COLUMNS["file_name"],
        labels.COLUMNS["source"],
        "编码",
        labels.COLUMNS["status"],
        labels.COLUMNS["rows_read"],
        labels.COLUMNS["inserted"],
        labels.COLUMNS["updated"],
        labels.COLUMNS["duplicate"],
        labels.COLUMNS["rejected"],
        "核对",
        labels.COLUMNS["extracted_at"],
        labels.COLUMNS["finished_at"],
        "说明",
    )
    body = []
    for r in rows:
        refused = r["status"] == "refused"
        gap = 0 if refused else _accounting_gap(r)
        check = "—" if refused else ("✓" if gap == 0 else f"✗ 差 {gap:+,}")
        note = (r["message"] or "") if refused else _reasons(r["reasons"])
        cells = [
            r["load_id"],
            r["file_name"],
            labels.SOURCES.get(r["source"] or "", "—"),
            r["encoding"] or "—",
            labels.LOAD_STATUS.get(r["status"], r["status"]),
            *(f"{r[c]:,}" for c in ("rows_read", "inserted", "updated", "duplicate", "rejected")),
            check,
            _time(r["extracted_at"]),
            _time(r["finished_at"]),
            note,
        ]
        body.append(
            html.Tr(
                [html.Td("—" if v is None else str(v)) for v in cells],
                className="table-danger" if refused or gap else None,
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)],
        striped=True,
        size="sm",
        id=Ids.LOADS,
        className="loads-table",
    )


def _rejects_filters(choices) -> dbc.Row:
    files: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for r in choices.iter_rows(named=True):
        files[r["file_name"]] = files.get(r["file_name"], 0) + r["rows"]
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + r["rows"]
    return dbc.Row(
        [
            dbc.Col(
                dcc.Dropdown(
                    id=Ids.REJECT_FILE,
                    options=[{"label": f"{f}({n:,})", "value": f} for f, n in files.items()],
                    placeholder="全部文件",
                ),
                md=4,
            ),
            dbc.Col(
                dcc.Dropdown(
                    id=Ids.REJECT_REASON,
                    options=[
                        {"label": f"{labels.REASON_LABELS.get(k, k)}({n:,})", "value": k}
                        for k, n in sorted(reasons.items(), key=lambda kv: _reason_order(kv[0]))
                    ],
                    placeholder="全部原因",
                ),
                md=4,
            ),
        ],
        className="g-2 mb-2",
    )


def _reason_order(code: str) -> int:
    order = list(labels.REASON_LABELS)
    return order.index(code) if code in order else len(order)


def _raw_text(raw: str | None) -> str:
    """The row as read, 列名=值 in file order (personal data is stored masked or hashed)."""
    try:
        values = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return raw or ""
    if not isinstance(values, dict):
        return str(values)
    return ";".join(f"{k}={'' if v is None else v}" for k, v in values.items())


@callback(
    Output(Ids.REJECTS, "getRowsResponse"),
    Output(Ids.REJECT_COUNT, "children"),
    Input(Ids.REJECTS, "getRowsRequest"),
    State(Ids.REJECT_FILE, "value"),
    State(Ids.REJECT_REASON, "value"),
)
def show_rejects(request_, file_name, reason):
    """One page of rejected rows (a new file or reason choice reloads the grid)."""
    if not request_:
        return no_update, no_update
    if not all(isinstance(v, str | None) for v in (file_name, reason)):
        raise BadRequest("筛选参数无效")
    params = {"file": file_name or "", "reason": reason or ""}
    start, end = block_bounds(request_.get("startRow", 0), request_.get("endRow", 0))
    store = default_store()
    try:
        total = int(store.query("quality__rejects_count", **params)["n"][0])
        frame = store.query("quality__rejects", **params, limit=end - start, offset=start)
    except StoreEmpty:
        return {"rowData": [], "rowCount": 0}, "尚无数据"
    rows = [
        {
            **r,
            "source": labels.SOURCES.get(r["source"], r["source"]),
            "reason": labels.REASON_LABELS.get(r["reason"], r["reason"]),
            "raw": _raw_text(r["raw"]),
        }
        for r in frame.iter_rows(named=True)
    ]
    return {"rowData": rows, "rowCount": total}, f"共 {total:,} 条拒收行"


dash.clientside_callback(
    """
    function (fileName, reason, gridId) {
        try {
            const api = dash_ag_grid.getApi(gridId);
            api.paginationGoToFirstPage();
            api.purgeInfiniteCache();
        } catch (e) { /* not mounted yet */ }
        return window.dash_clientside.no_update;
    }
    """,
    Output(Ids.REJECTS, "className"),
    Input(Ids.REJECT_FILE, "value"),
    Input(Ids.REJECT_REASON, "value"),
    State(Ids.REJECTS, "id"),
    prevent_initial_call=True,
)
