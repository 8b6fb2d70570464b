"""周报: the archive of weekly PDF snapshots (dashboard/snapshot/archive.py) for download,
newest first, with what each covers, its 数据截至 and whether it was e-mailed.

An empty archive says when reports appear and whom to ask — never a command to run. Admins
also get a button that makes last week's county report now (dashboard/snapshot/button.py:
its callback is admin-only; the work runs in a process of its own, dashboard/snapshot/job.py);
while it runs the page says 正在生成… and polls, and the archive refreshes when it is done.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.auth import access
from dashboard.snapshot import archive, job
from dashboard.snapshot import button as admin_button

dash.register_page(
    __name__, path="/snapshots", name="周报", title="周报 · 政务服务效能看板", order=80
)

POLL_MS = 2000
admin_button.register()  # the button's callback: admins only (see dashboard/snapshot/button.py)


class Ids:
    TABLE = "snapshots-table"
    ARCHIVE = "snapshots-archive"
    EMPTY = "snapshots-empty"
    POLL = "snapshots-poll"
    JOB = admin_button.Ids.JOB
    PRODUCE = admin_button.Ids.PRODUCE
    STARTED = admin_button.Ids.STARTED


def layout(**_query) -> html.Div:
    viewer = access.current()
    admin = viewer.role == "admin"
    intro = html.P(
        "每周一自动生成上一周(周一至周日)的周报 PDF:全县一份,已配置时各乡镇各一份。"
        "可在此下载或在线查看。",
        className="text-muted",
    )
    # the button, its state and the polling exist for admins only (nobody else's page has
    # an input of follow_job, so it never runs there)
    controls = []
    if admin:
        state = job.status()
        poll = dcc.Interval(id=Ids.POLL, interval=POLL_MS, disabled=not state.busy)
        controls = [admin_button.controls(state), poll]
    return html.Div(
        [
            html.H2("周报", className="mb-3"),
            intro,
            *controls,
            html.Div(archive_view(viewer, admin), id=Ids.ARCHIVE),
        ]
    )


def archive_view(viewer: access.Access, admin: bool) -> html.Div | dbc.Table:
    entries = archive.visible(archive.read_index(), viewer.towns)
    if not entries:
        return empty_state(viewer, admin)
    head = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("期间", "范围", "数据截至", "生成时间", "大小", "邮件", "文件")]
        )
    )
    return dbc.Table(
        [head, html.Tbody([_row(e) for e in entries])],
        id=Ids.TABLE,
        striped=True,
        hover=True,
        size="sm",
        className="align-middle",
    )


def empty_state(viewer: access.Access, admin: bool) -> html.Div:
    if admin:
        what = "点击上方“生成上周周报”,立即生成上一周的全县周报,约需一两分钟。"
    elif viewer.towns is not None:
        what = "本乡镇的周报需由管理员开启“各乡镇周报”后才会生成;如有需要,请联系系统管理员。"
    else:
        what = "周报会在每周一早上自动生成;如需提前查看,请联系系统管理员。"
    return html.Div(
        [
            html.H3("还没有周报", className="h5"),
            html.P("周报生成后会出现在这里,可下载 PDF 或在线查看。", className="mb-1"),
            html.P(what, className="text-muted mb-0"),
        ],
        id=Ids.EMPTY,
        className="border rounded p-4 bg-light",
    )


@callback(
    Output(Ids.JOB, "children"),
    Output(Ids.POLL, "disabled"),
    Output(Ids.ARCHIVE, "children"),
    Output(Ids.PRODUCE, "disabled"),
    Input(Ids.POLL, "n_intervals"),
    Input(Ids.STARTED, "data"),
    prevent_initial_call=True,
)
def follow_job(_ticks, _started):
    """While a report is being made: its state, every POLL_MS; then the refreshed archive."""
    viewer = access.current()
    admin = viewer.role == "admin"
    if not admin:  # the controls are an admin's: nobody else polls or sees them
        return "", True, archive_view(viewer, admin), True
    state = job.status()
    return (
        admin_button.describe(state),
        not state.busy,
        archive_view(viewer, admin),
        state.busy,
    )


def _row(e: dict) -> html.Tr:
    url = archive.ROUTE + e["file"]
    period = e.get("period_label") or f"{e['from']} 至 {e['to']}"
    if e.get("complete") is False:
        period += "(数据不完整)"
    return html.Tr(
        [
            html.Td(period),
            html.Td(e.get("town_name") or "全县"),
            html.Td(str(e.get("as_of") or "")[:16]),
            html.Td(str(e.get("generated_at") or "")[:16]),
            html.Td(f"{e.get('bytes', 0) / 1024:,.0f} KB", className="text-end"),
            html.Td(_deliveries(e.get("deliveries") or [])),
            html.Td(
                [
                    html.A("下载", href=url, className="me-3", **{"data-file": e["file"]}),
                    html.A("查看", href=url + "?inline=1", target="_blank"),
                ]
            ),
        ],
        **{"data-file": e["file"]},
    )


def _deliveries(items: list[dict]) -> str:
    if not items:
        return "—"
    last = items[-1]
    to = "、".join(last.get("to") or [])
    if last.get("ok"):
        return f"已发送 {to}({str(last.get('at'))[:16]})"
    return f"发送失败 {to}:{last.get('error') or ''}"
