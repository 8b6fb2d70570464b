"""The wall screen's panels: plain data (wall_data) → components. Pure functions.

Sizes are set in assets/wall.css in viewport units; text that must never be clipped is
rendered by `fit()`, which tells the CSS how wide the text is in em so that its font
shrinks to the width of its box when the box is narrower than the design assumes.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import plotly.graph_objects as go
import polars as pl
from dash import html

from dashboard.components.figures import FONT, trend
from dashboard.components.format import STATUS_COLORS, delta, fmt, improved, is_rate, status, target
from dashboard.domain import indicators, ranking
from dashboard.domain.indicators import label as indicator_label
from dashboard.wall.data import KPI_SECONDARY, TREND_INDICATORS
from etl import settings

WALL_FONT = f"Wall Noto Sans SC, {FONT}"
TEXT = "#e6edf3"
MUTED = "#9fb3c8"
FLAGS_SHOWN = 5  # 体外循环 departments listed; the rest are counted

# Tile colours for counts, from the smallest value to the largest.
BAD_SCALE = ((96, 46, 40), (214, 69, 65))  # counts where fewer is better (green at zero)
COUNT_SCALE = ((22, 52, 92), (31, 111, 235))  # 办件量


def em_width(text: str) -> float:
    """Approximate width of `text` in em in a CJK sans-serif (for fitting it in its box)."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F") or ch in "—▲▼●":
            width += 1.0
        elif ch.isdigit():
            width += 0.58
        elif ch in ",.:;·'|":
            width += 0.3
        elif ch in "%":
            width += 0.9
        elif ch == " ":
            width += 0.28
        else:
            width += 0.62
    return max(width, 1.0)


def fit(text: str, class_name: str, **attrs: Any) -> html.Div:
    return html.Div(
        text, className=f"fit {class_name}", style={"--w": f"{em_width(text):.2f}"}, **attrs
    )


def _value_attr(value: Any) -> str:
    return "" if value is None else repr(value)


def kpi_tile(indicator: str, now: dict, before: dict) -> html.Div:
    """Value, change against the previous comparable period (named once, in the header),
    and the target; coloured red/amber/green like every page."""
    value, prev = now[indicator], before[indicator]
    state = status(indicator, value)
    better = improved(indicator, value, prev)
    arrow = "" if better is None else ("▲" if (value or 0) > (prev or 0) else "▼")
    trend_class = {True: "up-good", False: "up-bad", None: "flat"}[better]
    goal = target(indicator)
    if indicators.get(indicator).better == "lower":
        foot = "应为 0"
    elif goal is not None:
        foot = f"目标 {fmt(indicator, goal)}"
    else:
        foot = f"上期 {fmt(indicator, prev)}"
    label = indicator_label(indicator)
    second = KPI_SECONDARY.get(indicator)
    if second:
        foot = f"工单 {fmt(second, now[second])}件 · {foot}"
    return html.Div(
        [
            fit(label, "wall-kpi-label"),
            fit(
                fmt(indicator, value),
                f"wall-kpi-value st-{state}",
                **{"data-indicator": indicator, "data-value": _value_attr(value)},
            ),
            fit(f"{arrow}{delta(indicator, value, prev)}", f"wall-kpi-delta {trend_class}"),
            html.Div(
                [
                    fit(foot, "wall-kpi-foot"),
                    *(
                        [
                            html.Span(
                                hidden=True,
                                **{
                                    "data-indicator": second,
                                    "data-value": _value_attr(now[second]),
                                },
                            )
                        ]
                        if second
                        else []
                    ),
                ],
                className="wall-kpi-foot-row",
            ),
        ],
        className=f"wall-kpi wall-panel st-border-{state}",
        id=f"wall-kpi-{indicator}",
        **{"data-status": state},
    )


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> str:
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"rgb({r},{g},{bl})"


def tile_colors(towns: list[dict], indicator: str) -> dict[str, tuple[str, str]]:
    """Background and text colour per town code: red/amber/green against the target for
    rates; for counts a scale from the smallest to the largest value (green at zero for
    counts where fewer is better)."""
    out: dict[str, tuple[str, str]] = {}
    values = [t[indicator] for t in towns if t.get(indicator) is not None]
    top = max(values) if values else 0
    lower = indicators.get(indicator).better == "lower"
    for t in towns:
        v = t.get(indicator)
        if v is None:
            out[t["code"]] = ("#1c2a3d", MUTED)
        elif is_rate(indicator):
            state = t.get(f"{indicator}__status") or status(indicator, v)
            out[t["code"]] = (STATUS_COLORS[state], "#10151c" if state == "amber" else "#ffffff")
        elif lower:
            if v == 0:
                out[t["code"]] = (STATUS_COLORS["green"], "#ffffff")
            else:
                out[t["code"]] = (_mix(*BAD_SCALE, 0.3 + 0.7 * v / top), "#ffffff")
        else:
            out[t["code"]] = (_mix(*COUNT_SCALE, v / top if top else 0), "#ffffff")
    return out


def tile_map(towns: list[dict], indicator: str) -> list[html.Div]:
    """One tile per town at its grid position (towns without one go to a row below)."""
    placed = [t for t in towns if t["row"] is not None and t["col"] is not None]
    rows = max((t["row"] for t in placed), default=-1) + 1
    cols = max((t["col"] for t in placed), default=-1) + 1
    unplaced = [t for t in towns if t not in placed]
    cols = max(cols, min(len(unplaced), 6), 1)
    positions = {t["code"]: (t["row"], t["col"]) for t in placed}
    for i, t in enumerate(unplaced):
        positions[t["code"]] = (rows + i // cols, i % cols)
    colors = tile_colors(towns, indicator)
    tiles = []
    for t in towns:
        r, c = positions[t["code"]]
        bg, fg = colors[t["code"]]
        tiles.append(
            html.Div(
                [
                    fit(t["name"], "wall-tile-name"),
                    fit(fmt(indicator, t[indicator]), "wall-tile-value"),
                ],
                className="wall-tile",
                style={"gridRow": r + 1, "gridColumn": c + 1, "background": bg, "color": fg},
                **{"data-town": t["code"], "data-value": _value_attr(t[indicator])},
            )
        )
    return tiles


def grid_shape(towns: list[dict]) -> dict[str, str]:
    placed = [t for t in towns if t["row"] is not None and t["col"] is not None]
    rows = max((t["row"] for t in placed), default=-1) + 1
    cols = max((t["col"] for t in placed), default=-1) + 1
    unplaced = len(towns) - len(placed)
    cols = max(cols, min(unplaced, 6), 1)
    rows += -(-unplaced // cols)
    return {
        "gridTemplateRows": f"repeat({max(rows, 1)}, minmax(0, 1fr))",
        "gridTemplateColumns": f"repeat({cols}, minmax(0, 1fr))",
    }


def map_legend(indicator: str) -> list:
    if is_rate(indicator):
        goal = target(indicator)
        margin = float(settings.get("targets.amber_margin")) * 100
        if goal is None:
            return [html.Span("无目标值", className="fit-inline")]
        return [
            html.Span(className="sw", style={"background": STATUS_COLORS["green"]}),
            html.Span(f"达标 ≥{fmt(indicator, goal)}"),
            html.Span(className="sw", style={"background": STATUS_COLORS["amber"]}),
            html.Span(f"差{margin:.0f}个百分点内"),
            html.Span(className="sw", style={"background": STATUS_COLORS["red"]}),
            html.Span("未达标"),
        ]
    if indicators.get(indicator).better == "lower":
        return [
            html.Span(className="sw", style={"background": STATUS_COLORS["green"]}),
            html.Span("为 0"),
            html.Span(className="sw", style={"background": "rgb(214,69,65)"}),
            html.Span("颜色越深件数越多"),
        ]
    return [
        html.Span(className="sw", style={"background": "rgb(31,111,235)"}),
        html.Span("颜色越深数值越大"),
    ]


def board(towns: list[dict], indicator: str) -> list:
    """红榜 (best) and 黑榜 (worst) towns by the map's indicator, by the one rule of
    domain/ranking.py; for a plain volume (办件量), the most and the fewest instead."""
    order = ranking.rank(towns, indicator, key="code")
    valued = [x for x in order if x.rank is not None]
    if ranking.has_boards(indicator):
        red, black = ranking.boards(order)
        best, worst = [x.row for x in red], [x.row for x in reversed(black)]
    else:
        size = min(ranking.BOARD_SIZE, len(valued) // 2)
        best = [x.row for x in valued[:size]]
        worst = [x.row for x in reversed(valued[len(valued) - size :])] if size else []
    if not best:
        return [html.Div("数据不足,暂不排名", className="wall-empty")]
    ranks = {x.row["code"]: x.rank for x in valued}

    def rows(items: list[dict], kind: str) -> html.Div:
        out = []
        for t in items:
            rank = ranks[t["code"]]
            out.append(
                html.Div(
                    [
                        html.Span(str(rank), className="wall-rank"),
                        html.Div(fit(t["name"], "wall-board-name"), className="cq"),
                        html.Div(
                            fit(
                                fmt(indicator, t[indicator]),
                                f"wall-board-value st-{t.get(f'{indicator}__status', 'none')}",
                            ),
                            className="cq",
                        ),
                    ],
                    className="wall-board-row",
                    **{"data-town": t["code"], "data-rank": str(rank)},
                )
            )
        if ranking.has_boards(indicator):
            title = "红榜 · 前三" if kind == "red" else "黑榜 · 后三"
        else:
            title = "最多 · 前三" if kind == "red" else "最少 · 后三"
        return html.Div(
            [html.Div(title, className=f"wall-board-title {kind}"), *out],
            className=f"wall-board-list {kind}",
            id=f"wall-board-{kind}",
        )

    return [rows(best, "red"), rows(worst, "black")]


def trend_figure(frame: pl.DataFrame, scale: float) -> go.Figure:
    """12-month trend for the wall: the shared trend figure, dark, sized for the screen."""
    fig = trend(frame, TREND_INDICATORS, dark=True)
    s = max(scale, 0.5)
    fig.update_layout(
        height=None,
        autosize=True,
        title=None,
        margin={"l": 64 * s, "r": 72 * s, "t": 44 * s, "b": 40 * s},
        font={"family": WALL_FONT, "size": 17 * s, "color": TEXT},
        legend={
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 17 * s},
            "itemwidth": max(30, 30 * s),
            "bgcolor": "rgba(0,0,0,0)",
        },
        xaxis={"tickformat": "%-m月", "dtick": "M1", "tickfont": {"size": 16 * s}},
        yaxis={"tickfont": {"size": 16 * s}, "range": [0, 105], "dtick": 20},
        yaxis2={
            "tickfont": {"size": 16 * s},
            "tickformat": ",d",
            "tickmode": "auto",
            "nticks": 6,
            "showgrid": False,
        },
    )
    fig.update_traces(line={"width": 3.5 * s}, marker={"size": 8 * s}, selector={"type": "scatter"})
    return fig


def ticker_items(items: list[dict[str, str]]) -> list[html.Span]:
    out = []
    for it in items:
        out.append(
            html.Span(
                [
                    html.B(it["when"], className=f"wall-tick-when {it['kind']}"),
                    f"{it['town']} · {it['dept']} · {it['item']}",
                ],
                className="wall-tick",
                **{"data-kind": it["kind"]},
            )
        )
    return out


def flags_list(flags: list[dict[str, Any]] | None) -> list:
    if flags is None:
        return [html.Div("体外循环检测暂不可用", className="wall-empty")]
    if not flags:
        return [html.Div("本期未发现疑似体外循环部门", className="wall-empty good")]
    shown = flags[:FLAGS_SHOWN]
    rows = [
        html.Div(
            [
                fit(f"{f['town']} · {f['dept']}", "wall-flag-name"),
                fit("、".join(f["signals"]), "wall-flag-signals"),
            ],
            className="wall-flag",
        )
        for f in shown
    ]
    if len(flags) > len(shown):
        rows.append(html.Div(f"另有 {len(flags) - len(shown)} 个部门", className="wall-flag-more"))
    return rows
