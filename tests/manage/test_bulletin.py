"""通报's content: the 红黑榜 is the one ranking rule (domain/ranking.py) with rank changes
against the previous month or quarter, and every figure in a line of praise or criticism is
one of the figures metrics() gives for that period (no invented facts)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.manage.conftest import viewer

pytestmark = pytest.mark.slow


def test_the_bulletin_says_only_what_the_figures_say(clean):
    from dashboard.components.format import fmt, target
    from dashboard.domain import ranking
    from dashboard.domain.metrics import default_as_of, metrics
    from dashboard.manage import bulletin, ledger
    from dashboard.snapshot import content

    store = clean.store()
    county = viewer("county")
    item = ledger.open_item(county, source="figure", problem="逾期的整改", town_code="339901001000")
    from dashboard.auth import appdb

    with appdb.transaction() as con:
        con.execute("update ledger_items set deadline = '2026-10-15' where id = ?", (item,))
    request = bulletin.BulletinRequest.quarter("2026-Q3")
    b = bulletin.gather(store, request, county)
    as_of = default_as_of(store)
    towns = metrics(store, date(2026, 7, 1), date(2026, 9, 30), as_of, by="town", published=True)
    before = metrics(
        store, date(2026, 4, 1), date(2026, 6, 30), as_of, by="town", flags=False, published=True
    )
    assert (
        b.previous.label == "2026年第2季度"
        and b.title == "关于2026年第3季度全县政务服务效能情况的通报"
    )
    assert b.ranked == ranking.rank(towns, b.rank_by, before)
    assert b.boards == content.boards(towns)
    assert [x.id for x in ledger.overdue(county)] == [item]
    assert [r["编号"] for r in b.ledger_overdue] == [item]
    assert b.outside and all(f.signals for f in b.outside)

    indicators = [*content.RANKED, "rectify_overdue"]
    shown = {fmt(k, r[k]) for r in towns.iter_rows(named=True) for k in indicators}
    shown |= {fmt(k, target(k)) for k in indicators if target(k) is not None}
    counts = {
        str(r[k]) for r in towns.iter_rows(named=True) for k in indicators if r[k] is not None
    }
    # the windows' lines (红旗窗口, 后进窗口) quote the window ranking's figures
    from dashboard.domain import windows

    ranked_windows = b.window_ranking.ranked
    assert ranked_windows, "the demo county records its windows"
    shown |= {fmt(k, w.row[k]) for w in ranked_windows for k in windows.RANK_BY}
    counts |= {str(w.row["completed"]) for w in ranked_windows}
    ranks = {str(x.rank) for x in b.ranked} | {str(x.previous_rank) for x in b.ranked}
    moves = {str(abs(x.change)) for x in b.ranked if x.change is not None}
    names = set(towns["town_name"])
    assert b.praise and b.criticism
    for line in (*b.praise, *b.criticism):
        for pct in re.findall(r"\d+\.\d%", line):
            assert pct in shown, (pct, line)
        for n in re.findall(r"(\d[\d,]*) (?:件|条)", line):
            assert n.replace(",", "") in counts, (n, line)
        for n in re.findall(r"第 (\d+) 位", line):
            assert n in ranks, (n, line)
        for n in re.findall(r"(?:上升|下降) (\d+) 位", line):
            assert n in moves, (n, line)
        named = [t for t in names if t in line]
        assert named or line.startswith(("各乡镇", *(labels_of(content))))
    for w in b.window_ranking.flags:
        assert any(f"{w.row['town_name']}{w.row['window_name']}(" in line for line in b.praise)
    for w in b.window_ranking.lagging:
        assert any(f"{w.row['town_name']}{w.row['window_name']}(" in line for line in b.criticism)
    # the 红榜 and 黑榜 towns of the ranking are praised and criticised by name
    for x in b.ranked:
        if x.board == "红榜":
            assert any(line.startswith(x.row["town_name"]) for line in b.praise)
        if x.board == "黑榜":
            assert any(line.startswith(x.row["town_name"]) for line in b.criticism)
    for r in towns.iter_rows(named=True):
        if r["overdue_open"]:
            assert any(f"{r['town_name']} {r['overdue_open']:,} 件" in line for line in b.criticism)


def labels_of(content) -> tuple[str, ...]:
    from dashboard.domain.indicators import label

    return tuple(label(k) for k in (*content.RANKED, "rectify_overdue"))


def test_periods_of_a_bulletin():
    from dashboard.manage.bulletin import BulletinRequest
    from dashboard.manage.common import ManageError

    october = BulletinRequest.month("2026-10")
    assert (october.start, october.end, october.key) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        "2026-10",
    )
    assert october.period.previous().start == date(2026, 9, 1)
    q3 = BulletinRequest.quarter("2026-Q3")
    assert (q3.start, q3.end, q3.key) == (date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
    assert q3.period.previous().start == date(2026, 4, 1)
    query = dict(pair.split("=") for pair in q3.query().lstrip("?").split("&"))
    assert BulletinRequest.from_args(query) == q3
    with pytest.raises(ManageError):
        BulletinRequest.from_args({**query, "from": "2026-07-02"})  # not a whole quarter
    for bad in ("2026-Q5", "2026Q0", "Q3"):
        with pytest.raises(ManageError):
            BulletinRequest.quarter(bad)
    from datetime import datetime

    assert BulletinRequest.last("quarter", datetime(2026, 11, 20, 8)).key == "2026-Q3"
    assert BulletinRequest.last("month", datetime(2026, 11, 20, 8)).key == "2026-10"
    assert BulletinRequest.page == "/bulletin-print" and BulletinRequest.landscape is False
