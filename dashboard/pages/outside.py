"""体外循环: one department's signals for a period — each with its value and threshold, the
rule in plain Chinese, the volume it was computed over and what data would clear it — and,
for the signal chosen, every row it counted (server-side pages, as 明细; CSV export).

The URL holds the view: `?town=CODE&dept=NAME&signal=NAME` with the shell's period. Without
`dept`, the page lists the flagged departments of the town (or, without `town`, of every
town the viewer may see), each linking to its view. The Store narrows every query to the
viewer's towns: a town official asking for another town's department gets nothing.
Every word shown comes from dashboard/domain/outside_system.py; data text stays text.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import labels
from dashboard.app import Ids as Shell
from dashboard.auth import audit
from dashboard.case_explorer import block_bounds
from dashboard.components.context import View, page_callback
from dashboard.components.panels import ledger_link
from dashboard.domain import outside_system as outside
from dashboard.domain.params import Params
from dashboard.drill import outside_href
from dashboard.errors import BadRequest
from dashboard.store import Scope, StoreEmpty

dash.register_page(
    __name__,
    path="/outside",
    name="体外循环",
    title="体外循环 · 政务服务效能看板",
    order=15,
    roles=("admin", "city", "county", "town"),
)

PAGE_SIZE = 100  # rows per block the grid asks for
WIDTHS = {
    "case_id": 225,
    "named_case_id": 225,
    "eval_id": 200,
    "item_name": 240,
    "entry_lag": 120,
    "burst": 130,
    "recorded_period_end": 150,
    "close_minutes": 120,
}
HINT = "每一条提示都是需要核实的线索,不是结论:会上点名前,请先看下列计入的记录,并听取部门说明。"


class Ids:
    BODY = "outside-body"
    EVIDENCE_HEAD = "outside-evidence-head"
    GRID = "outside-grid"


# --- layout -------------------------------------------------------------------------------


def layout(signal: str | None = None, **_query) -> html.Div:
    # the grid's columns are the chosen signal's (the page is drawn anew on every URL change)
    chosen = signal if signal in outside.SIGNALS else None
    return html.Div(
        [
            html.Div(id=Ids.BODY),
            html.Div(id=Ids.EVIDENCE_HEAD),
            evidence_grid(chosen) if chosen else html.Div(),
        ]
    )


def evidence_grid(signal: str) -> dag.AgGrid:
    fields = outside.evidence_fields(signal)
    return dag.AgGrid(
        id=Ids.GRID,
        rowModelType="infinite",  # server-side blocks, as 明细: a year can hold thousands
        columnDefs=[
            {
                "field": c,
                "colId": c,
                "headerName": outside.FIELD_LABELS[c],
                "width": WIDTHS.get(c, 175 if c.endswith("_at") else 120),
                **({"pinned": "left"} if c == fields[0] else {}),
            }
            for c in fields
        ],
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "minWidth": 90,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
            "suppressHeaderMenuButton": True,
        },
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": PAGE_SIZE,
            "maxBlocksInCache": 10,
            "infiniteInitialRowCount": PAGE_SIZE,
            "localeText": {**labels.GRID_LOCALE, "noRowsToShow": "没有计入的记录"},
            "animateRows": False,
        },
        style={"height": "60vh"},
        className="ag-theme-alpine mb-3",
    )


# --- what the URL asks for ------------------------------------------------------------------


def _asked(view: View) -> tuple[str | None, str | None, str | None]:
    extra = view.filters.extra
    town, dept, signal = extra.get("town"), extra.get("dept"), extra.get("signal")
    if signal is not None and signal not in outside.SIGNALS:
        signal = None
    return town or None, dept or None, signal


def _params(view: View) -> Params:
    return Params(view.period.start, view.period.end, view.as_of)


def _period_line(view: View) -> html.P:
    p = view.period
    dates = f"{p.start} 至 {p.end}"
    label = p.label if dates in p.label else f"{p.label}({dates})"
    return html.P(
        f"统计期:{label}。{outside.PERIOD_RULE}",
        className="text-muted mb-2",
        id="outside-period",
    )


# --- the page body --------------------------------------------------------------------------


@page_callback(Output(Ids.BODY, "children"), Output(Ids.EVIDENCE_HEAD, "children"))
def show(view: View):
    town, dept, signal = _asked(view)
    if town and dept:
        found = outside.department(view.store, _params(view), town, dept)
        if found is None:
            return [
                html.H3(f"体外循环 · {dept}"),
                _period_line(view),
                dbc.Alert(
                    "本期没有该部门的体外循环判定数据(没有办件或评价),或您无权查看该乡镇。",
                    color="warning",
                    id="outside-none",
                ),
            ], None
        return department_view(view, found, signal), evidence_head(view, found, signal)
    return flagged_list(view, town), None


def flagged_list(view: View, town: str | None) -> list:
    """The flagged departments of the town (or of every town the viewer may see)."""
    scope = Scope((town,)) if town else view.scope
    flagged = outside.flagged_departments(view.store, _params(view), scope)
    if view.depts:
        flagged = flagged.filter(pl.col("dept_name").is_in(list(view.depts)))
    where = ""
    if town:
        names = view.store.sql(
            "select town_name from towns where town_code = $t", {"t": town}, public=True
        )
        where = names["town_name"][0] if names.height else town
    rows = [
        html.Tr(
            [
                html.Td(r["town_name"] or r["town_code"]),
                html.Td(
                    dcc.Link(
                        r["dept_name"],
                        href=outside_href(view.filters, r["town_code"], r["dept_name"]),
                    )
                ),
                html.Td("、".join(outside.LABELS[s] for s in r["signals"].split(";"))),
            ]
        )
        for r in flagged.iter_rows(named=True)
    ]
    table = (
        dbc.Table(
            [
                html.Thead(html.Tr([html.Th("乡镇(街道)"), html.Th("部门"), html.Th("信号")])),
                html.Tbody(rows),
            ],
            striped=True,
            size="sm",
            id="outside-flagged",
            className="w-auto",
        )
        if rows
        else dbc.Alert("本期没有疑似体外循环的部门。", color="success", id="outside-flagged")
    )
    return [
        html.H3(f"体外循环 · {where or '疑似部门'}"),
        _period_line(view),
        html.P(
            f"{HINT}点击部门名称查看各项信号的数值、阈值、判定规则和计入的记录。",
            className="small text-muted",
        ),
        table,
    ]


def department_view(view: View, found: outside.Department, chosen: str | None) -> list:
    flagged = found.flagged
    if flagged:
        summary = dbc.Alert(
            f"本期有 {len(flagged)} 项信号达到阈值:"
            + "、".join(s.label_zh for s in flagged)
            + "。"
            + HINT,
            color="danger",
            id="outside-summary",
        )
    else:
        summary = dbc.Alert(
            "本期没有信号达到阈值。下面列出各项信号的数值供参考。",
            color="success",
            id="outside-summary",
        )
    cards = [
        dbc.Col(signal_card(view, found, s, s.name == chosen), lg=6, xxl=4) for s in found.signals
    ]
    return [
        html.H3(f"体外循环 · {found.town_name} · {found.dept_name}", id="outside-title"),
        _period_line(view),
        summary,
        dbc.Row(cards, className="g-3 mb-3"),
    ]


def signal_card(view: View, found: outside.Department, s: outside.Signal, chosen: bool):
    limits = outside.thresholds()
    unit = outside.UNITS[s.name]
    facts = dbc.Table(
        html.Tbody(
            [
                html.Tr([html.Th("数值"), html.Td(outside.value_text(s), className="sig-value")]),
                html.Tr([html.Th("阈值"), html.Td(outside.threshold_text(s))]),
                html.Tr([html.Th("计算基数"), html.Td(outside.volume_text(s))]),
                html.Tr([html.Th("计入"), html.Td(f"{s.hits:,} {unit}", className="sig-hits")]),
            ]
        ),
        size="sm",
        borderless=True,
        className="mb-2 sig-facts",
    )
    href = outside_href(view.filters, found.town_code, found.dept_name, s.name)
    link_text = (
        f"列出计入的全部 {s.hits:,} {unit}"
        if s.name != "stationed_silent"
        else f"查看本期该部门的办件({s.hits:,} 件)及窗口情况"
    )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Strong(s.label_zh, className="me-2"),
                    dbc.Badge(
                        "达到阈值" if s.flagged else "未达阈值",
                        color="danger" if s.flagged else "secondary",
                    ),
                ]
            ),
            dbc.CardBody(
                [
                    html.P(s.explanation_zh, className="fw-semibold sig-explain"),
                    facts,
                    html.P([html.Strong("含义:"), outside.MEANINGS[s.name]], className="small"),
                    html.P(
                        [html.Strong("判定规则:"), outside.rule(s.name, limits, s.figures)],
                        className="small sig-rule",
                    ),
                    html.P(
                        [html.Strong("什么数据能消除提示:"), outside.CLEARS[s.name]],
                        className="small sig-clears",
                    ),
                    dcc.Link(
                        link_text + " →",
                        href=href,
                        id={"type": "outside-open", "index": s.name},
                        className="btn btn-sm "
                        + ("btn-primary" if chosen else "btn-outline-primary"),
                    ),
                    ledger_link(
                        view.ledger_href(
                            "outside",
                            f"{found.town_name}·{found.dept_name} 疑似体外循环:{s.explanation_zh}",
                            town=found.town_code,
                            dept=found.dept_name,
                            indicator="outside_system_depts",
                            ref=s.name,
                        )
                        if s.flagged
                        else None,
                        f"outside-ledger-{s.name}",
                    ),
                ]
            ),
        ],
        id=f"outside-card-{s.name}",
        className="h-100 " + ("border-danger" if s.flagged else ""),
    )


def evidence_head(view: View, found: outside.Department, signal: str | None):
    """Above the grid: what the rows are, how many (the signal's count), the export."""
    if signal is None:
        return html.P(
            "点击信号下方的按钮,列出该信号计入的全部记录(可导出 CSV)。",
            className="text-muted",
            id="outside-evidence-hint",
        )
    s = found.signal(signal)
    if s is None:
        return dbc.Alert("本期未对该部门判定此信号。", color="secondary")
    unit = outside.UNITS[signal]
    export = "/export/outside.csv" + outside_href(
        view.filters, found.town_code, found.dept_name, signal
    ).removeprefix("/outside")
    parts: list = [
        html.Div(
            [
                html.H4(
                    f"{s.label_zh} · {outside.COUNTED[signal]}",
                    className="mb-0 me-3",
                    id="outside-evidence-title",
                ),
                html.Span(
                    f"共 {s.hits:,} {unit}(即该信号计入的全部记录)",
                    className="text-muted me-auto",
                    id="outside-evidence-count",
                ),
                html.A(
                    "导出 CSV",
                    href=export,
                    id="outside-export-csv",
                    className="btn btn-sm btn-outline-secondary",
                ),
            ],
            className="d-flex align-items-baseline mt-3 mb-2",
        )
    ]
    if signal == "stationed_silent":
        parts.append(window_facts(view, found))
    return html.Div(parts)


def window_facts(view: View, found: outside.Department):
    """应进未进's evidence beside its (usually empty) list of cases: the window's facts."""
    w = outside.window(view.store, _params(view), found.town_code, found.dept_name)
    if w is None:
        return dbc.Alert("部门名单中没有该部门。", color="secondary")
    last = w["last_case_at"]
    items = [
        ("部门名单中“应进驻”", "是" if w["must_station"] else "否"),
        ("该部门最近一件办件的受理时间", f"{last:%Y-%m-%d %H:%M}" if last else "从未有办件"),
        ("本期该部门收到的评价", f"{w['evaluations_in_period']:,} 条"),
        ("本期本乡镇(街道)的办件", f"{w['town_cases_in_period']:,} 件"),
    ]
    return dbc.Table(
        html.Tbody([html.Tr([html.Th(k), html.Td(v)]) for k, v in items]),
        size="sm",
        bordered=True,
        className="w-auto",
        id="outside-window",
    )


# a chosen signal's rows are below its card: bring them into sight once they are drawn
clientside_callback(
    """
    function(children) {
        const title = document.getElementById('outside-evidence-title');
        if (title) { title.scrollIntoView({block: 'start'}); }
        return window.dash_clientside.no_update;
    }
    """,
    Output(Ids.EVIDENCE_HEAD, "className"),
    Input(Ids.EVIDENCE_HEAD, "children"),
    prevent_initial_call=True,
)


# --- the rows, one block at a time ------------------------------------------------------------


@callback(
    Output(Ids.GRID, "getRowsResponse"),
    Input(Ids.GRID, "getRowsRequest"),
    State(Shell.URL, "search"),
)
def load_rows(request_, search):
    """One block of the rows the chosen signal counted, in the order the grid asks for."""
    if not request_:
        return no_update
    if not isinstance(request_, dict):
        raise BadRequest("表格请求无效")
    try:
        view = View.from_search(search)
    except StoreEmpty:
        return {"rowData": [], "rowCount": 0}
    town, dept, signal = _asked(view)
    if not (town and dept and signal):
        return {"rowData": [], "rowCount": 0}
    start, end = block_bounds(request_.get("startRow", 0), request_.get("endRow", PAGE_SIZE))
    sort = grid_sort(request_.get("sortModel"), outside.sortable(signal))
    params = _params(view)
    total = outside.evidence_count(view.store, params, town, dept, signal)
    rows = outside.evidence(
        view.store, params, town, dept, signal, limit=end - start, offset=start, sort=sort
    )
    audit.record(
        "view_rows",
        {
            "page": "体外循环",
            "signal": signal,
            "period": [str(params.date_from), str(params.date_to)],
            "town": town,
            "dept": dept,
            "block": [start, end],
        },
        rows=rows.height,
    )
    return {"rowData": outside.display_rows(rows), "rowCount": total}


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
