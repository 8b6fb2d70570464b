"""The 乡镇 / 12345热线 / 好差评 pages' queries: they agree with metrics() on a small demo
county, and the page's own definitions (解决率, 重复来电, how late a case is) are checked by
hand on a few rows."""

from __future__ import annotations

import itertools
import sys
from datetime import date, datetime

import dash
import polars as pl
import pytest

from dashboard.domain.metrics import Params, default_as_of, figures_query, metrics
from dashboard.errors import BadRequest
from dashboard.filters import Filters
from dashboard.store import Scope, Store
from etl.load import load
from tests.conftest import TICKET_HEADER, ticket_row, use_environment, write_csv

PERIODS = [(date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 1, 1), date(2026, 12, 31))]


def page(name: str):
    """A page module as Dash imported it (pages.<name>): importing it a second time under
    another name would register the page twice."""
    if f"pages.{name}" not in sys.modules:
        from dashboard.app import create_app

        create_app()
    return sys.modules[f"pages.{name}"]


@pytest.fixture(scope="module")
def demo_store(demo_county):
    """The tests' demo county (tests/conftest.py), read by the pages through the
    environment."""
    with pytest.MonkeyPatch.context() as mp:
        use_environment(mp, demo_county.environment())
        yield Store()


def _params(store: Store, start: date, end: date, **extra) -> dict:
    as_of = default_as_of(store)
    return {
        **Params(start, end, as_of).sql_params(),
        "depts": [],
        "window_days": 30,
        "caller": "",
        **extra,
    }


def _county(store: Store, start: date, end: date, **kw) -> dict:
    return metrics(store, start, end, default_as_of(store), by="county", **kw).row(0, named=True)


# --- agreement with metrics() -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_hotline_volumes_sum_to_the_tickets(demo_store, start, end):
    county = _county(demo_store, start, end)
    params = _params(demo_store, start, end)
    by_type = demo_store.query("hotline__by_type", **params)
    by_topic = demo_store.query("hotline__by_topic", **params)
    assert county["hotline_tickets"] > 0
    assert by_type["tickets"].sum() == county["hotline_tickets"]
    assert by_topic["tickets"].sum() == county["hotline_tickets"]
    resolution = demo_store.query("hotline__resolution", **params)
    assert resolution["tickets"].sum() == county["hotline_tickets"]


@pytest.mark.slow
def test_hotline_volumes_follow_scope_and_departments(demo_store):
    start, end = PERIODS[1]
    town = demo_store.sql("select min(town_code) as t from towns", whole_county=True)["t"][0]
    dept = demo_store.sql("select min(dept_name) as d from hotline_tickets", whole_county=True)[
        "d"
    ][0]
    county = _county(demo_store, start, end, scope=Scope((town,)), depts=(dept,))
    by_type = demo_store.query(
        "hotline__by_type", scope=Scope((town,)), **_params(demo_store, start, end, depts=[dept])
    )
    assert by_type["tickets"].sum() == county["hotline_tickets"]


@pytest.mark.slow
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_rating_and_rectification_counts_agree_with_metrics(demo_store, start, end):
    county = _county(demo_store, start, end)
    params = _params(demo_store, start, end)
    ratings = demo_store.query("evaluations__ratings", **params)
    assert ratings["evaluations"].sum() == county["evaluations"] > 0
    assert ratings.filter(pl.col("rating") <= 2)["evaluations"].sum() == county["bad_reviews"]
    states = demo_store.query("evaluations__rectify_states", **params)
    assert states["bad_reviews"].sum() == county["bad_reviews"]
    assert states["rectify_overdue"].sum() == county["rectify_overdue"]


@pytest.mark.slow
def test_evaluation_rows_are_the_bar_they_open(demo_store):
    start, end = PERIODS[1]
    params = _params(demo_store, start, end)
    ratings = demo_store.query("evaluations__ratings", **params)
    rating, channel, count = ratings.sort("evaluations").row(0)
    rows = demo_store.query(
        "evaluations__rows", **params, rating=rating, eval_channel=channel, limit=100_000
    )
    assert rows.height == count
    assert set(rows["rating"]) == {rating} and set(rows["eval_channel"]) == {channel}


@pytest.mark.slow
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_town_items_sum_to_the_town(demo_store, start, end):
    town = demo_store.sql("select min(town_code) as t from towns", whole_county=True)["t"][0]
    row = metrics(demo_store, start, end, default_as_of(demo_store), by="town").filter(
        pl.col("town_code") == town
    )
    expected = row.row(0, named=True)
    shown = (
        "cases",
        "online_cases",
        "online_rate",
        "completed",
        "overdue_completed",
        "overdue_open",
    )
    items = figures_query(
        demo_store, "town__items", shown, **_params(demo_store, start, end, town=town)
    )
    for column in ("cases", "online_cases", "completed", "overdue_completed", "overdue_open"):
        assert items[column].sum() == expected[column], column
    assert expected["cases"] > 0
    # an item's rows: exactly its 办件量
    code, cases = items.select("item_code", "cases").row(0)
    rows = demo_store.query(
        "town__item_cases",
        **_params(demo_store, start, end, town=town, item_code=code, limit=100_000),
    )
    assert rows.height == rows["total"][0] == cases


@pytest.mark.slow
def test_page_callbacks_answer_on_the_demo_store(demo_store):
    """Every data callback of the three pages runs as a plain function (thin callbacks)."""
    query = Filters(period="this_year").to_query()
    town = page("town")
    assert town.layout(period="this_year") is not None
    for fn in (
        town.show_kpis,
        town.show_departments,
        town.show_items,
        town.show_trends,
        town.show_late_cases,
    ):
        assert fn(query) is not None
    hotline = page("hotline")
    for fn in (
        hotline.show_kpis,
        hotline.show_volume,
        hotline.show_towns,
        hotline.show_overdue,
        hotline.show_repeat_callers,
    ):
        assert fn(query) is not None
    panel = hotline.show_panel({"request_type": "投诉"}, query)
    assert "工单明细" in str(panel)
    evaluations = page("evaluations")
    for fn in (
        evaluations.show_kpis,
        evaluations.show_ratings,
        evaluations.show_rectify_states,
        evaluations.show_rectify_overdue,
        evaluations.show_tables,
    ):
        assert fn(query) is not None
    _columns, rows, _style = evaluations.show_bad_reviews(query, "")
    county = _county(demo_store, *PERIODS[1])
    assert len(rows) == min(county["bad_reviews"], evaluations.LIST_ROWS)


@pytest.mark.slow
def test_choosing_a_town_writes_the_url(demo_store):
    town = page("town")
    codes = demo_store.query("shell__towns")["town_code"].to_list()
    search = "?period=last_month&towns=" + ",".join(codes[:3])
    options, chosen = town.town_choice(Filters.from_query(search))
    assert [o["value"] for o in options] == codes[:3] and chosen[0] == codes[0]
    assert town.choose_town(codes[0], search) is dash.no_update  # already shown
    assert town.choose_town(codes[1], search) == f"/town{search}&town={codes[1]}"
    # a town outside the chosen ones is not silently replaced by another: none is shown,
    # and the shell says why
    _, none = town.town_choice(Filters.from_query(f"{search}&town={codes[5]}"))
    assert none is None
    _, unknown = town.town_choice(Filters.from_query("?period=last_month&town=999"))
    assert unknown is None
    from dashboard.components.notices import problems

    assert problems("?period=last_month&town=999") == ["乡镇 999 不存在或您无权查看。"]
    assert "晚于结束日期" in problems("?period=custom&from=2026-11-05&to=2026-11-01")[0]
    assert problems("?period=custom&from=2030-01-01&to=2030-01-31")[0].startswith("本期无数据")
    assert problems("?period=last_month") == []


@pytest.mark.slow
def test_town_kpis_link_to_the_town_rows(demo_store):
    town = page("town")
    code = demo_store.sql("select min(town_code) as t from towns", whole_county=True)["t"][0]
    cards = town.show_kpis(Filters(period="this_year", extra={"town": code}).to_query())
    hrefs = [c for c in str(cards).split("href='")[1:]]
    assert hrefs and all(h.startswith("/rows?") and f"town={code}" in h for h in hrefs)


# --- definitions, by hand -----------------------------------------------------------------


def _tickets(tmp_path, reference_files, rows) -> Store:
    files = [*reference_files, write_csv(tmp_path / "t.csv", TICKET_HEADER, rows)]
    run = load(files)
    assert run.exit_code == 0 and all(r.rejected == 0 for r in run.reports), run.reports
    return Store()


def _call(ticket_id: str, phone: str, at: str, **over: str) -> list[str]:
    received = datetime.fromisoformat(at)
    values = {
        "来电时间": at,
        "来电号码": phone,
        "办理时限": received.replace(hour=23, minute=0).isoformat(sep=" "),
        "办结时间": received.replace(hour=22, minute=0).isoformat(sep=" "),
    }
    return ticket_row(ticket_id, **{**values, **over})


REPEAT_CALLS = [
    # A: twice within the period, 18 days apart → the second is a repeat
    _call("A1", "13900000001", "2026-11-02 09:00:00"),
    _call("A2", "13900000001", "2026-11-20 09:00:00"),
    # B: once
    _call("B1", "13900000002", "2026-11-03 09:00:00"),
    # C: 35 days apart → no repeat
    _call("C1", "13900000003", "2026-10-01 09:00:00"),
    _call("C2", "13900000003", "2026-11-05 09:00:00"),
    # D: the earlier call falls before the period → still a repeat in the period
    _call("D1", "13900000004", "2026-10-25 09:00:00"),
    _call("D2", "13900000004", "2026-11-04 09:00:00"),
    # E: three calls → two repeats
    _call("E1", "13900000005", "2026-11-10 09:00:00"),
    _call("E2", "13900000005", "2026-11-10 10:00:00"),
    _call("E3", "13900000005", "2026-11-25 10:00:00"),
    # F: the second call is after the period → not a repeat in it
    _call("F1", "13900000006", "2026-11-28 09:00:00"),
    _call("F2", "13900000006", "2026-12-05 09:00:00"),
    # G: exactly 30 days → within; H: 30 days and a minute → not
    _call("G1", "13900000007", "2026-10-10 09:00:00"),
    _call("G2", "13900000007", "2026-11-09 09:00:00"),
    _call("H1", "13900000008", "2026-10-10 09:00:00"),
    _call("H2", "13900000008", "2026-11-09 09:01:00"),
    # I: twice, 5 days apart, but about two different towns → no repeat (repeats are per town)
    _call("I1", "13900000009", "2026-11-11 09:00:00"),
    _call("I2", "13900000009", "2026-11-16 09:00:00", **{"乡镇(街道)": "青石镇"}),
]


def test_repeat_callers_by_hand(pulse_env, reference_files, tmp_path):
    store = _tickets(tmp_path, reference_files, REPEAT_CALLS)
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    tickets = store.query("hotline__repeat_tickets", **_params(store, start, end))
    assert sorted(tickets.filter(pl.col("is_repeat"))["ticket_id"]) == [
        "A2",
        "D2",
        "E2",
        "E3",
        "G2",
    ]
    # every ticket of a repeat caller from 30 days before the period is listed
    assert sorted(tickets["ticket_id"]) == ["A1", "A2", "D1", "D2", "E1", "E2", "E3", "G1", "G2"]
    assert sorted(tickets.filter(~pl.col("in_period"))["ticket_id"]) == ["D1", "G1"]

    callers = page("hotline").repeat_callers(tickets)
    assert callers.height == 4
    by_calls = sorted(callers.select("calls", "repeat_calls").rows())
    assert by_calls == [(1, 1), (1, 1), (2, 1), (3, 2)]  # D, G, A, E
    # never a phone number: the callers table and the tickets carry no digits run
    text = callers.drop("first_at", "last_at").write_csv() + tickets.write_csv()
    assert "13900000" not in text
    assert all(c.startswith("来电人 ") and len(c) == len("来电人 ") + 8 for c in callers["caller"])

    # the KPI counts exactly the callers and repeat calls the table lists
    count = store.query("hotline__repeat_count", **_params(store, start, end)).row(0, named=True)
    assert count == {"hotline_repeat_callers": 4, "hotline_repeat_calls": 5}

    # one caller's tickets, by the code shown in the table; the previous call is on the row
    e_hash = tickets.filter(pl.col("ticket_id") == "E1")["caller_hash"][0]
    mine = store.query("hotline__repeat_tickets", **_params(store, start, end, caller=e_hash[:8]))
    assert mine["ticket_id"].to_list() == ["E1", "E2", "E3"]
    assert mine["previous_at"].to_list() == [
        None,
        datetime(2026, 11, 10, 9),
        datetime(2026, 11, 10, 10),
    ]


def test_repeat_callers_of_an_empty_period(pulse_env, reference_files, tmp_path):
    store = _tickets(tmp_path, reference_files, REPEAT_CALLS)
    tickets = store.query(
        "hotline__repeat_tickets", **_params(store, date(2027, 3, 1), date(2027, 3, 31))
    )
    assert tickets.height == 0
    assert page("hotline").repeat_callers(tickets).height == 0


def test_resolution_rate_by_hand(pulse_env, reference_files, tmp_path):
    city, green = "城关街道", "青石镇"
    rows = [
        _call("R1", "13900000011", "2026-11-02 09:00:00", 是否解决="是"),
        _call("R2", "13900000012", "2026-11-03 09:00:00", 是否解决="是"),
        _call("R3", "13900000013", "2026-11-04 09:00:00", 是否解决="是"),
        _call("R4", "13900000014", "2026-11-05 09:00:00", 是否解决="否"),
        # open: 是否解决 empty → in neither count
        _call(
            "R5", "13900000015", "2026-11-06 09:00:00", 是否解决="", 办结时间="", 工单状态="办理中"
        ),
        # another town with none filled in → empty rate, not 0
        _call("R6", "13900000016", "2026-11-06 09:00:00", 是否解决="", **{"乡镇(街道)": green}),
        # outside the period
        _call("R7", "13900000017", "2026-10-06 09:00:00", 是否解决="否"),
    ]
    store = _tickets(tmp_path, reference_files, rows)
    frame = store.query(
        "hotline__resolution", **_params(store, date(2026, 11, 1), date(2026, 11, 30))
    )
    by_town = {r["town_name"]: r for r in frame.iter_rows(named=True)}
    assert by_town[city]["tickets"] == 5
    assert by_town[city]["resolution_known"] == 4
    assert by_town[city]["resolved_tickets"] == 3
    assert by_town[city]["hotline_resolution_rate"] == pytest.approx(0.75)
    assert by_town[green]["hotline_resolution_rate"] is None
    assert page("hotline").county_resolution(frame) == pytest.approx(0.75)
    assert page("hotline").county_resolution(frame.clear()) is None


def test_flag_text_words_the_signals():
    town = page("town")
    assert town.flag_text(None) == "" and town.flag_text(False) == ""
    assert town.flag_text(True) == "是"
    assert town.flag_text("late_entry;batch_entry") in (
        "延迟录入、集中补录",
        "late_entry、batch_entry",
    )


def test_a_trend_point_opens_its_bucket():
    town = page("town")
    f = Filters(period="this_month", depts=("社保",), extra={"town": "339901001000"})
    month = {"points": [{"x": "2026-02-01", "customdata": town.TREND_SHOWN[0]}]}
    href = town.trend_href(f, "339901001000", month, "month")
    back = Filters.from_query(href.removeprefix("/rows"))
    assert (back.period, back.date_from, back.date_to) == (
        "custom",
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert back.depts == ("社保",)
    assert back.extra == {"indicator": town.TREND_SHOWN[0], "town": "339901001000"}
    week = {"points": [{"x": "2026-11-16", "customdata": town.TREND_SHOWN[1]}]}
    back = Filters.from_query(town.trend_href(f, "339901001000", week, "week")[5:])
    assert (back.date_from, back.date_to) == (date(2026, 11, 16), date(2026, 11, 22))
    assert back.extra["indicator"] == town.TREND_SHOWN[1]
    forged = {"points": [{"x": "2026-11-16", "customdata": "read_text('/etc/passwd')"}]}
    with pytest.raises(BadRequest):
        town.trend_href(f, "339901001000", forged, "week")


def _board_towns(tree, kind: str) -> list[str]:
    """Town codes in a rendered board list (wall: data-town on the rows of red/black)."""
    found = []

    def walk(node, inside: bool) -> None:
        props = getattr(node, "__dict__", {})
        here = inside or kind in str(props.get("className", "")).split()
        town = props.get("data-town")
        if here and town:
            found.append(town)
        children = props.get("children")
        for child in children if isinstance(children, list | tuple) else [children]:
            if child is not None and not isinstance(child, str | int | float):
                walk(child, here)

    for node in tree:
        walk(node, False)
    return found


@pytest.mark.parametrize("hard_targets", [None, ["overdue_open", "satisfaction_rate"]])
def test_overview_wall_and_pdf_show_the_same_boards(demo_store, hard_targets, tmp_path):
    """One 红黑榜 rule (domain/ranking.py): the same towns on the boards everywhere, and no
    town that misses a hard target (by default 超期未办结 > 0) on 红榜 anywhere."""
    from dashboard.domain import ranking
    from dashboard.snapshot.content import Request, gather
    from dashboard.wall import data as wall_data
    from dashboard.wall import panels as wall_panels

    report_page = page("report")
    overview = page("overview")
    vetoed = 0  # towns among the best three kept off 红榜 by a hard target
    with pytest.MonkeyPatch.context() as mp:
        if hard_targets is not None:
            config = tmp_path / "pulse.toml"
            config.write_text(f"[ranking]\nhard_targets = {hard_targets!r}\n", encoding="utf-8")
            mp.setenv("PULSE_CONFIG", str(config))
        for period, indicator in itertools.product(
            ("last_month", "this_month"), ("online_rate", "on_time_rate", "overdue_open")
        ):
            _, rows = overview.show_ranking(f"?period={period}", indicator)
            red = [r["town_code"] for r in rows if r["board"] == "红榜"]
            black = [r["town_code"] for r in rows if r["board"] == "黑榜"]
            assert len(black) == 3, indicator

            config = wall_data.WallConfig.from_query({"period": period, "color": indicator})
            data = wall_data.load(demo_store, config)
            # 红榜: those of the best three that meet every hard target (maybe none)
            towns = {t["code"]: t for t in data.towns}
            top = sorted((r for r in rows if r["rank"] is not None), key=lambda r: r["rank"])[:3]
            assert red == [
                r["town_code"] for r in top if not ranking.missed(towns[r["town_code"]])
            ], indicator
            assert all(towns[code]["overdue_open"] == 0 for code in red)
            vetoed += len(top) - len(red)
            tree = wall_panels.board(data.towns, indicator)
            assert _board_towns(tree, "red") == red, indicator
            assert _board_towns(tree, "black") == list(reversed(black)), indicator

            shown = data.period
            report = gather(demo_store, Request(shown.start, shown.end))
            report = report.__class__(**{**report.__dict__, "rank_by": indicator})
            table = report_page._Builder(report).ranking()
            names = {r["town_code"]: r["town_name"] for r in rows}
            on_boards = {"红榜": [], "黑榜": []}
            for row in _rows_of(table):
                cells = [c for c in row.children if type(c).__name__ == "Td"]
                board = next((c.children for c in cells if c.children in on_boards), None)
                if board:
                    town = next(c.children for c in cells if getattr(c, "className", "") == "town")
                    on_boards[board].append(town)
            assert on_boards == {
                "红榜": [names[c] for c in red],
                "黑榜": [names[c] for c in black],
            }
    if hard_targets is not None:
        assert vetoed  # the rule is exercised: a best town missed a hard target


def _rows_of(node) -> list:
    out = []
    if type(node).__name__ == "Tr":
        out.append(node)
    children = getattr(node, "__dict__", {}).get("children")
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            out += _rows_of(child)
    return out
