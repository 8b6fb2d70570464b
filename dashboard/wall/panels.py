"""The wall screen's panels: plain data (wall/data.py) → components. Pure functions.

Sizes are set in assets/wall.css in one unit, --u (1 % of the height of a 16:9 screen); the
smallest text is 2.25u (24 px at 1920×1080). Widths in u are the same on every screen that
is 16:9 or narrower, so what fits is decided here, from the text's width in em: a phrase
that would not fit its box at its size is shortened (a count of signals instead of their
names, a change without its percentage), never cut. `fit()` also tells the CSS how wide the
text is, so that a box narrower than designed (a very long town name) shrinks the text
rather than clip it.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

import plotly.graph_objects as go
import polars as pl
from dash import html

from dashboard.components.figures import FONT
from dashboard.components.format import STATUS_COLORS, fmt, is_rate, status, target
from dashboard.domain import comparisons, indicators, periods, ranking
from dashboard.domain.indicators import label as indicator_label
from dashboard.domain.rectification import Rectification
from dashboard.wall.data import KPI_SECONDARY, TREND_INDICATORS
from etl import settings

WALL_FONT = f"Wall Noto Sans SC, {FONT}"
TEXT = "#e6edf3"
MUTED = "#9fb3c8"
ACCENT = "#4cc3ff"
FLAGS_SHOWN = 3  # 体外循环 departments listed; the rest are counted (see wall.css)

# Design widths in u (assets/wall.css) that fitted text may fill (92 % of its box, as the
# CSS fits it): a KPI tile's, a 体外循环 line's.
KPI_WIDTH_U = 16.8
FLAG_WIDTH_U = 50.0
PERIOD_WIDTH_U = 64.0  # the header's middle column
PERIOD_U = 2.8  # its first line's text size
MIN_U = 2.25  # the smallest text, in u (wall.css --t)

# Tile colours for counts, from the smallest value to the largest.
BAD_SCALE = ((96, 46, 40), (214, 69, 65))  # counts where fewer is better (green at zero)
COUNT_SCALE = ((22, 52, 92), (31, 111, 235))  # 办件量
OVERDUE_CHIP = "#d64541"
WARNING_CHIP = "#e0a100"


def em_width(text: str) -> float:
    """Approximate width of `text` in em in Noto Sans SC (for fitting it in its box)."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F") or ch in "—▲▼●":
            width += 1.0
        elif ch.isdigit():
            width += 0.58
        elif ch == "·":  # the middle dot is set wide in Noto Sans SC
            width += 0.9
        elif ch in ",.:;'|":
            width += 0.3
        elif ch in "%":
            width += 0.9
        elif ch == " ":
            width += 0.28
        else:
            width += 0.62
    return max(width, 1.0)


def fits(text: str, size_u: float, width_u: float) -> bool:
    return em_width(text) * size_u <= width_u


def fit(text: str, class_name: str, **attrs: Any) -> html.Div:
    return html.Div(
        text, className=f"fit {class_name}", style={"--w": f"{em_width(text):.2f}"}, **attrs
    )


def _span_text(p: Any) -> str:
    if p.start.year == p.end.year and p.start.month == p.end.month:
        return f"{p.start.month}月{p.start.day}日–{p.end.day}日"
    return f"{p.start.month}月{p.start.day}日–{p.end.month}月{p.end.day}日"


def period_line(period: Any, spans: comparisons.Spans) -> tuple[str, dict]:
    """The header's period and what its changes compare with (domain/comparisons.py: a
    running period with the same elapsed span before it, 较上月同期（10月1日–20日）), the
    compared span's name only while the line fits at full size; and the style telling the
    CSS the line's width."""
    before = _span_text(spans.previous) if spans.running else spans.previous.label
    text = f"{period.label} · {spans.label}（{before}）"
    if not fits(text, PERIOD_U, PERIOD_WIDTH_U):
        text = f"{period.label} · {spans.label}"
    return text, {"--w": f"{em_width(text):.2f}"}


def _value_attr(value: Any) -> str:
    return "" if value is None else repr(value)


# How a change reads on a tile: the rule's own words, shortened where a tile is narrow.
MOMENT_TEXT = "当前存量"  # comparisons: a count at a moment is not compared


def change_text(moved: comparisons.Change, width_u: float = KPI_WIDTH_U) -> str:
    """The change against the compared span (domain/comparisons.py) with its arrow; the
    arrow gives the direction, so the sign is left out (▼0.4个百分点); a count's percentage is
    left out when the line would not fit the tile at the smallest text size."""
    if moved.kind == "moment":
        return MOMENT_TEXT
    if moved.kind != "change":
        return moved.text  # 持平, 上期无数据, —
    text = moved.arrow + moved.text.lstrip("+-") if moved.arrow else moved.text
    if not fits(text, MIN_U, width_u) and " (" in text:
        text = text.split(" (", 1)[0]
    return text


def kpi_tile(
    indicator: str,
    now: dict,
    before: dict,
    previous_has_data: bool = True,
    rectify: Rectification | None = None,
) -> html.Div:
    """Value, change against the compared span (named once, in the header) and the target;
    coloured red/amber/green like every page. 差评整改率 is judged on what is due only:
    red when a bad review is past its deadline unrectified, and its foot says how many."""
    empty = not comparisons.has_data(now)
    value = now[indicator]
    state = "none" if empty else status(indicator, value)
    moved = comparisons.change(indicator, value, before[indicator], previous_has_data)
    trend_class = {True: "up-good", False: "up-bad", None: "flat"}[moved.better]
    goal = target(indicator)
    if indicators.get(indicator).better == "lower":
        foot = "应为 0"
    elif goal is not None:
        foot = f"目标 {fmt(indicator, goal)}"
    else:
        foot = f"上期 {fmt(indicator, before[indicator])}"
    if indicator == "rectify_rate" and rectify is not None and not empty:
        state = rectify.status
        foot = "无超期未整改"
        if rectify.overdue:
            foot = next(
                (
                    text
                    for text in (f"超期未整改 {rectify.overdue:,}", f"超期 {rectify.overdue:,} 条")
                    if fits(text, MIN_U, KPI_WIDTH_U)
                ),
                f"超期 {rectify.overdue:,}",
            )
    second = KPI_SECONDARY.get(indicator)
    if second and fits(f"{foot} · {fmt(second, now[second])}件", MIN_U, KPI_WIDTH_U):
        foot = f"{foot} · {fmt(second, now[second])}件"
    return html.Div(
        [
            fit(indicator_label(indicator), "wall-kpi-label"),
            fit(
                "本期无数据" if empty else fmt(indicator, value),
                f"wall-kpi-value st-{state}",
                **{"data-indicator": indicator, "data-value": _value_attr(value)},
            ),
            fit("" if empty else change_text(moved), f"wall-kpi-delta {trend_class}"),
            fit(foot, "wall-kpi-foot"),
            *(
                [
                    html.Span(
                        hidden=True,
                        **{"data-indicator": second, "data-value": _value_attr(now[second])},
                    )
                ]
                if second
                else []
            ),
        ],
        className=f"wall-kpi wall-panel st-border-{state}",
        id=f"wall-kpi-{indicator}",
        **{"data-status": state, "data-change": moved.kind},
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


def _chip(kind: str, value: Any) -> html.Span:
    n = int(value or 0)
    return html.Span(
        f"{n:,}",
        className=f"wall-chip {kind}" + ("" if n else " zero"),
        **{f"data-{kind}": str(n)},
    )


def _chips(overdue: Any, warning: Any) -> html.Div:
    """A tile's 超期 and 预警 counts; --w (their digits in em) lets the CSS shrink counts of
    many digits to the tile's width rather than clip them."""
    digits = em_width(f"{int(overdue or 0):,}") + em_width(f"{int(warning or 0):,}")
    return html.Div(
        [_chip("overdue", overdue), _chip("warning", warning)],
        className="wall-chips",
        style={"--w": f"{digits:.2f}"},
    )


def _positions(towns: list[dict]) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Grid cell per town code (towns without a position fill rows below), rows, columns."""
    placed = [t for t in towns if t["row"] is not None and t["col"] is not None]
    rows = max((t["row"] for t in placed), default=-1) + 1
    cols = max((t["col"] for t in placed), default=-1) + 1
    unplaced = [t for t in towns if t not in placed]
    cols = max(cols, min(len(unplaced), 6), 1)
    positions = {t["code"]: (t["row"], t["col"]) for t in placed}
    for i, t in enumerate(unplaced):
        positions[t["code"]] = (rows + i // cols, i % cols)
    return positions, rows + -(-len(unplaced) // cols), cols


def tile_map(towns: list[dict], indicator: str) -> list[html.Div]:
    """One tile per town at its grid position: its name, the view's figure (the tile's
    colour), and always its 超期未办结 and 超时预警 counts (red and amber chips)."""
    positions, _, _ = _positions(towns)
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
                    _chips(t.get("overdue_open"), t.get("warning_open")),
                ],
                className="wall-tile",
                style={"gridRow": r + 1, "gridColumn": c + 1, "background": bg, "color": fg},
                **{"data-town": t["code"], "data-value": _value_attr(t[indicator])},
            )
        )
    return tiles


def grid_shape(towns: list[dict]) -> dict[str, str]:
    _, rows, cols = _positions(towns)
    return {
        "gridTemplateRows": f"repeat({max(rows, 1)}, minmax(0, 1fr))",
        "gridTemplateColumns": f"repeat({cols}, minmax(0, 1fr))",
    }


def map_legend(indicator: str) -> list:
    """What the tile colours mean for the view."""
    if is_rate(indicator):
        goal = target(indicator)
        margin = float(settings.get("targets.amber_margin")) * 100
        if goal is None:
            colours = [html.Span("无目标值")]
        else:
            colours = [
                html.Span(className="sw", style={"background": STATUS_COLORS["green"]}),
                html.Span(f"达标 ≥{fmt(indicator, goal)}"),
                html.Span(className="sw", style={"background": STATUS_COLORS["amber"]}),
                html.Span(f"差{margin:.0f}个百分点内"),
                html.Span(className="sw", style={"background": STATUS_COLORS["red"]}),
                html.Span("未达标"),
            ]
    elif indicators.get(indicator).better == "lower":
        colours = [
            html.Span(className="sw", style={"background": STATUS_COLORS["green"]}),
            html.Span("为 0"),
            html.Span(className="sw", style={"background": "rgb(214,69,65)"}),
            html.Span("越深越多"),
        ]
    else:
        colours = [
            html.Span(className="sw", style={"background": "rgb(31,111,235)"}),
            html.Span("越深越多"),
        ]
    return colours


def chip_legend() -> list:
    """What the numbers at the foot of every tile count (in the map panel's head)."""
    return [
        html.Span("超期", className="wall-chip overdue"),
        html.Span("预警", className="wall-chip warning"),
    ]


def board(towns: list[dict], indicator: str) -> list:
    """红榜 (best) and 黑榜 (worst) towns by the map's indicator, by the one rule of
    domain/ranking.py — a town that misses a hard target (超期未办结 > 0) is never on 红榜,
    so it may list fewer than three or none; for a plain volume (办件量), the most and the
    fewest instead."""
    order = ranking.rank(towns, indicator, key="code")
    valued = [x for x in order if x.rank is not None]
    boards = ranking.has_boards(indicator)
    if boards:
        red, black = ranking.boards(order)
        best, worst = [x.row for x in red], [x.row for x in reversed(black)]
        enough = bool(black)
    else:
        size = min(ranking.BOARD_SIZE, len(valued) // 2)
        best = [x.row for x in valued[:size]]
        worst = [x.row for x in reversed(valued[len(valued) - size :])] if size else []
        enough = bool(best)
    if not enough:
        return [html.Div("数据不足,暂不排名", className="wall-empty")]
    ranks = {x.row["code"]: x.rank for x in valued}

    def rows(items: list[dict], kind: str) -> html.Div:
        out = []
        for t in items:
            rank = ranks[t["code"]]
            state = t.get(f"{indicator}__status", "none")
            out.append(
                html.Div(
                    [
                        html.Span(str(rank), className="wall-rank"),
                        html.Div(fit(t["name"], "wall-board-name"), className="cq"),
                        html.Span(
                            fmt(indicator, t[indicator]),
                            className=f"wall-board-value st-{state}",
                        ),
                    ],
                    className="wall-board-row",
                    **{"data-town": t["code"], "data-rank": str(rank)},
                )
            )
        if not out:
            out.append(html.Div("本期无乡镇上榜", className="wall-board-none"))
        if boards:
            title = "红榜" if kind == "red" else "黑榜"
        else:
            title = "最多" if kind == "red" else "最少"
        return html.Div(
            [html.Div(title, className=f"wall-board-title {kind}"), *out],
            className=f"wall-board-list {kind}",
            id=f"wall-board-{kind}",
        )

    note = ranking.rule_text() if boards else ""
    return [
        rows(best, "red"),
        rows(worst, "black"),
        *([html.Div(note, className="wall-board-note")] if note else []),
    ]


# --- the 12-month trend: one row per figure, each axis zoomed to its data ------------------

NICE_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)


def rate_axis(values: list[float | None], goal: float | None) -> tuple[list[float], list[float]]:
    """(range, tick values) in % for a rate row: the data and the target, with a margin, so
    that 95–100 % is not a flat line on a 0–100 % axis; two or three round ticks inside."""
    points = [v * 100 for v in values if v is not None]
    if goal is not None:
        points.append(goal * 100)
    if not points:
        return [0, 100], [0, 50, 100]
    lo, hi = min(points), max(points)
    span = max(hi - lo, 1.0)  # at least one percentage point tall
    pad = span * 0.18
    bottom, top = max(lo - pad, 0.0), min(hi + pad, 100.0 + pad * 0.6)
    step = next((s for s in NICE_STEPS if (top - bottom) / s <= 3), 50)
    first = -(-bottom // step) * step
    ticks = []
    v = first
    while v <= min(top, 100.0) + 1e-9:
        ticks.append(round(v, 4))
        v += step
    return [bottom, top], ticks


def _pct(v: float, step: float) -> str:
    return f"{v:.1f}%" if step < 1 or v % 1 else f"{v:.0f}%"


def _wan(v: float) -> str:
    """Counts on a wall axis: 4万 rather than 40,000."""
    if v >= 10000:
        return f"{v / 10000:g}万"
    return f"{v:,.0f}"


def trend_figure(frame: pl.DataFrame, scale: float, as_of: datetime | None = None) -> go.Figure:
    """The last 12 months, one row per figure sharing the month axis: 办件量 as bars from
    zero, each rate as a line on its own axis zoomed to its months and its target, the
    target a dashed line named in the row's title, each month's marker red/amber/green
    like the tiles. A month the data does not cover whole (domain/periods.incomplete: this
    month so far) is drawn apart: a lighter bar, a hollow marker on a dotted segment."""
    s = max(scale, 0.3)
    size = 25 * s
    x = [d.isoformat() for d in frame["period_start"]]
    running = [
        as_of is not None and periods.incomplete(d, "month", as_of) for d in frame["period_start"]
    ]
    rows = TREND_INDICATORS
    head = size * 1.9  # room for the first row's title above its plot, in px
    fig = go.Figure()
    # rows share the height; positions are fractions of the plot area, titles above each
    gap = 0.085
    band = (1 - gap * (len(rows) - 1)) / len(rows)
    annotations = []
    shapes = []
    layout: dict[str, Any] = {}
    for i, ind in enumerate(rows):
        axis = "y" if i == 0 else f"y{i + 1}"
        name = "yaxis" if i == 0 else f"yaxis{i + 1}"
        top = 1 - i * (band + gap)
        domain = [max(top - band, 0), top]
        values = frame[ind].to_list()
        title = indicator_label(ind)
        if is_rate(ind):
            goal = target(ind)
            rng, ticks = rate_axis(values, goal)
            step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
            ys = [None if v is None else v * 100 for v in values]
            colors = [STATUS_COLORS[status(ind, v)] for v in values]
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[None if r else y for y, r in zip(ys, running, strict=True)],
                    yaxis=axis,
                    mode="lines+markers",
                    line={"color": ACCENT, "width": 4 * s},
                    marker={"size": 11 * s, "color": colors, "line": {"width": 0}},
                    cliponaxis=False,
                )
            )
            if any(running):  # from the last whole month into this one, dotted and hollow
                keep = range(max(running.index(True) - 1, 0), len(ys))
                fig.add_trace(
                    go.Scatter(
                        x=[x[k] for k in keep],
                        y=[ys[k] for k in keep],
                        yaxis=axis,
                        mode="lines+markers",
                        line={"color": ACCENT, "width": 3 * s, "dash": "dot"},
                        marker={
                            "size": 11 * s,
                            "symbol": ["circle-open" if running[k] else "circle" for k in keep],
                            "color": [colors[k] for k in keep],
                            "line": {"width": 3 * s, "color": [colors[k] for k in keep]},
                        },
                        cliponaxis=False,
                    )
                )
            layout[name] = {
                "domain": domain,
                "range": rng,
                "tickvals": ticks,
                "ticktext": [_pct(t, step) for t in ticks],
            }
            if goal is not None:
                title = f"{title} · 目标 {fmt(ind, goal)}"
                shapes.append(
                    {
                        "type": "line",
                        "xref": "paper",
                        "x0": 0,
                        "x1": 1,
                        "yref": axis,
                        "y0": goal * 100,
                        "y1": goal * 100,
                        "line": {"color": "#ffc233", "width": 2.5 * s, "dash": "dash"},
                    }
                )
        else:
            top_value = max((v for v in values if v is not None), default=0) or 1
            steps = (m * 10**e for e in range(9) for m in (1, 2, 5))
            step = next((x for x in steps if top_value / x <= 2.2), top_value)
            ticks = [0, step, 2 * step] if 2 * step <= top_value * 1.15 else [0, step]
            fig.add_trace(
                go.Bar(
                    x=x,
                    y=values,
                    yaxis=axis,
                    marker={
                        "color": ["rgba(76,195,255,0.35)" if r else "#1f6feb" for r in running],
                        "line": {"width": 0},
                    },
                )
            )
            layout[name] = {
                "domain": domain,
                "range": [0, top_value * 1.15],
                "tickvals": ticks,
                "ticktext": [_wan(t) for t in ticks],
            }
            if any(running):
                title = f"{title} · 本月至今为浅色"
        annotations.append(
            {
                "text": title,
                "xref": "paper",
                "x": 0,
                "xanchor": "left",
                "yref": "paper",
                "y": top,
                "yanchor": "bottom",
                "yshift": 2 * s,
                "showarrow": False,
                "font": {"size": size, "color": TEXT},
            }
        )
        layout[name].update(
            {
                "anchor": "x",
                "showgrid": True,
                "gridcolor": "rgba(255,255,255,0.10)",
                "zeroline": False,
                "tickfont": {"size": size, "color": MUTED},
                "fixedrange": True,
                "automargin": True,
            }
        )
    # month labels every other month, ending on the latest
    ticks = x[::-1][::2][::-1]
    labels = [f"{date.fromisoformat(t).month}月" for t in ticks]
    fig.update_layout(
        **layout,
        xaxis={
            "type": "date",
            "tickvals": ticks,
            "ticktext": labels,
            "tickfont": {"size": size, "color": MUTED},
            "showgrid": False,
            "fixedrange": True,
            "anchor": f"y{len(rows)}" if len(rows) > 1 else "y",
            "range": [_shift(x[0], -15), _shift(x[-1], 15)] if x else None,
        },
        annotations=annotations,
        shapes=shapes,
        showlegend=False,
        height=None,
        autosize=True,
        bargap=0.25,
        margin={"l": 8 * s, "r": 12 * s, "t": head, "b": size * 1.6},
        font={"family": WALL_FONT, "size": size, "color": TEXT},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        hovermode=False,
    )
    return fig


def _shift(iso: str, days: int) -> str:
    return date.fromordinal(date.fromisoformat(iso).toordinal() + days).isoformat()


# --- ticker, 体外循环 ---------------------------------------------------------------------


def ticker_groups(groups: list[dict[str, Any]]) -> list[html.Span]:
    """One group per town: its name and counts, then its most urgent cases."""
    out = []
    for g in groups:
        parts: list[Any] = [
            html.B(g["town"], className="wall-tick-town"),
            html.Span(f"超期 {g['overdue']:,}", className="wall-tick-count overdue"),
            html.Span(f"预警 {g['warning']:,}", className="wall-tick-count warning"),
        ]
        for case in g["cases"]:
            parts.append(
                html.Span(
                    [
                        html.B(case["when"], className=f"wall-tick-when {case['kind']}"),
                        f"{case['dept']} · {case['item']}",
                    ],
                    className="wall-tick-case",
                    **{"data-kind": case["kind"]},
                )
            )
        out.append(
            html.Span(
                parts,
                className="wall-tick",
                **{
                    "data-town": g["code"],
                    "data-overdue": str(g["overdue"]),
                    "data-warning": str(g["warning"]),
                },
            )
        )
    return out


def ticker_width_em(groups: list[dict[str, Any]]) -> float:
    """The groups' width in em of the ticker's text (for its scrolling speed)."""
    width = 0.0
    for g in groups:
        width += em_width(f"{g['town']} 超期 {g['overdue']:,} 预警 {g['warning']:,}") + 4
        for case in g["cases"]:
            width += em_width(f"{case['when']} {case['dept']} · {case['item']}") + 2
    return width


def _signals(names: list[str], width_u: float) -> str:
    """The signal names, or as many as fit and 等N项 — never a clipped line."""
    text = "、".join(names)
    if fits(text, MIN_U, width_u):
        return text
    for k in range(len(names) - 1, 0, -1):
        text = f"{'、'.join(names[:k])} 等{len(names)}项"
        if fits(text, MIN_U, width_u):
            return text
    return f"{len(names)}项信号"


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
                fit(_signals(f["signals"], FLAG_WIDTH_U), "wall-flag-signals"),
            ],
            className="wall-flag",
        )
        for f in shown
    ]
    if len(flags) > len(shown):
        rows.append(html.Div(f"另有 {len(flags) - len(shown)} 个部门", className="wall-flag-more"))
    return rows
