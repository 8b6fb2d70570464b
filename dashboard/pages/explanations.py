"""书面说明: each month, the departments (and windows) whose 评价率 or 满意度 is below its
threshold, with their figures (dashboard/manage/explanations.py); town officials explain each
line of their towns, county staff read and export them."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth import access
from dashboard.components.format import fmt
from dashboard.components.manage import flash_alert, hidden, month_chooser, note, post_form
from dashboard.manage import explanations
from dashboard.manage.common import ManageError, may_see_town, month_label, recent_months
from dashboard.manage.explanations import anchor
from dashboard.manage_routes import default_month
from dashboard.store import StoreEmpty, default_store

dash.register_page(
    __name__,
    path="/explanations",
    name="书面说明",
    title="书面说明 · 政务服务效能看板",
    order=86,
    roles=("admin", "city", "county", "town"),
)


class Ids:
    TABLE = "explanations-table"
    SUMMARY = "explanations-summary"


def layout(**query) -> html.Div:
    viewer = access.current()
    month = query.get("month") or default_month()
    store = default_store()
    eval_below, sat_below = explanations.thresholds()
    children = [
        html.H2("书面说明", className="mb-1"),
        note(
            f"对出现漏评(评价率低于 {eval_below:.0%})以及群众满意度低于 {sat_below:.0%} 的部门"
            "(办件带有受理窗口时也按窗口)须作出书面说明。数字与总览、乡镇页同一口径;"
            "乡镇用户填写本乡镇的说明,县级用户查看和导出。"
        ),
    ]
    flashed = flash_alert(query)
    if flashed is not None:
        children.append(flashed)
    try:
        found = explanations.lines(store, month)
        as_of_day = _as_of_day(store)
    except ManageError as exc:
        return html.Div([*children, dbc.Alert(str(exc), color="warning")])
    except (StoreEmpty, ValueError):
        return html.Div([*children, dbc.Alert("尚未导入数据。", color="info")])
    notes = explanations.recorded(viewer, month)
    months = recent_months(as_of_day)
    if month not in months:
        months.append(month)
    done = sum(1 for line in found if line.key in notes)
    children += [
        html.Div(
            [
                month_chooser("/explanations", months, month),
                html.A(
                    "导出 CSV",
                    href=f"/manage/explanations.csv?month={month}",
                    className="btn btn-sm btn-outline-primary",
                ),
            ],
            className="d-flex justify-content-between align-items-center mb-2",
        ),
        html.P(
            f"{month_label(month)}:须说明 {len(found)} 项,已填写 {done} 项,"
            f"未填写 {len(found) - done} 项。",
            id=Ids.SUMMARY,
            className="fw-bold",
        ),
    ]
    if not found:
        children.append(dbc.Alert("本月没有需要书面说明的部门。", color="success", id=Ids.TABLE))
        return html.Div(children)
    towns = sorted({line.town_code for line in found})
    chosen = query.get("town") if query.get("town") in towns else None
    if len(towns) > 1:
        children.append(_towns(found, notes, month, chosen))
    shown = [line for line in found if chosen is None or line.town_code == chosen]
    children.append(_table(viewer, shown, notes, month, writer=viewer.role == "town"))
    return html.Div(children)


def _towns(found, notes, month: str, chosen: str | None) -> html.Div:
    """Per town: lines to explain and explained; each name shows that town's lines."""
    counts: dict[str, list] = {}
    for line in found:
        entry = counts.setdefault(line.town_code, [line.town_name, 0, 0])
        entry[1] += 1
        entry[2] += line.key in notes
    links = [
        html.A(
            f"全部 {len(found)}",
            href=f"/explanations?month={month}",
            className="btn btn-sm me-2 mb-1 "
            + ("btn-primary" if chosen is None else "btn-outline-secondary"),
        )
    ]
    for code, (name, n, done) in sorted(counts.items()):
        style = (
            "btn-primary"
            if code == chosen
            else ("btn-outline-success" if done == n else "btn-outline-danger")
        )
        links.append(
            html.A(
                f"{name} {done}/{n}",
                href=f"/explanations?month={month}&town={code}",
                className=f"btn btn-sm me-2 mb-1 {style}",
                title=f"已填写 {done} 项,共 {n} 项",
            )
        )
    return html.Div(
        [html.Span("按乡镇(已填写/须说明):", className="small me-2"), *links], className="mb-2"
    )


def _as_of_day(store) -> date:
    from dashboard.domain.metrics import default_as_of

    return default_as_of(store).date()


def _table(viewer, found, notes, month: str, writer: bool) -> dbc.Table:
    """The lines; a town official's empty forms are open, county staff's folded."""
    head = [
        "乡镇",
        "部门",
        "受理窗口",
        "办结量",
        "已评价",
        "评价率",
        "评价数",
        "满意度",
        "原因",
        "书面说明",
    ]
    body = []
    for line in found:
        recorded = notes.get(line.key)
        editable = may_see_town(viewer, line.town_code) and viewer.role in (
            "admin",
            "county",
            "town",
        )
        cell: list = []
        if recorded:
            cell.append(html.Div(recorded["text"], style={"whiteSpace": "pre-wrap"}))
            cell.append(
                html.Div(
                    f"{recorded['by_user']} · {recorded['at'][:16]}", className="small text-muted"
                )
            )
        if editable:
            cell.append(
                html.Details(
                    [
                        html.Summary("修改说明" if recorded else "填写说明", className="small"),
                        post_form(
                            "/manage/explanations",
                            [
                                hidden("month", month),
                                hidden("town", line.town_code),
                                hidden("dept", line.dept_name),
                                hidden("window", line.window_name),
                                dbc.Textarea(
                                    name="text",
                                    value=recorded["text"] if recorded else "",
                                    rows=2,
                                    required=True,
                                    maxLength=2000,
                                    placeholder="原因及整改措施",
                                ),
                                html.Button(
                                    "保存", type="submit", className="btn btn-sm btn-primary mt-1"
                                ),
                            ],
                        ),
                    ],
                    open=writer and not recorded,
                )
            )
        elif not recorded:
            cell.append(html.Span("未填写", className="text-danger"))
        body.append(
            html.Tr(
                [
                    html.Td(line.town_name),
                    html.Td(line.dept_name),
                    html.Td(line.window_name or "(部门)"),
                    html.Td(f"{line.completed:,}", className="text-end"),
                    html.Td(
                        "—" if line.evaluated is None else f"{line.evaluated:,}",
                        className="text-end",
                    ),
                    html.Td(fmt("evaluation_rate", line.evaluation_rate), className="text-end"),
                    html.Td(f"{line.evaluations:,}", className="text-end"),
                    html.Td(fmt("satisfaction_rate", line.satisfaction_rate), className="text-end"),
                    html.Td(";".join(line.reasons), className="small"),
                    html.Td(cell, style={"minWidth": "18rem"}),
                ],
                id=f"line-{anchor(line.town_code, line.dept_name, line.window_name)}",
                className="" if recorded else "table-warning",
            )
        )
    numeric = {"办结量", "已评价", "评价率", "评价数", "满意度"}
    cells = [html.Th(h, className="text-end" if h in numeric else "") for h in head]
    return dbc.Table(
        [html.Thead(html.Tr(cells)), html.Tbody(body)],
        size="sm",
        id=Ids.TABLE,
        className="align-middle",
    )
