"""周报 (print): the weekly report as one long page that headless Chromium prints to an A4
landscape PDF (dashboard/snapshot/render.py). The analyst shell is hidden (BARE_PATHS);
assets/print.css lays out the pages. Query: ?period=custom&from=…&to=…[&town=CODE].

Every figure comes from dashboard/snapshot/content.py (metrics() and rows_behind()). When all
figures have rendered, a clientside callback sets document.body.dataset.reportReady = "1";
when building the report failed, document.body.dataset.reportError says why. The PDF is
printed only after the first and never after the second.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import dash
import flask
import plotly.graph_objects as go
from dash import Input, Output, clientside_callback, dcc, html

from dashboard.components.figures import PALETTE, base_layout, plain, town_bars, trend
from dashboard.components.format import STATUS_COLORS, fmt, status, target
from dashboard.domain import comparisons, indicators, outside_system, ranking
from dashboard.domain.indicators import label as indicator_label
from dashboard.errors import RequestError
from dashboard.snapshot import content
from dashboard.snapshot.content import Report, Request
from dashboard.store import default_store
from etl import settings

dash.register_page(
    __name__,
    path="/report",
    name="周报打印",
    title="周报 · 政务服务效能看板",
    nav=False,
    roles=("admin", "city", "county", "job"),
)

log = logging.getLogger(__name__)

# A4 landscape less the PDF margins (render.py): 277 mm × 186 mm ≈ 1047 × 703 CSS px
FULL_WIDTH = 1040
HALF_WIDTH = 512


class Ids:
    ROOT = "report-root"
    POLL = "report-ready-poll"


def layout(**query: Any) -> html.Div:
    poll = dcc.Interval(id=Ids.POLL, interval=150, n_intervals=0)
    try:
        report = content.gather(default_store(), Request.from_args(query))
        builder = _Builder(report)
        pages = builder.pages()
    except Exception as exc:
        if isinstance(exc, RequestError | ValueError):  # a request the report cannot serve
            log.warning("report refused for %s: %s", query, exc)
            message = exc.message if isinstance(exc, RequestError) else str(exc)
        else:  # the whole error goes to the log; the page (and the PDF job) get its id
            rid = flask.g.get("request_id", "-") if flask.has_request_context() else "-"
            log.exception("report failed for %s (request %s)", query, rid)
            message = f"报告生成时出错,已记录(请求编号 {rid})"
        return html.Div(
            [html.H3("报告生成失败"), html.Pre(message), poll],
            id=Ids.ROOT,
            className="report report-failed",
            **{"data-report-error": message},
        )
    return html.Div(
        [*pages, poll],
        id=Ids.ROOT,
        className="report",
        **{
            "data-graphs": str(builder.graphs),
            "data-meta": json.dumps(report.meta(), ensure_ascii=False),
        },
    )


# Polls until every graph of the report has been drawn by Plotly: dcc.Graph marks its plot
# div `dash-graph--pending` until Plotly.react's promise (after plotly_afterplot) resolves.
# The state must hold on two consecutive polls (a redraw in between starts over), and the
# fonts must have loaded. Then the poll stops.
clientside_callback(
    """
    function(n) {
        const body = document.body;
        const root = document.getElementById('report-root');
        if (!root) { return window.dash_clientside.no_update; }
        if (root.dataset.reportError) {
            body.dataset.reportError = root.dataset.reportError;
            return true;
        }
        const want = parseInt(root.dataset.graphs || '0', 10);
        const holders = root.querySelectorAll('.report-graph');
        let done = 0;
        holders.forEach(function(h) {
            const gd = h.querySelector('.js-plotly-plot');
            if (gd && gd._fullLayout && gd.querySelector('.main-svg')
                    && !gd.classList.contains('dash-graph--pending')) { done += 1; }
        });
        body.dataset.reportProgress = done + '/' + want;
        const state = holders.length + ':' + done;
        if (holders.length === want && done === want && document.fonts.status === 'loaded') {
            if (root.dataset.stable === state) {
                body.dataset.reportReady = '1';
                return true;
            }
            root.dataset.stable = state;
        } else {
            root.dataset.stable = '';
        }
        return window.dash_clientside.no_update;
    }
    """,
    Output(Ids.POLL, "disabled"),
    Input(Ids.POLL, "n_intervals"),
)


CASE_COLUMNS = {
    "case_id": "办件编号",
    "town": "乡镇",
    "dept_name": "部门",
    "item_name": "事项",
    "channel": "申报方式",
    "accepted_at": "受理时间",
    "promised_days": "承诺时限",
    "deadline_at": "办理期限",
}
EVAL_COLUMNS = {
    "eval_id": "评价编号",
    "town": "乡镇",
    "dept_name": "部门",
    "eval_channel": "评价渠道",
    "rated_at": "评价时间",
    "rating": "评价等级",
    "rectify_status": "整改状态",
    "rectify_deadline_at": "整改期限",
    "rectified_at": "整改完成",
}


class _Builder:
    def __init__(self, report: Report):
        self.r = report
        self.graphs = 0

    # ---------------------------------------------------------------- pieces
    def graph(self, fig: go.Figure, width: int, height: int) -> html.Div:
        self.graphs += 1
        fig.update_layout(width=width, height=height, autosize=False)
        return html.Div(
            dcc.Graph(
                figure=fig,
                config={"staticPlot": True, "displayModeBar": False},
                responsive=False,
                style={"width": f"{width}px", "height": f"{height}px"},
            ),
            className="report-graph",
        )

    def page(self, title: str, *children, cls: str = "") -> html.Section:
        head = html.Header(
            [
                html.H2(title),
                html.Span(f"{self.r.subject} · {self.r.period.label}", className="report-where"),
            ],
            className="report-head",
        )
        return html.Section([head, *children], className=f"report-page {cls}".strip())

    @staticmethod
    def table(headers: list[str], rows: list[list[Any]], cls: str = "") -> html.Table:
        def cell(v: Any, tag=html.Td):
            if isinstance(v, html.Td | html.Th):
                return v
            return tag("—" if v is None or v == "" else v)

        return html.Table(
            [
                html.Thead(html.Tr([html.Th(h) for h in headers])),
                html.Tbody([html.Tr([cell(v) for v in row]) for row in rows]),
            ],
            className=f"rt {cls}".strip(),
        )

    @staticmethod
    def rag(indicator: str, value: Any) -> html.Td:
        return html.Td(fmt(indicator, value), className=f"num rag-{status(indicator, value)}")

    # ---------------------------------------------------------------- pages
    def pages(self) -> list[html.Section]:
        return [
            self.cover(),
            self.summary(),
            *([self.county_ranking()] if self.r.counties is not None else []),
            self.ranking(),
            *([self.service_modes()] if self.r.extras else []),
            self.trends(),
            self.comparisons(),
            self.cases(),
            self.outside(),
            self.hotline_and_reviews(),
            self.bad_reviews(),
            self.rectifications(),
        ]

    def cover(self) -> html.Section:
        r = self.r
        p = r.period
        notes = []
        if not r.complete:
            notes.append(
                html.P(
                    f"注意:数据截至 {r.as_of:%Y-%m-%d %H:%M},本期尚未结束,数据不完整。",
                    className="report-warning",
                )
            )
        return html.Section(
            [
                html.Div(r.county, className="cover-county"),
                html.H1(
                    f"{r.town_name + ' · ' if r.town_name else ''}政务服务效能"
                    f"{'周报' if r.request.is_week else '报告'}",
                    className="cover-title",
                ),
                html.Div(p.label, className="cover-period"),
                html.Div(
                    f"{p.start:%Y年%m月%d日} 至 {p.end:%Y年%m月%d日}", className="cover-dates"
                ),
                html.Dl(
                    [
                        html.Dt("数据截至"),
                        html.Dd(f"{r.as_of:%Y-%m-%d %H:%M}", id="report-as-of"),
                        html.Dt("生成时间"),
                        html.Dd(f"{r.generated_at:%Y-%m-%d %H:%M}"),
                        html.Dt("对比期"),
                        html.Dd(f"{r.previous.label}"),
                    ],
                    className="cover-meta",
                ),
                *notes,
                html.Div([html.H3("本期要点"), html.Ul(self.highlights())], className="cover-box"),
                html.P(
                    "数据来源:一体化政务服务平台办件、12345 热线工单、好差评评价导出文件;"
                    "指标口径见《数据契约》第 7 节,与看板的指标同一定义。",
                    className="cover-source",
                ),
            ],
            className="report-page report-cover",
        )

    def highlights(self) -> list[html.Li]:
        r = self.r
        now = r.now
        items = [
            f"办件量 {fmt('cases', now['cases'])} 件,"
            f"{r.compared} {self.moved('cases').text};"
            f"网办率 {fmt('online_rate', now['online_rate'])},按时办结率 "
            f"{fmt('on_time_rate', now['on_time_rate'])},满意度 "
            f"{fmt('satisfaction_rate', now['satisfaction_rate'])}。"
        ]
        missed = [
            indicator_label(k)
            for k in content.RANKED
            if target(k) is not None and status(k, now[k]) in ("red", "amber")
        ]
        if missed:
            items.append(f"未达目标的指标({len(missed)} 项):{'、'.join(missed)}。")
        else:
            items.append("各项比率指标均达到目标。")
        items.append(
            f"超期未办结 {fmt('overdue_open', now['overdue_open'])} 件,超时预警 "
            f"{fmt('warning_open', now['warning_open'])} 件,差评 "
            f"{fmt('bad_reviews', now['bad_reviews'])} 条,12345 超期未办结 "
            f"{fmt('hotline_overdue_open', now['hotline_overdue_open'])} 件。"
        )
        ranked = ranking.rank(r.towns, r.rank_by)
        red = [x.row["town_name"] for x in ranked if x.board == "红榜"]
        black = [x.row["town_name"] for x in ranked if x.board == "黑榜"]
        by = indicator_label(r.rank_by)
        if r.town_name:
            mine = next(x for x in ranked if x.row["town_code"] == r.request.town)
            items.append(f"按{by},本镇在全县 {len(ranked)} 个乡镇中排第 {mine.rank} 名。")
        if red or black:  # 红榜 may be empty: a hard target keeps towns off it
            items.append(f"按{by}:红榜 {'、'.join(red) or '无'};黑榜 {'、'.join(black)}。")
        if r.outside is None:
            items.append(r.outside_note)
        elif r.outside:
            depts = "、".join(f"{f.town_name}{f.dept_name}" for f in r.outside[:8])
            more = " 等" if len(r.outside) > 8 else ""
            items.append(f"疑似体外循环部门 {len(r.outside)} 个:{depts}{more}。")
        else:
            items.append("本期未发现疑似体外循环的部门。")
        return [html.Li(t) for t in items]

    def summary(self) -> html.Section:
        r = self.r
        cards = [self.kpi_card(k) for k in content.KPIS]
        headers = ["指标", "本期", "上期", "变化", "目标", "状态"]
        if r.town_name:
            headers.insert(3, "全县本期")
        rows = []
        for k in content.RANKED:
            now, before = r.now[k], r.before[k]
            moved = self.moved(k)
            change = html.Td(
                moved.text,
                className="num " + {True: "up", False: "down", None: ""}[moved.better],
            )
            state = status(k, now)
            row = [
                indicator_label(k),
                self.rag(k, now),
                html.Td(fmt(k, before), className="num"),
                change,
                html.Td(_goal(k), className="num"),
                html.Td(_STATUS_TEXT[state], className=f"rag-{state}"),
            ]
            if r.town_name:
                row.insert(3, html.Td(fmt(k, r.county_now[k]), className="num"))
            rows.append(row)
        return self.page(
            "指标概览",
            html.Div(cards, className="kpi-grid"),
            self.table(headers, rows, cls="kpi-table"),
            html.P(
                f"上期为 {r.previous.label}({r.compared})。比率的变化以百分点计,"
                "变化不足 0.1 个百分点为持平;超期未办结、超时预警为某一时刻的存量,不作比较。"
                "目标由系统管理员在配置中设定,"
                "达标为绿色,差距在容差内为黄色,否则为红色;超期、预警、差评等数量以 0 为目标。",
                className="report-note",
            ),
        )

    def moved(self, k: str) -> comparisons.Change:
        """The figure's change against the comparable previous span (the one rule)."""
        r = self.r
        return comparisons.change(k, r.now[k], r.before[k], comparisons.has_data(r.before))

    def kpi_card(self, k: str) -> html.Div:
        now = self.r.now[k]
        state = status(k, now)
        moved = self.moved(k)
        goal = target(k)
        return html.Div(
            [
                html.Div(indicator_label(k), className="kpi-name"),
                html.Div(fmt(k, now), className="kpi-value"),
                html.Div(
                    moved.text
                    if moved.kind not in ("change", "flat")
                    else f"{self.r.compared} {moved.text}",
                    className="kpi-delta " + {True: "up", False: "down", None: ""}[moved.better],
                ),
                html.Div(
                    f"目标 {fmt(k, goal)}" if goal is not None else "\u00a0", className="kpi-goal"
                ),
            ],
            className="kpi",
            style={"borderTopColor": STATUS_COLORS[state]},
            **{"data-indicator": k, "data-status": state},
        )

    def ranking(self) -> html.Section:
        r = self.r
        ranked = ranking.rank(r.towns, r.rank_by, r.towns_before)
        headers = [
            "名次",
            "升降",
            "红黑榜",
            "乡镇",
            *(indicator_label(c) for c in content.RANKED),
        ]
        headers.append(indicator_label("outside_system_depts"))
        rows = []
        for x in ranked:
            move = ranking.change_text(x)
            board = html.Td(
                x.board, className={"红榜": "board-red", "黑榜": "board-black"}.get(x.board, "")
            )
            town = x.row["town_name"]
            cells = [
                x.rank,
                move,
                board,
                html.Td(town, className="town"),
                *(self.rag(c, x.row[c]) for c in content.RANKED),
                html.Td(x.row["outside_system_depts"] or "", className="small"),
            ]
            rows.append(cells)
        table = self.table(headers, rows, cls="rank-table")
        if r.town_name:
            # the town's own row stands out
            for tr, x in zip(table.children[1].children, ranked, strict=True):
                if x.row["town_code"] == r.request.town:
                    tr.className = "mine"
        board_rows = []
        for ind, red, black in content.boards(r.towns):
            board_rows.append(
                [
                    indicator_label(ind),
                    "、".join(f"{t['town_name']} {fmt(ind, t[ind])}" for t in red) or "—",
                    "、".join(f"{t['town_name']} {fmt(ind, t[ind])}" for t in black) or "—",
                ]
            )
        return self.page(
            "乡镇排名 · 红黑榜",
            html.P(
                f"按{indicator_label(r.rank_by)}排名(升降为较上期名次);前 {ranking.BOARD_SIZE} "
                f"名为红榜,后 {ranking.BOARD_SIZE} 名为黑榜。"
                + (f"{ranking.rule_text()}。" if ranking.rule_text() else ""),
                className="report-note",
            ),
            table,
            html.H3("各项指标红黑榜"),
            self.table(["指标", "红榜(前三)", "黑榜(后三)"], board_rows, cls="board-table"),
        )

    def county_ranking(self) -> html.Section:
        """县区排名 (issue 18): the counties ranked by the report's figure, with the towns' rule."""
        r = self.r
        ranked = ranking.rank(r.counties, r.rank_by, r.counties_before, key="county_code")
        headers = ["名次", "升降", "红黑榜", "县区", *(indicator_label(c) for c in content.RANKED)]
        rows = []
        for x in ranked:
            board = html.Td(
                x.board, className={"红榜": "board-red", "黑榜": "board-black"}.get(x.board, "")
            )
            rows.append(
                [
                    x.rank,
                    ranking.change_text(x),
                    board,
                    html.Td(x.row["county_name"], className="town"),
                    *(self.rag(c, x.row[c]) for c in content.RANKED),
                ]
            )
        return self.page(
            "县区排名 · 红黑榜",
            html.P(
                f"{len(ranked)} 个县区按{indicator_label(r.rank_by)}排名(升降为较上期名次);"
                f"红黑榜规则与乡镇相同:有数据的县区多于 {2 * ranking.BOARD_SIZE} 个时,"
                f"前 {ranking.BOARD_SIZE} 名为红榜,后 {ranking.BOARD_SIZE} 名为黑榜。",
                className="report-note",
            ),
            self.table(headers, rows, cls="rank-table"),
        )

    def service_modes(self) -> html.Section:
        """现场办结率, 承诺件提前办结率, 一窗通办率 and the counts of 跨省通办, 一件事, 帮办代办:
        the figures from optional case columns the county has (无数据 where a town's files
        lack the column, never 0)."""
        r = self.r
        rows = []
        for k in r.extras:
            moved = self.moved(k)
            state = status(k, r.now[k])
            row = [
                indicator_label(k),
                self.rag(k, r.now[k]),
                html.Td(fmt(k, r.before[k]), className="num"),
                html.Td(moved.text, className="num"),
                html.Td(_goal(k), className="num"),
                html.Td(_STATUS_TEXT[state], className=f"rag-{state}"),
            ]
            if r.town_name:
                row.insert(3, html.Td(fmt(k, r.county_now[k]), className="num"))
            rows.append(row)
        headers = ["指标", "本期", "上期", "变化", "目标", "状态"]
        if r.town_name:
            headers.insert(3, "全县本期")
        per_town = []
        ordered = list(r.towns.sort("town_code").iter_rows(named=True))
        for row in ordered:
            per_town.append(
                [
                    html.Td(row["town_name"], className="town"),
                    *(self.rag(k, row[k]) for k in r.extras),
                ]
            )
        town_table = self.table(
            ["乡镇", *(indicator_label(k) for k in r.extras)], per_town, cls="rank-table"
        )
        if r.town_name:
            for tr, row in zip(town_table.children[1].children, ordered, strict=True):
                if row["town_code"] == r.request.town:
                    tr.className = "mine"
        return self.page(
            "服务方式指标",
            html.P(
                "现场办结率、承诺件提前办结率、一窗通办率及跨省通办、一件事、帮办代办办件数,"
                "取自办件导出文件的可选列(受理窗口、窗口类型、是否现场办结、是否跨省通办、"
                "一件事主题等)。导出文件未提供该列的乡镇显示“无数据”,不计为 0。",
                className="report-note",
            ),
            self.table(headers, rows, cls="kpi-table"),
            html.H3("各乡镇"),
            town_table,
        )

    def trends(self) -> html.Section:
        r = self.r
        shown = ["cases", "online_rate", "satisfaction_rate", "on_time_rate"]
        weekly = trend(
            r.weekly, shown, f"{r.subject}近12周趋势(按周,横轴为周一)", as_of=r.as_of, bucket="week"
        )
        monthly = trend(
            r.monthly, shown, f"{r.subject}近12个月趋势(按月)", as_of=r.as_of, bucket="month"
        )
        for fig, frame, text in ((weekly, r.weekly, "%m-%d"), (monthly, r.monthly, "%Y-%m")):
            starts = frame["period_start"].to_list()
            fig.update_xaxes(
                tickmode="array",
                tickvals=[d.isoformat() for d in starts],
                ticktext=[d.strftime(text) for d in starts],
            )
        return self.page(
            "趋势",
            self.graph(weekly, FULL_WIDTH, 305),
            self.graph(monthly, FULL_WIDTH, 305),
        )

    def comparisons(self) -> html.Section:
        r = self.r
        figs = []
        for ind in ("online_rate", "on_time_rate", "satisfaction_rate", "evaluation_rate"):
            fig = town_bars(r.towns, ind, f"各乡镇{indicator_label(ind)}", target=target(ind))
            if r.request.town:
                codes = fig.data[0].customdata
                fig.data[0].marker.color = [
                    PALETTE[1] if c == r.request.town else PALETTE[0] for c in codes
                ]
            figs.append(self.graph(fig, HALF_WIDTH, 320))
        return self.page("乡镇对比", html.Div(figs, className="graph-grid"))

    def case_table(self, listed: content.CaseList, extra: tuple[str, str] | None) -> html.Div:
        r = self.r
        frame = listed.rows
        columns = dict(CASE_COLUMNS)
        rows = []
        for row in frame.iter_rows(named=True):
            row["town"] = r.town_names.get(row["town_code"], row["town_code"])
            cells = [_text(row.get(c)) for c in columns]
            if extra == ("overdue", "超期天数"):
                cells.append(html.Td(f"{(r.as_of - row['deadline_at']).days}", className="num"))
            rows.append(cells)
        headers = list(columns.values()) + ([extra[1]] if extra else [])
        title = indicator_label(listed.indicator)
        note = f"共 {listed.total:,} 件"
        if listed.total > frame.height:
            note += (
                f",下表列出{listed.order}的 {frame.height} 件(完整明细见看板“明细”页或 pulse cases)"
            )
        return html.Div(
            [
                html.H3([title, html.Span(note, className="count")]),
                self.table(headers, rows, cls="case-table")
                if rows
                else html.P("本期无。", className="report-note"),
            ],
            className="case-list",
        )

    def cases(self) -> html.Section:
        return self.page(
            "超期与预警办件",
            html.P(
                f"期内受理、截至 {self.r.as_of:%Y-%m-%d %H:%M} 仍在办且已超过办理期限的办件"
                "(超期未办结),以及即将到期的办件(超时预警)。",
                className="report-note",
            ),
            self.case_table(self.r.overdue, ("overdue", "超期天数")),
            self.case_table(self.r.warning, None),
            cls="flow",
        )

    def outside(self) -> html.Section:
        r = self.r
        if r.outside is None:
            body: list[Any] = [html.P(r.outside_note, className="report-warning")]
        elif not r.outside:
            body = [html.P("本期未发现疑似体外循环的部门。", className="report-note")]
        else:
            rows = []
            for f in r.outside:
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
                            html.Td(s.explanation_zh, className="explain"),
                        ]
                    )
            body = [
                html.P(
                    f"共 {len(r.outside)} 个部门出现体外循环迹象(办件未在平台实时办理)。"
                    "各信号的口径见 docs/outside-system.zh.md;下附每个信号计入的前几条记录,"
                    "全部记录见看板“体外循环”页(可导出)。",
                    className="report-note",
                ),
                self.table(["乡镇", "部门", "信号", "证据"], rows, cls="outside-table"),
                *self.evidence(),
            ]
        return self.page("体外循环", *body, cls="flow")

    def evidence(self) -> list[html.Div]:
        """The first rows each signal counted (outside_system.evidence, most telling first),
        with the columns that prove each row, and how many there are in all."""
        out = []
        for f in self.r.outside or []:
            for s in f.signals:
                frame = getattr(f, "evidence", {}).get(s.name)
                if frame is None or frame.is_empty():
                    continue
                cols = [c for c in outside_system.evidence_fields(s.name) if c in frame.columns]
                rows = [
                    [outside_system.display_value(c, row[c]) or "—" for c in cols]
                    for row in frame.iter_rows(named=True)
                ]
                unit = outside_system.UNITS[s.name]
                shown = f"前 {frame.height} {unit},共 {s.hits:,} {unit}"
                out.append(
                    html.Div(
                        [
                            html.H4(
                                f"{f.town_name} · {f.dept_name} · {s.label_zh} · "
                                f"{outside_system.COUNTED[s.name]}({shown})"
                            ),
                            self.table(
                                [outside_system.FIELD_LABELS[c] for c in cols],
                                rows,
                                cls="case-table",
                            ),
                        ],
                        className="evidence",
                    )
                )
        return out

    def hotline_and_reviews(self) -> html.Section:
        r = self.r
        now, before = r.now, r.before

        def figures(indicators: tuple[str, ...]) -> html.Table:
            rows = [
                [
                    indicator_label(k),
                    self.rag(k, now[k]),
                    html.Td(fmt(k, before[k]), className="num"),
                    html.Td(self.moved(k).text, className="num"),
                ]
                for k in indicators
            ]
            return self.table(["指标", "本期", "上期", "变化"], rows, cls="mini-table")

        per_town = []
        for row in r.towns.sort("town_code").iter_rows(named=True):
            cells = [html.Td(row["town_name"], className="town")]
            cells += [self.rag(k, row[k]) for k in (*content.HOTLINE_ALL, *content.EVALUATION)]
            per_town.append(cells)
        town_table = self.table(
            ["乡镇", *(indicator_label(k) for k in (*content.HOTLINE_ALL, *content.EVALUATION))],
            per_town,
            cls="rank-table",
        )
        if r.town_name:
            for tr, row in zip(
                town_table.children[1].children,
                r.towns.sort("town_code").iter_rows(named=True),
                strict=True,
            ):
                if row["town_code"] == r.request.town:
                    tr.className = "mine"
        topics = r.hotline_topics.head(10)
        fig = go.Figure(
            go.Bar(
                x=topics["tickets"].to_list()[::-1],
                y=plain(topics["topic"].to_list()[::-1]),
                orientation="h",
                marker_color=PALETTE[0],
                text=[f"{v:,}" for v in topics["tickets"].to_list()[::-1]],
                textposition="outside",
                cliponaxis=False,
            )
        )
        fig.update_layout(title={"text": "12345 工单分类(前十)", "x": 0, "font": {"size": 15}})
        fig = base_layout(fig)
        fig.update_layout(margin={"l": 96, "r": 48, "t": 36, "b": 24})
        return self.page(
            "12345 热线与好差评",
            html.Div(
                [
                    html.Div([html.H3("12345 热线"), figures(content.HOTLINE_ALL)]),
                    html.Div([html.H3("好差评"), figures(content.EVALUATION)]),
                    self.graph(fig, 400, 260),
                ],
                className="three-col",
            ),
            html.H3("各乡镇 12345 与好差评"),
            town_table,
        )

    def bad_reviews(self) -> html.Section:
        r = self.r
        bad = r.bad_reviews
        bad_rows = []
        for row in bad.rows.iter_rows(named=True):
            row["town"] = r.town_names.get(row["town_code"], row["town_code"])
            bad_rows.append([_text(row.get(c)) for c in EVAL_COLUMNS])
        bad_note = f"共 {bad.total:,} 条"
        if bad.total > bad.rows.height:
            bad_note += f",下表列出{bad.order}的 {bad.rows.height} 条"
        return self.page(
            "差评及整改",
            html.P(
                f"期内评价为差评(1–2 级)的评价及其整改情况;整改时限为评价后 "
                f"{settings.get('indicators.rectify_deadline_days')} 个工作日。",
                className="report-note",
            ),
            html.H3(["差评", html.Span(bad_note, className="count")]),
            self.table(list(EVAL_COLUMNS.values()), bad_rows, cls="case-table")
            if bad_rows
            else html.P("本期无差评。", className="report-note"),
            cls="flow",
        )

    def rectifications(self) -> html.Section:
        """整改销号情况: the rectification ledger (dashboard/manage/ledger.py) per town."""
        r = self.r
        rows, totals = [], [0, 0, 0, 0]
        for x in r.rectifications:
            name = (
                r.town_names.get(x["town_code"], x["town_code"]) if x["town_code"] else "县级部门"
            )
            counts = [x["opened"], x["closed"], x["open_at_end"], x["overdue_at_end"]]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            overdue = html.Td(f"{counts[3]:,}", className="num rag-red" if counts[3] else "num")
            rows.append(
                [
                    html.Td(name, className="town"),
                    *(html.Td(f"{n:,}", className="num") for n in counts[:3]),
                    overdue,
                ]
            )
        if len(rows) > 1:
            rows.append(
                [
                    html.Td("合计", className="town"),
                    *(html.Td(f"{n:,}", className="num") for n in totals),
                ]
            )
        note = (
            f"整改台账中本期({r.period.start:%m月%d日}至{r.period.end:%m月%d日})新立项和销号的事项,"
            "以及截至期末仍未销号的事项(其中已超过整改期限的为逾期)。"
        )
        body = (
            self.table(
                ["乡镇", "本期新增", "本期销号", "期末未销号", "其中逾期"], rows, cls="rect-table"
            )
            if rows
            else html.P("本期整改台账无新增、销号或未销号的事项。", className="report-note")
        )
        return self.page("整改销号情况", html.P(note, className="report-note"), body)


def _goal(k: str) -> str:
    if indicators.get(k).better == "lower":
        return "0"
    goal = target(k)
    return fmt(k, goal) if goal is not None else "—"


_STATUS_TEXT = {"green": "达标", "amber": "接近", "red": "未达标", "none": "—"}


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
