"""通报 (print): the monthly or quarterly bulletin as one page that headless Chromium prints to
an A4 portrait PDF (dashboard/manage/bulletin.py produce(), the weekly report's renderer).
Query: ?kind=month|quarter&period=custom&from=…&to=…

The analyst shell is hidden (dashboard.app BARE_PATHS); assets/bulletin.css lays it out. The
page carries the weekly report's ready signal: its root is `report-root` and its poll
`report-ready-poll`, so the report page's clientside callback (dashboard/pages/report.py)
marks document.body ready — or failed, with data-report-error — for the renderer.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import dash
import flask
from dash import dcc, html

from dashboard.auth import access
from dashboard.components.format import delta, fmt, improved, status, target
from dashboard.domain import indicators, ranking
from dashboard.domain.windows import FLAG, LAGGING
from dashboard.domain.windows import RANK_BY as RANK_BY_WINDOW
from dashboard.errors import RequestError
from dashboard.manage import bulletin
from dashboard.manage.common import ManageError
from dashboard.store import default_store

dash.register_page(
    __name__,
    path=bulletin.PRINT_PATH,
    name="通报打印",
    title="通报 · 政务服务效能看板",
    nav=False,
    roles=("admin", "city", "county", "job"),
)

log = logging.getLogger(__name__)

ROOT = "report-root"  # the ids the report page's ready signal watches
POLL = "report-ready-poll"
SUMMARY = (
    "cases",
    "online_rate",
    "on_time_rate",
    "satisfaction_rate",
    "evaluation_rate",
    "rectify_rate",
    "overdue_open",
    "warning_open",
    "hotline_tickets",
    "hotline_satisfaction_rate",
    "hotline_on_time_rate",
    "hotline_overdue_open",
)
RANK_COLUMNS = ("on_time_rate", "satisfaction_rate", "evaluation_rate", "overdue_open")
NUMBERS = "一二三四五六七八九十"


def layout(**query: Any) -> html.Div:
    poll = dcc.Interval(id=POLL, interval=150, n_intervals=0)
    try:
        request = bulletin.BulletinRequest.from_args(query)
        b = bulletin.gather(default_store(), request, access.current())
        sections = _Sections(b).all()
    except Exception as exc:
        if isinstance(exc, RequestError | ManageError | ValueError):
            message = exc.message if isinstance(exc, RequestError) else str(exc)
            log.warning("bulletin refused for %s: %s", query, message)
        else:
            rid = flask.g.get("request_id", "-") if flask.has_request_context() else "-"
            log.exception("bulletin failed for %s (request %s)", query, rid)
            message = f"通报生成时出错,已记录(请求编号 {rid})"
        return html.Div(
            [html.H3("通报生成失败"), html.Pre(message), poll],
            id=ROOT,
            className="bulletin report-failed",
            **{"data-report-error": message},
        )
    return html.Div(
        [*sections, poll],
        id=ROOT,
        className="bulletin",
        **{"data-graphs": "0", "data-meta": json.dumps(b.meta(), ensure_ascii=False)},
    )


def _table(headers: list[str], rows: list[list[Any]], cls: str = "") -> html.Table:
    def cell(v: Any):
        if isinstance(v, html.Td):
            return v
        return html.Td("—" if v is None or v == "" else v)

    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([cell(v) for v in row]) for row in rows]),
        ],
        className=f"bt {cls}".strip(),
    )


def _num(text: str, cls: str = "") -> html.Td:
    return html.Td(text, className=f"num {cls}".strip())


class _Sections:
    def __init__(self, b: bulletin.Bulletin):
        self.b = b
        self.n = 0

    def heading(self, text: str) -> html.H2:
        self.n += 1
        return html.H2(f"{NUMBERS[self.n - 1]}、{text}")

    def all(self) -> list:
        return [
            self.head(),
            self.overall(),
            self.boards(),
            self.windows(),
            self.praise(),
            self.criticism(),
            self.rectification(),
            self.outside(),
            self.source(),
        ]

    def head(self) -> html.Header:
        b = self.b
        issuer = b.issuer or b.county
        notes = []
        if not b.complete:
            notes.append(
                html.P(
                    f"注意:数据截至 {b.as_of:%Y-%m-%d %H:%M},{b.period.label}尚未结束,数据不完整。",
                    className="bulletin-warning",
                )
            )
        return html.Header(
            [
                html.Div(issuer, className="bulletin-issuer"),
                html.Div(
                    f"政务服务效能{bulletin.KINDS[b.request.kind]}通报", className="bulletin-kind"
                ),
                html.Hr(className="bulletin-rule"),
                html.H1(b.title, className="bulletin-title"),
                html.P(
                    f"统计期间 {b.period.start:%Y年%m月%d日} 至 {b.period.end:%Y年%m月%d日};"
                    f"数据截至 {b.as_of:%Y-%m-%d %H:%M};对比期为{b.previous.label};"
                    f"{b.generated_at:%Y年%m月%d日}生成。",
                    className="bulletin-meta",
                ),
                *notes,
            ],
            className="bulletin-head",
        )

    def overall(self) -> html.Section:
        b = self.b
        now, before = b.county_now, b.county_before
        text = (
            f"{b.period.label},全县受理办件 {fmt('cases', now['cases'])} 件"
            f"(上期 {fmt('cases', before['cases'])} 件),"
            f"网办率 {fmt('online_rate', now['online_rate'])},"
            f"按时办结率 {fmt('on_time_rate', now['on_time_rate'])},"
            f"满意度 {fmt('satisfaction_rate', now['satisfaction_rate'])},"
            f"评价率 {fmt('evaluation_rate', now['evaluation_rate'])};"
            f"本期受理的办件截至 {b.as_of:%m月%d日 %H:%M} 超期未办结 "
            f"{fmt('overdue_open', now['overdue_open'])} 件、"
            f"超时预警 {fmt('warning_open', now['warning_open'])} 件。"
            f"12345 热线工单 {fmt('hotline_tickets', now['hotline_tickets'])} 件,"
            f"满意率 {fmt('hotline_satisfaction_rate', now['hotline_satisfaction_rate'])},"
            f"超期未办结 {fmt('hotline_overdue_open', now['hotline_overdue_open'])} 件。"
        )
        rows = []
        for k in SUMMARY:
            better = improved(k, now[k], before[k])
            lower = indicators.BY_KEY[k].better == "lower"
            goal = "0" if lower else (fmt(k, target(k)) if target(k) else "—")
            rows.append(
                [
                    indicators.label(k),
                    _num(fmt(k, now[k]), f"rag-{status(k, now[k])}"),
                    _num(fmt(k, before[k])),
                    _num(
                        delta(k, now[k], before[k]),
                        {True: "up", False: "down", None: ""}[better],
                    ),
                    _num(goal),
                ]
            )
        return html.Section(
            [
                self.heading("总体情况"),
                html.P(text, className="bulletin-text"),
                _table(["指标", "本期", "上期", "变化", "目标"], rows, "bt-summary"),
            ]
        )

    def boards(self) -> html.Section:
        b = self.b
        by = indicators.label(b.rank_by)
        headers = [
            "名次",
            "升降",
            "乡镇",
            by,
            *(indicators.label(c) for c in RANK_COLUMNS),
            "榜单",
        ]
        rows = []
        for x in b.ranked:
            board = html.Td(
                x.board, className={"红榜": "board-red", "黑榜": "board-black"}.get(x.board, "")
            )
            rows.append(
                [
                    _num(str(x.rank) if x.rank is not None else "—"),
                    html.Td(ranking.change_text(x) or "—", className="move"),
                    html.Td(x.row["town_name"], className="town"),
                    _num(
                        fmt(b.rank_by, x.row[b.rank_by]),
                        f"rag-{status(b.rank_by, x.row[b.rank_by])}",
                    ),
                    *(_num(fmt(c, x.row[c]), f"rag-{status(c, x.row[c])}") for c in RANK_COLUMNS),
                    board,
                ]
            )
        board_rows = [
            [
                indicators.label(ind),
                "、".join(f"{t['town_name']} {fmt(ind, t[ind])}" for t in red) or "—",
                "、".join(f"{t['town_name']} {fmt(ind, t[ind])}" for t in black) or "—",
            ]
            for ind, red, black in b.boards
        ]
        return html.Section(
            [
                self.heading("红黑榜"),
                html.P(
                    f"各乡镇按{by}排名,升降为较{b.previous.label}的名次变化;"
                    f"前 {ranking.BOARD_SIZE} 名列红榜、后 {ranking.BOARD_SIZE} 名列黑榜"
                    "(参与排名的乡镇多于 "
                    f"{2 * ranking.BOARD_SIZE} 个时)。",
                    className="bulletin-note",
                ),
                _table(headers, rows, "bt-rank"),
                html.H3("各项指标红黑榜"),
                _table(["指标", "红榜", "黑榜"], board_rows, "bt-boards"),
            ]
        )

    def windows(self) -> html.Section:
        """红旗窗口 and 后进窗口 (dashboard/domain/windows.py), with the ranked windows."""
        b = self.b
        w = b.window_ranking
        if w is None or not w.windows:
            return html.Section(
                [
                    self.heading("窗口评比"),
                    html.P(
                        "本期办件均未记录受理窗口(导出文件无「受理窗口」列或未填写),不评比窗口。",
                        className="bulletin-text",
                    ),
                ]
            )
        shown = ("completed", *RANK_BY_WINDOW, "overdue_open")
        rows = []
        for x in w.ranked:
            board = html.Td(
                x.board,
                className={FLAG: "board-red", LAGGING: "board-black"}.get(x.board, ""),
            )
            rows.append(
                [
                    _num(str(x.rank)),
                    html.Td(x.row["town_name"], className="town"),
                    html.Td(x.row["window_name"], className="town"),
                    *(_num(fmt(c, x.row[c]), f"rag-{status(c, x.row[c])}") for c in shown),
                    board,
                ]
            )
        few = len(w.windows) - len(w.ranked)
        note = f"参评窗口 {len(w.ranked)} 个" + (
            f",另有 {few} 个窗口办结量不足未参评" if few else ""
        )
        body: list = [
            html.P(f"{note}。{w.note()}", className="bulletin-note"),
        ]
        if not (w.flags or w.lagging):
            body.append(
                html.P(
                    f"参评窗口不足 {2 * w.board_size + 1} 个,本期不评红旗窗口和后进窗口。",
                    className="bulletin-text",
                )
            )
        if rows:
            body.append(
                _table(
                    ["名次", "乡镇", "受理窗口", *(indicators.label(c) for c in shown), "评定"],
                    rows,
                    "bt-windows",
                )
            )
        return html.Section([self.heading("窗口评比"), *body])

    def _lines(self, title: str, lines: list[str], empty: str) -> html.Section:
        body = (
            html.Ol([html.Li(t) for t in lines], className="bulletin-lines")
            if lines
            else html.P(empty, className="bulletin-text")
        )
        return html.Section([self.heading(title), body])

    def praise(self) -> html.Section:
        return self._lines("予以表扬", self.b.praise, "本期没有达到表扬条件的乡镇。")

    def criticism(self) -> html.Section:
        return self._lines("点名批评", self.b.criticism, "本期没有需要点名批评的事项。")

    def rectification(self) -> html.Section:
        b = self.b
        towns = []
        for x in b.ledger_towns:
            name = (
                b.town_names.get(x["town_code"], x["town_code"]) if x["town_code"] else "县级部门"
            )
            towns.append(
                [
                    html.Td(name, className="town"),
                    _num(f"{x['opened']:,}"),
                    _num(f"{x['closed']:,}"),
                    _num(f"{x['open_at_end']:,}"),
                    _num(f"{x['overdue_at_end']:,}", "rag-red" if x["overdue_at_end"] else ""),
                ]
            )
        overdue = [
            [
                html.Td(x["乡镇"], className="town"),
                x["责任部门"],
                html.Td(x["问题"], className="wrap"),
                _num(x["截止日期"]),
                _num(str(x["逾期工作日"]), "rag-red"),
                x["状态"],
            ]
            for x in b.ledger_overdue
        ]
        parts: list = [self.heading("整改落实情况")]
        if towns:
            parts.append(
                _table(
                    ["乡镇", "本期新增", "本期销号", "期末未销号", "其中逾期"], towns, "bt-small"
                )
            )
        else:
            parts.append(
                html.P("整改台账本期无新增、销号或未销号的事项。", className="bulletin-text")
            )
        if overdue:
            parts += [
                html.H3(f"逾期未销号的整改事项({len(overdue)} 项,截至 {b.generated_at:%Y-%m-%d})"),
                _table(["乡镇", "责任部门", "问题", "截止日期", "逾期工作日", "状态"], overdue),
            ]
        else:
            parts.append(html.P("目前没有逾期未销号的整改事项。", className="bulletin-text"))
        return html.Section(parts)

    def outside(self) -> html.Section:
        b = self.b
        parts: list = [self.heading("体外循环")]
        if not b.outside:
            parts.append(html.P("本期未发现疑似体外循环的部门。", className="bulletin-text"))
            return html.Section(parts)
        rows = []
        for f in b.outside:
            for i, s in enumerate(f.signals):
                lead = []
                if i == 0:
                    span = len(f.signals)
                    lead = [
                        html.Td(f.town_name, rowSpan=span, className="town"),
                        html.Td(f.dept_name, rowSpan=span, className="town"),
                    ]
                rows.append(
                    [
                        *lead,
                        html.Td(s.label_zh, className="nowrap"),
                        _num(f"{s.hits:,}" if s.hits else "—"),
                        html.Td(s.explanation_zh, className="wrap"),
                    ]
                )
        parts += [
            html.P(
                f"本期共 {len(b.outside)} 个部门出现体外循环迹象(办件未在平台实时办理),"
                "请相关乡镇督促整改。证据数为信号所依据的记录数。",
                className="bulletin-note",
            ),
            _table(["乡镇", "部门", "信号", "证据数", "证据"], rows, "bt-outside"),
        ]
        return html.Section(parts)

    def source(self) -> html.P:
        return html.P(
            "数据来源:一体化政务服务平台办件、12345 热线工单、好差评评价导出文件及整改台账;"
            "指标口径与看板、周报相同。本通报由政务服务效能看板按统一模板生成,所列表扬和批评"
            "均依据上表数字。",
            className="bulletin-source",
        )
