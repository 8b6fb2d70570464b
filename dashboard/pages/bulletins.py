"""通报: the archive of monthly and quarterly bulletins (PDF, `pulse bulletin`), and a preview
of the last month's and quarter's in the browser (county staff)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.components.manage import flash_alert, hidden, note, post_form
from dashboard.manage import bulletin
from dashboard.snapshot import archive
from dashboard.store import StoreEmpty, default_store

dash.register_page(
    __name__,
    path="/bulletins",
    name="通报",
    title="通报 · 政务服务效能看板",
    order=88,
    roles=("admin", "city", "county"),
)

ROUTE = "/manage/bulletins/"


class Ids:
    TABLE = "bulletins-table"
    PREVIEW = "bulletins-preview"


def layout(**query) -> html.Div:
    from dashboard.domain.metrics import default_as_of

    children: list = [
        html.H2("通报", className="mb-1"),
        note(
            "每月、每季度的政务服务效能通报:总体情况、红黑榜(含名次升降)、表扬和批评(按统一模板"
            "由数字生成)、整改落实情况和体外循环部门。每份 PDF 生成后存档于下表;"
            "也可由信息中心用命令 pulse bulletin --month YYYY-MM 或 --quarter YYYY-Qn 生成。"
        ),
    ]
    try:
        as_of = default_as_of(default_store())
    except (StoreEmpty, ValueError):
        return html.Div([*children, dbc.Alert("尚未导入数据。", color="info")])
    flashed = flash_alert(query)
    if flashed is not None:
        children.append(flashed)
    previews = []
    for kind in ("month", "quarter"):
        request = bulletin.BulletinRequest.last(kind, as_of)
        previews.append(
            html.Div(
                [
                    html.Span(f"{request.period.label}通报", className="me-2 fw-bold"),
                    html.A(
                        "预览",
                        href=bulletin.PRINT_PATH + request.query(),
                        target="_blank",
                        className="btn btn-sm btn-outline-primary me-2",
                    ),
                    post_form(
                        "/manage/bulletins/make",
                        [
                            hidden("kind", kind),
                            hidden("key", request.key),
                            html.Button(
                                "生成 PDF", type="submit", className="btn btn-sm btn-primary"
                            ),
                        ],
                        className="d-inline",
                    ),
                ],
                className="me-4 d-flex align-items-center",
            )
        )
    children.append(html.Div(previews, id=Ids.PREVIEW, className="mb-3 d-flex"))
    entries = archive.read_index(bulletin.archive_dir())
    if not entries:
        children.append(dbc.Alert("通报存档为空。", color="light", id=Ids.TABLE))
        return html.Div(children)
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("期间", "类型", "数据截至", "生成时间", "文件")])
    )
    rows = [
        html.Tr(
            [
                html.Td(e.get("period_label") or f"{e['from']} 至 {e['to']}"),
                html.Td(e.get("title") or ""),
                html.Td(str(e.get("as_of") or "")[:16]),
                html.Td(str(e.get("generated_at") or "")[:16]),
                html.Td(
                    [
                        html.A(
                            "下载",
                            href=ROUTE + e["file"],
                            className="me-3",
                            **{"data-file": e["file"]},
                        ),
                        html.A("查看", href=ROUTE + e["file"] + "?inline=1", target="_blank"),
                    ]
                ),
            ]
        )
        for e in entries
    ]
    children.append(
        dbc.Table([head, html.Tbody(rows)], id=Ids.TABLE, striped=True, size="sm", hover=True)
    )
    return html.Div(children)
