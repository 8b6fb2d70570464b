"""整改台账: problems, owners and deadlines, closed one by one (dashboard/manage/ledger.py).

County staff open items (the form below, prefilled by any page's "立项整改" link:
dashboard.manage.ledger.new_item_href) and close them (销号); town officials see only their
own towns' items and report what they did (整改中, with evidence). Overdue items are marked.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth import access
from dashboard.components.manage import flash_alert, hidden, note, post_form
from dashboard.domain.indicators import label as indicator_label
from dashboard.filters import Filters
from dashboard.manage import ledger
from dashboard.manage.common import MANAGERS, may_see_town
from dashboard.store import default_store
from etl import settings

dash.register_page(
    __name__,
    path="/ledger",
    name="整改台账",
    title="整改台账 · 政务服务效能看板",
    order=84,
    roles=("admin", "city", "county", "town"),
)

STATUS_COLORS = {ledger.OPEN: "warning", ledger.IN_PROGRESS: "info", ledger.CLOSED: "success"}


class Ids:
    TABLE = "ledger-table"
    NEW = "ledger-new"
    COUNTS = "ledger-counts"


def layout(**query) -> html.Div:
    viewer = access.current()
    manager = viewer.role in MANAGERS and viewer.whole_county
    store = default_store()
    names = dict(store.sql("select town_code, town_name from towns", public=True).iter_rows())
    f = Filters.from_query(urlencode({"towns": query.get("towns") or ""}))  # the shell's filter
    status = query.get("status") if query.get("status") in ledger.STATUSES else None
    overdue_only = query.get("overdue") == "1"
    today = date.today()
    everything = ledger.items(viewer, towns=f.towns or None, today=today)
    shown = [
        x
        for x in everything
        if (status is None or x.status == status) and (not overdue_only or x.overdue(today))
    ]
    steps = ledger.steps(viewer, [x.id for x in shown])
    counts = {s: sum(1 for x in everything if x.status == s) for s in ledger.STATUSES}
    late = sum(1 for x in everything if x.overdue(today))
    children = [
        html.H2("整改台账", className="mb-1"),
        note(
            "问题清单、责任清单、时限清单,实行销号管理。县级用户立项和销号;乡镇用户只看到本乡镇的"
            "事项,并提交整改情况。整改时限按工作日(含调休)计算,过期未销号的事项标红。"
        ),
    ]
    flashed = flash_alert(query)
    if flashed is not None:
        children.append(flashed)
    if query.get("new") == "1":
        children.append(_new_form(query, names) if manager else _not_manager())
    children += [
        _filters(counts, late, status, overdue_only),
        _table(viewer, shown, steps, names, manager, today, query.get("item"))
        if shown
        else dbc.Alert("没有符合条件的整改事项。", color="light", id=Ids.TABLE),
    ]
    return html.Div(children)


def _not_manager() -> dbc.Alert:
    return dbc.Alert("仅县级用户可以新建整改事项。", color="warning", id=Ids.NEW)


def _filters(counts: dict, late: int, status: str | None, overdue_only: bool) -> html.Div:
    def link(label: str, href: str, active: bool) -> html.A:
        cls = "btn btn-sm me-2 " + ("btn-primary" if active else "btn-outline-secondary")
        return html.A(label, href=href, className=cls)

    total = sum(counts.values())
    links = [link(f"全部 {total}", "/ledger", status is None and not overdue_only)]
    links += [
        link(f"{s} {counts[s]}", f"/ledger?status={s}", status == s and not overdue_only)
        for s in ledger.STATUSES
    ]
    links.append(link(f"逾期 {late}", "/ledger?overdue=1", overdue_only))
    return html.Div(
        [
            html.Div(links, id=Ids.COUNTS),
            html.A(
                "导出 CSV", href="/manage/ledger.csv", className="btn btn-sm btn-outline-primary"
            ),
        ],
        className="d-flex justify-content-between align-items-center mb-2",
    )


def _new_form(query: dict, names: dict[str, str]) -> dbc.Card:
    days = int(settings.get("ledger.deadline_workdays"))
    deadline = ledger.deadline_for(date.today(), days)
    source = query.get("source") if query.get("source") in ledger.SOURCES else "other"
    indicator = query.get("indicator") or ""
    period = ""
    if query.get("from") and query.get("to"):
        period = f"{query['from']} 至 {query['to']}"
    about = []
    if indicator:
        about.append(f"指标:{indicator_label(indicator)}")
    if period:
        about.append(f"期间:{period}")
    town_options = [{"label": "县级部门(不属乡镇)", "value": ""}] + [
        {"label": n, "value": c} for c, n in sorted(names.items())
    ]
    row = "mb-2"
    return dbc.Card(
        dbc.CardBody(
            post_form(
                "/manage/ledger/new",
                [
                    html.H5("新建整改事项", className="card-title"),
                    note(";".join(about) + ("。" if about else "") + "保存后进入台账,乡镇可见。"),
                    hidden("indicator", indicator),
                    hidden("from", query.get("from")),
                    hidden("to", query.get("to")),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("问题来源", html_for="ledger-source"),
                                    dbc.Select(
                                        id="ledger-source",
                                        name="source",
                                        value=source,
                                        options=[
                                            {"label": v, "value": k}
                                            for k, v in ledger.SOURCES.items()
                                        ],
                                    ),
                                ],
                                md=2,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("责任乡镇", html_for="ledger-town"),
                                    dbc.Select(
                                        id="ledger-town",
                                        name="town",
                                        value=query.get("town") or "",
                                        options=town_options,
                                    ),
                                ],
                                md=3,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("责任部门", html_for="ledger-dept"),
                                    dbc.Input(
                                        id="ledger-dept",
                                        name="dept",
                                        value=query.get("dept") or "",
                                        maxLength=100,
                                    ),
                                ],
                                md=2,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("关联编号", html_for="ledger-ref"),
                                    dbc.Input(
                                        id="ledger-ref",
                                        name="ref",
                                        value=query.get("ref") or "",
                                        maxLength=200,
                                        placeholder="办件、评价或工单编号",
                                    ),
                                ],
                                md=3,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("整改时限(工作日)", html_for="ledger-days"),
                                    dbc.Input(
                                        id="ledger-days",
                                        name="workdays",
                                        type="number",
                                        min=1,
                                        max=ledger.MAX_WORKDAYS,
                                        value=days,
                                    ),
                                ],
                                md=2,
                            ),
                        ],
                        className=row,
                    ),
                    dbc.Label("问题描述", html_for="ledger-problem"),
                    dbc.Textarea(
                        id="ledger-problem",
                        name="problem",
                        value=query.get("problem") or _suggested_problem(query, names),
                        required=True,
                        rows=3,
                        maxLength=2000,
                        className=row,
                    ),
                    html.Div(
                        [
                            html.Button("立项", type="submit", className="btn btn-primary me-3"),
                            html.Span(
                                f"按默认 {days} 个工作日,截止日期为 {deadline:%Y年%m月%d日}。",
                                className="text-muted small",
                            ),
                        ]
                    ),
                ],
            )
        ),
        className="mb-3 border-primary",
        id=Ids.NEW,
    )


def _suggested_problem(query: dict, names: dict[str, str]) -> str:
    """The figure the form was opened from, in words (the official adds the rest)."""
    key = query.get("indicator") or ""
    indicator = indicator_label(key) if key else ""
    if not indicator:
        return ""
    where = names.get(query.get("town") or "", "") + (query.get("dept") or "")
    period = f"({query['from']} 至 {query['to']})" if query.get("from") and query.get("to") else ""
    return f"{where}{indicator}{period}:"


def _table(viewer, shown, steps, names, manager: bool, today: date, opened: str | None):
    head = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in ("编号", "来源", "乡镇", "部门", "问题", "截止日期", "状态", "最近进展")
            ]
        )
    )
    body = []
    for x in shown:
        history = steps.get(x.id, [])
        last = history[-1] if history else None
        late = x.overdue(today)
        deadline = [html.Div(f"{x.deadline:%Y-%m-%d}")]
        if late:
            deadline.append(
                html.Div(f"逾期 {x.overdue_workdays(today)} 个工作日", className="small fw-bold")
            )
        elif x.closed_late():
            deadline.append(html.Div("逾期销号", className="small"))
        problem = [html.Div(x.problem, style={"whiteSpace": "pre-wrap"})]
        if x.ref:
            problem.append(html.Div(f"关联编号 {x.ref}", className="small text-muted"))
        if x.rows_href:
            problem.append(html.A("查看明细", href=x.rows_href, className="small"))
        body.append(
            html.Tr(
                [
                    html.Td(str(x.id)),
                    html.Td(x.source_label),
                    html.Td(names.get(x.town_code or "", "县级部门")),
                    html.Td(x.dept_name or "—"),
                    html.Td(problem, style={"maxWidth": "28rem"}),
                    html.Td(deadline, className="text-danger" if late else ""),
                    html.Td(dbc.Badge(x.status, color=STATUS_COLORS[x.status])),
                    html.Td(
                        [
                            html.Div(
                                last.note, className="small", style={"whiteSpace": "pre-wrap"}
                            ),
                            html.Div(
                                f"{last.by_user} · {last.at[:16]}", className="small text-muted"
                            ),
                        ]
                        if last
                        else ""
                    ),
                ],
                id=f"item-{x.id}",
                className="table-danger" if late else "",
            )
        )
        body.append(
            html.Tr(
                html.Td(
                    _details(viewer, x, history, manager, str(x.id) == opened),
                    colSpan=8,
                    className="pt-0 border-top-0",
                ),
                className="table-danger" if late else "",
            )
        )
    return dbc.Table(
        [head, html.Tbody(body)], id=Ids.TABLE, size="sm", className="align-middle ledger-table"
    )


def _details(viewer, x: ledger.Item, history, manager: bool, is_open: bool) -> html.Details:
    timeline = html.Ol(
        [
            html.Li(
                [
                    html.Strong(s.status, className="me-2"),
                    html.Span(f"{s.at[:16]} · {s.by_user}", className="text-muted small me-2"),
                    html.Span(s.note, style={"whiteSpace": "pre-wrap"}),
                ]
            )
            for s in history
        ],
        className="small mb-2",
    )
    forms = []
    if x.status != ledger.CLOSED:
        if may_see_town(viewer, x.town_code) and viewer.role in ("admin", "city", "county", "town"):
            forms.append(
                _step_form(x.id, ledger.IN_PROGRESS, "提交整改情况", "整改措施和完成情况(证据)")
            )
        if manager:
            forms.append(_step_form(x.id, ledger.CLOSED, "销号", "核查意见", "btn-success"))
            if x.status == ledger.IN_PROGRESS:
                forms.append(
                    _step_form(x.id, ledger.OPEN, "退回整改", "退回原因", "btn-outline-danger")
                )
    return html.Details(
        [html.Summary(f"进展记录({len(history)})与操作", className="small"), timeline, *forms],
        open=is_open,
    )


def _step_form(item_id: int, status: str, label: str, hint: str, button: str = "btn-primary"):
    return post_form(
        f"/manage/ledger/{item_id}/step",
        [
            hidden("status", status),
            dbc.Textarea(name="note", placeholder=hint, rows=2, required=True, maxLength=2000),
            html.Button(label, type="submit", className=f"btn btn-sm {button} ms-2"),
        ],
        className="d-flex align-items-start mb-2 ledger-step",
        **{"data-status": status},
    )
