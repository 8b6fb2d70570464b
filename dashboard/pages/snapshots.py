"""周报: the archive of weekly PDF snapshots (dashboard/snapshot/archive.py) for download,
newest first, with what each covers, its 数据截至 and whether it was e-mailed."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth import access
from dashboard.snapshot import archive

dash.register_page(
    __name__, path="/snapshots", name="周报", title="周报 · 政务服务效能看板", order=80
)


class Ids:
    TABLE = "snapshots-table"


def layout(**_query) -> html.Div:
    entries = archive.visible(archive.read_index(), access.current().towns)
    intro = html.P(
        [
            "每周一自动生成上一周(周一至周日)的周报 PDF,全县一份",
            "、各乡镇各一份(如已配置)。命令行: ",
            html.Code("pulse snapshot --week 2026-W47 [--town 乡镇代码]"),
            "。",
        ],
        className="text-muted",
    )
    if not entries:
        return html.Div(
            [
                html.H2("周报", className="mb-3"),
                intro,
                dbc.Alert(
                    "周报存档为空。运行 pulse snapshot 或 pulse schedule 生成。", color="info"
                ),
            ]
        )
    head = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("期间", "范围", "数据截至", "生成时间", "大小", "邮件", "文件")]
        )
    )
    rows = [_row(e) for e in entries]
    return html.Div(
        [
            html.H2("周报", className="mb-3"),
            intro,
            dbc.Table(
                [head, html.Tbody(rows)],
                id=Ids.TABLE,
                striped=True,
                hover=True,
                size="sm",
                className="align-middle",
            ),
        ]
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
