"""Plotly figures shared by the pages, the wall screen and the PDF: same look everywhere."""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go
import polars as pl

from dashboard.components.format import is_rate
from dashboard.domain import periods
from dashboard.domain.indicators import label as indicator_label

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
PALETTE = ["#1f6feb", "#e0a100", "#1e9e5a", "#d64541", "#8957e5", "#0aa2c0"]
# Counts on an axis as 17,500 — Plotly's default says 17.5k, which officials do not read.
# (Month and day labels are Chinese through the zh-CN locale: assets/plotly-setup.js.)
COUNT_TICKS = ",.0f"


def plain(values) -> list:
    """Text from the data as Plotly shows text, never markup: Plotly renders a few HTML tags
    (<a href>, <b>, <br> …) in labels and hover, so a topic typed as `<a href=…>` would be
    a link. Angle brackets become entities, which Plotly shows as the characters."""
    return [
        v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if isinstance(v, str)
        else v
        for v in values
    ]


def base_layout(fig: go.Figure, height: int = 320, dark: bool = False) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 48, "r": 16, "t": 36, "b": 40},
        font={"family": FONT, "size": 13, "color": "#e6edf3" if dark else "#24292f"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
        colorway=PALETTE,
    )
    grid = "rgba(255,255,255,0.12)" if dark else "#e5e7eb"
    fig.update_xaxes(gridcolor=grid)
    fig.update_yaxes(gridcolor=grid, zerolinecolor=grid)
    return fig


def trend(
    frame: pl.DataFrame,
    indicators: list[str],
    title: str = "",
    height: int = 320,
    dark: bool = False,
    as_of: datetime | None = None,
    bucket: str | None = None,
) -> go.Figure:
    """Lines over period_start; rates on the left axis in %, one count as bars on the right.
    With `as_of` and `bucket`, buckets the data does not cover to their end (this week or
    month so far) are drawn apart: a lighter bar, a hollow marker on a dotted segment, and
    a note naming the day the data ends — a half-finished month is not a fall."""
    fig = go.Figure()
    starts = list(frame["period_start"])
    x = [d.isoformat() for d in starts]
    partial = [
        as_of is not None and bucket is not None and periods.incomplete(d, bucket, as_of)
        for d in starts
    ]
    for n, ind in enumerate(indicators):
        values = frame[ind].to_list()
        color = PALETTE[n % len(PALETTE)]
        if is_rate(ind):
            y = [None if v is None else v * 100 for v in values]
            whole = [None if p else v for v, p in zip(y, partial, strict=True)]
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=whole,
                    name=indicator_label(ind),
                    mode="lines+markers",
                    line={"color": color},
                    legendgroup=ind,
                    customdata=[ind] * len(x),  # a click names its indicator
                    hovertemplate="%{y:.1f}%<extra>%{fullData.name}</extra>",
                )
            )
            if any(partial):  # from the last whole bucket to the running one, dotted
                first = partial.index(True)
                keep = range(max(first - 1, 0), len(y))
                fig.add_trace(
                    go.Scatter(
                        x=[x[i] for i in keep],
                        y=[y[i] for i in keep],
                        customdata=[ind] * len(keep),
                        name=indicator_label(ind),
                        mode="lines+markers",
                        line={"color": color, "dash": "dot"},
                        marker={
                            "symbol": ["circle-open" if partial[i] else "circle" for i in keep],
                            "size": 8,
                        },
                        legendgroup=ind,
                        showlegend=False,
                        hovertemplate="%{y:.1f}%(不完整)<extra>%{fullData.name}</extra>",
                    )
                )
        else:
            fig.add_trace(
                go.Bar(
                    x=x,
                    y=values,
                    name=indicator_label(ind),
                    yaxis="y2",
                    customdata=[ind] * len(x),
                    marker={"color": color, "opacity": [0.15 if p else 0.35 for p in partial]},
                    hovertemplate="%{y:,}<extra>%{fullData.name}</extra>",
                )
            )
    if any(partial) and as_of is not None:
        fig.add_annotation(
            text=f"虚线、浅色:截至 {as_of:%m-%d %H:%M},未满一{'月' if bucket == 'month' else '周'}",
            xref="paper",
            yref="paper",
            x=1,
            y=1.02,
            xanchor="right",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11, "color": "#6c757d"},
        )
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        yaxis={"ticksuffix": "%", "rangemode": "tozero"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickformat": COUNT_TICKS,
        },
    )
    return base_layout(fig, height, dark)


def town_bars(
    frame: pl.DataFrame,
    indicator: str,
    title: str = "",
    height: int = 360,
    dark: bool = False,
    target: float | None = None,
) -> go.Figure:
    """One bar per town, sorted, with the target as a line."""
    data = frame.sort(indicator, descending=True, nulls_last=True)
    rate = is_rate(indicator)
    y = [None if v is None else (v * 100 if rate else v) for v in data[indicator]]
    fig = go.Figure(
        go.Bar(
            x=plain(data["town_name"].to_list()),
            y=y,
            customdata=data["town_code"].to_list(),
            marker_color=PALETTE[0],
            hovertemplate="%{x}: %{y:.1f}" + ("%" if rate else "") + "<extra></extra>",
        )
    )
    if target is not None:
        fig.add_hline(
            y=target * 100 if rate else target,
            line_dash="dash",
            line_color="#d64541",
            annotation_text="目标",
            annotation_position="top left",
        )
    fig.update_layout(
        title={"text": title or indicator_label(indicator), "x": 0, "font": {"size": 15}},
        yaxis={"ticksuffix": "%" if rate else "", "tickformat": "" if rate else COUNT_TICKS},
    )
    return base_layout(fig, height, dark)
