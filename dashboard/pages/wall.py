"""大屏 (issue 6): the county's figures on the meeting-room wall, unattended.

One screen, no scrolling, readable from across the room: county KPIs against the previous
period and the targets, a tile map of the towns, 红黑榜, a 12-month trend, a ticker of
overdue and 预警 cases and the departments flagged for 体外循环. The data refreshes on a
timer (`?refresh=`), the map's indicator can rotate (`?rotate=`), and the period and
indicator come from the URL (`?period=last_week&color=online_rate`) so that a meeting's
screen is prepared as a link. docs/wall.md describes every parameter.

The shell hides itself on /wall (dashboard.app.BARE_PATHS). Refreshes replace what is on
the screen — components, the figure, the town values — and never add to it.
"""

from __future__ import annotations

import logging
from datetime import datetime

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth.access import AccessDenied
from dashboard.domain import comparisons, ranking
from dashboard.domain.indicators import label as indicator_label
from dashboard.errors import RequestError
from dashboard.store import StoreEmpty, default_store
from dashboard.wall import data as wall_data
from dashboard.wall import panels as wall_panels
from etl import settings

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/wall",
    name="大屏",
    title="大屏 · 政务服务效能看板",
    nav=False,
    order=90,
    roles=("admin", "city", "county", "town", "wall"),
)

TICKER_SECONDS_PER_EM = 0.25  # ticker speed: about 11 % of the screen height per second
# the figure before the first data, and without data: nothing drawn, not even axes
EMPTY_FIGURE = {
    "data": [],
    "layout": {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
    },
}


class Ids:
    ROOT = "wall-root"
    CONFIG = "wall-config"  # dcc.Store: the URL's choices (WallConfig.as_dict)
    TOWNS = "wall-towns"  # dcc.Store: town values for the map views, replaced per refresh
    VIEWPORT = "wall-viewport"  # dcc.Store: window size, for the figure's font sizes
    TICK = "wall-tick"  # dcc.Interval: data refresh
    ROTATE = "wall-rotate"  # dcc.Interval: next map view
    CLOCK_TICK = "wall-clock-tick"
    CLOCK = "wall-clock"
    CLOCK_DATE = "wall-clock-date"
    PERIOD_TEXT = "wall-period"
    AS_OF = "wall-as-of"
    STALE = "wall-stale"
    UPDATED = "wall-updated"
    KPIS = "wall-kpis"
    MAP = "wall-map"
    MAP_TITLE = "wall-map-title"
    MAP_LEGEND = "wall-map-legend"
    VIEWS = "wall-views"
    BOARD = "wall-board"
    BOARD_TITLE = "wall-board-title"
    TREND = "wall-trend"
    FLAGS = "wall-flags"
    FLAGS_COUNT = "wall-flags-count"
    TICKER_COUNT = "wall-ticker-count"
    TICKER_TRACK = "wall-ticker-track"


def _panel(title_id: str | None, title: str, body, extra=None, class_name: str = "") -> html.Div:
    ids = {"id": title_id} if title_id else {}
    head = [html.Div(title, className="wall-panel-title", **ids)]
    if extra is not None:
        head.append(extra)
    return html.Section(
        [html.Div(head, className="wall-panel-head"), body],
        className=f"wall-panel {class_name}",
    )


def _brand() -> str:
    """The county's name; the city's when the instance holds several counties (issue 18)."""
    from dashboard.domain import counties

    try:
        return counties.brand(default_store())
    except (StoreEmpty, AccessDenied):
        return str(settings.get("county.name"))


def layout(**query) -> html.Div:
    config = wall_data.WallConfig.from_query(query)
    county = _brand()
    return html.Div(
        [
            dcc.Store(id=Ids.CONFIG, data=config.as_dict()),
            dcc.Store(id=Ids.TOWNS),
            dcc.Store(id=Ids.VIEWPORT),
            dcc.Interval(id=Ids.TICK, interval=config.refresh * 1000),
            dcc.Interval(
                id=Ids.ROTATE, interval=max(config.rotate, 1) * 1000, disabled=not config.rotate
            ),
            dcc.Interval(id=Ids.CLOCK_TICK, interval=1000),
            html.Header(
                [
                    html.Div(
                        [
                            html.Div(county, className="wall-county"),
                            html.Div("政务服务效能监测", className="wall-title"),
                        ],
                        className="wall-brand",
                    ),
                    html.Div(
                        [
                            html.Div(id=Ids.PERIOD_TEXT, className="wall-period fit-line"),
                            html.Div(
                                [
                                    html.Span(id=Ids.AS_OF, className="wall-as-of"),
                                    html.Span(id=Ids.STALE, className="wall-stale"),
                                    html.Span(id=Ids.UPDATED, className="wall-updated"),
                                ],
                                className="wall-status-line",
                            ),
                        ],
                        className="wall-header-center",
                    ),
                    html.Div(
                        [
                            html.Div("--:--:--", id=Ids.CLOCK, className="wall-clock"),
                            html.Div(id=Ids.CLOCK_DATE, className="wall-clock-date"),
                        ],
                        className="wall-clock-box",
                    ),
                ],
                className="wall-header",
            ),
            # the first answer replaces it (the wall's loading indicator, in Chinese)
            html.Section(
                html.Div("正在加载数据…", className="wall-loading"),
                id=Ids.KPIS,
                className="wall-kpis",
            ),
            html.Main(
                [
                    _panel(
                        Ids.MAP_TITLE,
                        "乡镇态势",
                        html.Div(
                            [
                                html.Div(id=Ids.MAP, className="wall-map"),
                                html.Div(id=Ids.MAP_LEGEND, className="wall-legend"),
                            ],
                            className="wall-map-box",
                        ),
                        html.Div(
                            [
                                html.Div(
                                    wall_panels.chip_legend(),
                                    className="wall-chip-legend",
                                    title="每个乡镇下方的数字:超期未办结、超时预警件数",
                                ),
                                html.Div(id=Ids.VIEWS, className="wall-views"),
                            ],
                            className="wall-head-right",
                        ),
                        "wall-map-panel",
                    ),
                    _panel(
                        None,
                        "近12个月趋势",
                        html.Div(
                            dcc.Graph(
                                id=Ids.TREND,
                                figure=EMPTY_FIGURE,
                                config={"displayModeBar": False, "staticPlot": True},
                                responsive=True,
                                style={"height": "100%", "width": "100%"},
                            ),
                            className="wall-trend-box",
                        ),
                        class_name="wall-trend-panel",
                    ),
                    html.Div(
                        [
                            _panel(
                                Ids.BOARD_TITLE,
                                "红黑榜",
                                html.Div(id=Ids.BOARD, className="wall-board"),
                                class_name="wall-board-panel",
                            ),
                            _panel(
                                None,
                                "疑似体外循环部门",
                                html.Div(id=Ids.FLAGS, className="wall-flags"),
                                html.Span(id=Ids.FLAGS_COUNT, className="wall-count"),
                                "wall-flags-panel",
                            ),
                        ],
                        className="wall-side",
                    ),
                ],
                className="wall-main",
            ),
            html.Footer(
                [
                    html.Div(
                        [
                            html.Div("超期 · 预警", className="wall-ticker-name"),
                            html.Div(id=Ids.TICKER_COUNT, className="wall-ticker-count"),
                        ],
                        className="wall-ticker-label",
                    ),
                    html.Div(
                        html.Div(id=Ids.TICKER_TRACK, className="wall-ticker-track"),
                        className="wall-ticker-window",
                    ),
                ],
                className="wall-ticker",
            ),
        ],
        className="wall",
        id=Ids.ROOT,
        **{"data-ready": "0"},
    )


# The window size, read once and again only when it changes (no_update otherwise), so that
# the figure's fonts and margins scale with the screen like the CSS does.
clientside_callback(
    """
    function(n, current) {
        const v = {w: window.innerWidth, h: window.innerHeight};
        if (current && current.w === v.w && current.h === v.h) {
            return window.dash_clientside.no_update;
        }
        return v;
    }
    """,
    Output(Ids.VIEWPORT, "data"),
    Input(Ids.TICK, "n_intervals"),
    State(Ids.VIEWPORT, "data"),
)

# The clock runs in the browser: it keeps ticking while the server is away.
clientside_callback(
    """
    function(n) {
        const d = new Date();
        const p = (x) => String(x).padStart(2, '0');
        const week = '日一二三四五六'[d.getDay()];
        return [
            `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`,
            `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 星期${week}`,
        ];
    }
    """,
    Output(Ids.CLOCK, "children"),
    Output(Ids.CLOCK_DATE, "children"),
    Input(Ids.CLOCK_TICK, "n_intervals"),
)

_REFRESH_OUTPUTS = (
    Output(Ids.KPIS, "children"),
    Output(Ids.TREND, "figure"),
    Output(Ids.TICKER_TRACK, "children"),
    Output(Ids.TICKER_TRACK, "className"),
    Output(Ids.TICKER_TRACK, "style"),
    Output(Ids.TICKER_COUNT, "children"),
    Output(Ids.FLAGS, "children"),
    Output(Ids.FLAGS_COUNT, "children"),
    Output(Ids.PERIOD_TEXT, "children"),
    Output(Ids.PERIOD_TEXT, "style"),
    Output(Ids.AS_OF, "children"),
    Output(Ids.STALE, "children"),
    Output(Ids.STALE, "className"),
    Output(Ids.UPDATED, "children"),
    Output(Ids.UPDATED, "className"),
    Output(Ids.TOWNS, "data"),
)
_UPDATED = next(i for i, o in enumerate(_REFRESH_OUTPUTS) if o.component_id == Ids.UPDATED)


@callback(
    *_REFRESH_OUTPUTS,
    Input(Ids.TICK, "n_intervals"),
    Input(Ids.VIEWPORT, "data"),
    State(Ids.CONFIG, "data"),
)
def refresh(_n, viewport, config_data):
    """Everything but the map view, from the store as it is now. A failure keeps the last
    good screen and says so in the header; the next interval tries again."""
    config = wall_data.WallConfig.from_dict(config_data)
    clock = datetime.now().strftime("%H:%M:%S")
    try:
        data = wall_data.load(default_store(), config)
    except RequestError as exc:  # e.g. a reversed custom period in the link
        return _no_data(clock, exc.message)
    except (StoreEmpty, ValueError) as exc:
        log.warning("wall: no data to show: %s", exc)
        return _no_data(clock)
    except Exception:  # keep the last good screen; the next interval tries again
        log.exception("wall refresh failed")
        keep: list = [no_update] * len(_REFRESH_OUTPUTS)
        keep[_UPDATED] = f"刷新失败 {clock}"
        keep[_UPDATED + 1] = "wall-updated failed"
        return tuple(keep)
    if data.problems:  # a period outside the data, an unknown town: said, not zeros
        return _no_data(clock, "；".join(data.problems))
    scale = 1.0
    if viewport and viewport.get("h") and viewport.get("w"):
        scale = min(viewport["h"] / 1080, viewport["w"] / 1920)
    previous = comparisons.has_data(data.before)
    kpis = [
        wall_panels.kpi_tile(k, data.now, data.before, previous, data.rectify) for k in data.kpis
    ]
    track, track_class, track_style = _ticker(data)
    stale = data.stale
    age = data.age_hours
    return (
        kpis,
        wall_panels.trend_figure(data.trend, scale, data.as_of),
        track,
        track_class,
        track_style,
        f"共 {data.ticker_total:,} 件",
        wall_panels.flags_list(data.flags),
        "" if data.flags is None else f"{len(data.flags)} 个",
        *wall_panels.period_line(data.period, data.spans),
        f"数据截至 {data.as_of:%Y-%m-%d %H:%M}",
        f"数据已过期 · {age:.0f} 小时未更新" if stale else "",
        "wall-stale show" if stale else "wall-stale",
        f"刷新 {clock}",  # shown only when a refresh fails; tests read it
        "wall-updated",
        {"towns": data.towns, "generation": data.generation, "level": data.level},
    )


def _ticker(data: wall_data.WallData) -> tuple[list, str, dict]:
    if not data.ticker:
        return (
            [html.Span("本期暂无超期、预警办件", className="wall-tick calm")],
            "wall-ticker-track static",
            {},
        )
    # two copies side by side scroll by one copy's width: a seamless loop
    track = [
        html.Div(wall_panels.ticker_groups(data.ticker), className="wall-ticker-copy"),
        html.Div(
            wall_panels.ticker_groups(data.ticker),
            className="wall-ticker-copy",
            **{"aria-hidden": "true"},
        ),
    ]
    seconds = max(20, round(wall_panels.ticker_width_em(data.ticker) * TICKER_SECONDS_PER_EM))
    return track, "wall-ticker-track moving", {"--dur": f"{seconds}s"}


NO_DATA = "尚无数据：请先导入办件、12345 工单或好差评导出文件"


def _no_data(clock: str, message: str = NO_DATA):
    return (
        [html.Div(message, className="wall-no-data")],
        EMPTY_FIGURE,
        [html.Span("尚无数据", className="wall-tick")],
        "wall-ticker-track static",
        {},
        "",
        [],
        "",
        "",
        {},
        "尚无数据",
        "",
        "wall-stale",
        f"刷新 {clock}",
        "wall-updated",
        {"towns": [], "generation": ""},
    )


@callback(
    Output(Ids.MAP, "children"),
    Output(Ids.MAP, "style"),
    Output(Ids.MAP_TITLE, "children"),
    Output(Ids.MAP_LEGEND, "children"),
    Output(Ids.VIEWS, "children"),
    Output(Ids.BOARD, "children"),
    Output(Ids.BOARD_TITLE, "children"),
    Output(Ids.ROOT, "data-ready"),
    Output(Ids.ROOT, "data-view"),
    Input(Ids.TOWNS, "data"),
    Input(Ids.ROTATE, "n_intervals"),
    State(Ids.CONFIG, "data"),
)
def show_view(towns_data, n, config_data):
    """The map and 红黑榜 for the current view's indicator (rotating with ?rotate=)."""
    if not towns_data:
        raise PreventUpdate
    config = wall_data.WallConfig.from_dict(config_data)
    views = config.views()
    indicator = views[(n or 0) % len(views)]
    towns = towns_data.get("towns") or []
    level = "县区" if towns_data.get("level") == "county" else "乡镇"
    name = indicator_label(indicator)
    dots = (
        [
            html.Span(className="on" if v == indicator else "", title=indicator_label(v))
            for v in views
        ]
        if len(views) > 1
        else []
    )
    return (
        wall_panels.tile_map(towns, indicator),
        wall_panels.grid_shape(towns),
        f"{level}态势 · {name}",
        wall_panels.map_legend(indicator) if towns else [],
        dots,
        wall_panels.board(towns, indicator) if towns else [],
        f"{'红黑榜' if ranking.has_boards(indicator) else f'{level}排行'} · {name}",
        "1",
        indicator,
    )
