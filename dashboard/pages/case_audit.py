"""办件抽查: the monthly random audit of cases (dashboard/manage/audit_sample.py).

County staff draw the month's sample (N cases per department) and record each check as 合格
or 不合格 with a note; a 不合格 finding opens a ledger item. Town officials see their own
towns' sample and results. Summaries per town and per department; CSV export.
"""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth import access
from dashboard.components.manage import flash_alert, hidden, month_chooser, note, post_form
from dashboard.manage import audit_sample, ledger
from dashboard.manage.common import (
    MANAGERS,
    ManageError,
    month_label,
    parse_month,
    recent_months,
)
from dashboard.manage_routes import default_month
from dashboard.store import StoreEmpty, default_store

dash.register_page(
    __name__,
    path="/case-audit",
    name="办件抽查",
    title="办件抽查 · 政务服务效能看板",
    order=82,
    roles=("admin", "city", "county", "town"),
)


class Ids:
    STATUS = "case-audit-status"
    TOWNS = "case-audit-towns"
    DEPTS = "case-audit-depts"
    CASES = "case-audit-cases"


def layout(**query) -> html.Div:
    viewer = access.current()
    manager = viewer.role in MANAGERS and viewer.whole_county
    month = query.get("month") or default_month()
    try:
        parse_month(month)
    except ManageError as exc:
        return html.Div([html.H2("办件抽查"), dbc.Alert(str(exc), color="warning")])
    store = default_store()
    try:
        names = dict(store.sql("select town_code, town_name from towns", public=True).iter_rows())
        info = audit_sample.draw_info(month)
        if info is not None:
            rows = audit_sample.drawn(viewer, month)
        else:
            rows = audit_sample.sample(store, month).to_dicts()
    except StoreEmpty:
        return html.Div([html.H2("办件抽查"), dbc.Alert("尚未导入数据。", color="info")])
    found = audit_sample.results(viewer, month) if info is not None else {}
    towns = sorted({r["town_code"] for r in rows})
    town = query.get("town") if query.get("town") in towns else (towns[0] if towns else "")
    per_dept = audit_sample.per_dept_default()
    checks = audit_sample.checks()
    children = [
        html.H2("办件抽查", className="mb-1"),
        note(
            f"每月从每个部门(乡镇 × 部门)当月受理的办件中抽取 {per_dept} 件"
            f"(不足 {per_dept} 件的全部抽取),"
            f"检查{'、'.join(checks)}。抽样顺序由本系统密钥和月份决定,同一月份重复抽取结果相同;"
            "县级用户确定抽样后,样本保持不变。"
        ),
    ]
    flashed = flash_alert(query)
    if flashed is not None:
        children.append(flashed)
    try:
        as_of_day = _as_of_day(store)
    except ValueError:
        as_of_day = date.today()
    months = recent_months(as_of_day)
    if month not in months:
        months.append(month)
    children.append(
        html.Div(
            [
                month_chooser("/case-audit", months, month),
                html.A(
                    "导出 CSV",
                    href=f"/manage/case-audit.csv?month={month}",
                    className="btn btn-sm btn-outline-primary",
                ),
            ],
            className="d-flex justify-content-between align-items-center mb-2",
        )
    )
    children.append(_status(month, info, rows, manager))
    if not rows:
        return html.Div(children)
    by_dept, by_town = audit_sample.summaries(rows, found)
    children.append(html.H4(f"{month_label(month)} 各乡镇抽查情况", className="mt-3"))
    children.append(_town_table(by_town, names, month, town, checks))
    mine = [r for r in rows if r["town_code"] == town]
    depts = [d for d in by_dept if d["town_code"] == town]
    children.append(html.H4(f"{names.get(town, town)} · 各部门", className="mt-3"))
    children.append(_dept_table(depts, checks))
    children.append(
        html.H4(f"{names.get(town, town)} · 抽查办件({len(mine)} 件)", className="mt-3")
    )
    children.append(_cases(mine, found, checks, month, town, manager and info is not None))
    return html.Div(children)


def _as_of_day(store) -> date:
    from dashboard.domain.metrics import default_as_of

    return default_as_of(store).date()


def _status(month: str, info, rows: list[dict], manager: bool) -> html.Div:
    if info is not None:
        depts = len({(r["town_code"], r["dept_name"]) for r in rows})  # the viewer's towns
        return dbc.Alert(
            f"{month_label(month)}样本已于 {info.drawn_at[:16]} 由 {info.drawn_by} 确定:"
            f"{depts} 个部门,共 {len(rows)} 件。",
            color="light",
            id=Ids.STATUS,
        )
    if not rows:
        return dbc.Alert(f"{month_label(month)}没有受理的办件。", color="light", id=Ids.STATUS)
    depts = len({(r["town_code"], r["dept_name"]) for r in rows})
    text = (
        f"{month_label(month)}尚未确定抽样。以下为按现有数据抽取的预览:"
        f"{depts} 个部门,共 {len(rows)} 件。"
    )
    children: list = [html.Span(text, className="me-3")]
    if manager:
        children.append(
            post_form(
                "/manage/case-audit/draw",
                [
                    hidden("month", month),
                    html.Button("确定本月抽样", type="submit", className="btn btn-sm btn-primary"),
                ],
                className="d-inline",
            )
        )
    return dbc.Alert(children, color="info", id=Ids.STATUS, className="d-flex align-items-center")


def _town_table(by_town: list[dict], names: dict, month: str, chosen: str, checks) -> dbc.Table:
    head = ["乡镇", "抽取", "已查完", "有问题办件", "不合格项", *(f"{c}合格" for c in checks)]
    body = []
    for t in sorted(by_town, key=lambda x: x["town_code"]):
        link = html.A(
            names.get(t["town_code"], t["town_code"]),
            href=f"/case-audit?month={month}&town={t['town_code']}",
            className="fw-bold" if t["town_code"] == chosen else "",
        )
        body.append(
            html.Tr(
                [
                    html.Td(link),
                    *(
                        html.Td(f"{t[k]:,}", className="text-end")
                        for k in ("drawn", "checked", "failed_cases", "findings")
                    ),
                    *(html.Td(f"{t[f'pass:{c}']:,}", className="text-end") for c in checks),
                ],
                className="table-warning" if t["failed_cases"] else "",
            )
        )
    return _summary_table(head, body, Ids.TOWNS)


def _dept_table(depts: list[dict], checks) -> dbc.Table:
    head = ["部门", "抽取", "已查完", "有问题办件", "不合格项", *(f"{c}合格" for c in checks)]
    body = [
        html.Tr(
            [
                html.Td(d["dept_name"]),
                *(
                    html.Td(f"{d[k]:,}", className="text-end")
                    for k in ("drawn", "checked", "failed_cases", "findings")
                ),
                *(html.Td(f"{d[f'pass:{c}']:,}", className="text-end") for c in checks),
            ]
        )
        for d in depts
    ]
    return _summary_table(head, body, Ids.DEPTS)


def _summary_table(head: list[str], body: list, table_id: str) -> dbc.Table:
    cells = [html.Th(h, className="text-end" if i else "") for i, h in enumerate(head)]
    return dbc.Table(
        [html.Thead(html.Tr(cells)), html.Tbody(body)],
        size="sm",
        striped=True,
        id=table_id,
        className="w-auto case-audit-summary",
    )


def _when(value) -> str:
    return str(value)[:16] if value else "—"


def _cases(rows, found, checks, month: str, town: str, editable: bool) -> html.Div:
    out = []
    for r in rows:
        info = html.Div(
            [
                html.Div(
                    [
                        html.Strong(r["case_id"], className="me-2"),
                        html.Span(r["dept_name"], className="badge bg-secondary me-2"),
                        *(
                            [html.Span(r["window_name"], className="badge bg-light text-dark")]
                            if r.get("window_name")
                            else []
                        ),
                    ]
                ),
                html.Div(r["item_name"] or "", className="small"),
                html.Div(
                    f"{r['channel'] or ''} · 受理 {_when(r['accepted_at'])} · "
                    f"办结 {_when(r['completed_at'])} · {r['status'] or ''}",
                    className="small text-muted",
                ),
            ],
            className="case-audit-info",
        )
        cells = []
        failures = []
        for c in checks:
            o = found.get((r["case_id"], c))
            if o and o["result"] == audit_sample.FAIL:
                failures.append(f"{c}:{o['note']}")
            if editable:
                cells.append(
                    html.Div(
                        [
                            html.Div(c, className="small text-muted"),
                            dbc.Select(
                                name=f"result:{c}",
                                value=o["result"] if o else audit_sample.UNCHECKED,
                                options=[
                                    {"label": "未查", "value": audit_sample.UNCHECKED},
                                    {"label": "合格", "value": audit_sample.PASS},
                                    {"label": "不合格", "value": audit_sample.FAIL},
                                ],
                                size="sm",
                            ),
                            dbc.Input(
                                name=f"note:{c}",
                                value=o["note"] if o else "",
                                placeholder="说明(不合格必填)",
                                size="sm",
                                maxLength=2000,
                                className="mt-1",
                            ),
                        ],
                        className="case-audit-check",
                    )
                )
            else:
                text = o["result"] if o else "未查"
                color = {"合格": "text-success", "不合格": "text-danger fw-bold"}.get(
                    text, "text-muted"
                )
                cells.append(
                    html.Div(
                        [
                            html.Div(c, className="small text-muted"),
                            html.Div(text, className=color),
                            html.Div(o["note"] if o else "", className="small"),
                        ],
                        className="case-audit-check",
                    )
                )
        actions = []
        if editable:
            actions.append(html.Button("保存", type="submit", className="btn btn-sm btn-primary"))
        if failures and editable:
            href = ledger.new_item_href(
                "audit",
                town=r["town_code"],
                dept=r["dept_name"],
                indicator="cases",
                period=parse_month(month),
                ref=r["case_id"],
                problem=f"办件抽查({month_label(month)})不合格:{r['case_id']} "
                + ";".join(failures),
            )
            actions.append(
                html.A("立项整改", href=href, className="btn btn-sm btn-outline-danger mt-1")
            )
        checked = [found.get((r["case_id"], c)) for c in checks]
        by = next((o for o in checked if o), None)
        if by:
            actions.append(
                html.Div(
                    [html.Div(by["checked_by"]), html.Div(by["checked_at"][:16])],
                    className="small text-muted mt-1",
                )
            )
        body = [info, *cells, html.Div(actions, className="case-audit-actions")]
        row_class = "case-audit-row" + (" has-failure" if failures else "")
        if editable:
            out.append(
                post_form(
                    "/manage/case-audit/check",
                    [
                        hidden("month", month),
                        hidden("case_id", r["case_id"]),
                        hidden("town_filter", town),
                        *body,
                    ],
                    className=row_class,
                    id=f"case-{r['case_id']}",
                )
            )
        else:
            out.append(html.Div(body, className=row_class, id=f"case-{r['case_id']}"))
    # as many columns as there are checks (setting audit_sample.checks)
    return html.Div(
        out, id=Ids.CASES, className="case-audit-list", style={"--checks": str(len(checks))}
    )
