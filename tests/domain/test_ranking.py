"""红黑榜: one rule (dashboard/domain/ranking.py)."""

from __future__ import annotations

from dashboard.domain import ranking


def towns(values: dict[str, float | None]) -> list[dict]:
    return [
        {"town_code": c, "online_rate": v, "overdue_open": v, "cases": 10}
        for c, v in values.items()
    ]


def test_best_first_by_direction_and_code_on_ties():
    rows = towns({"a": 0.9, "b": 0.95, "c": 0.9, "d": None})
    ranked = ranking.rank(rows, "online_rate")
    assert [(r.row["town_code"], r.rank) for r in ranked] == [
        ("b", 1),
        ("a", 2),
        ("c", 3),
        ("d", None),
    ]
    fewer = ranking.rank(towns({"a": 3, "b": 0, "c": 1}), "overdue_open")
    assert [r.row["town_code"] for r in fewer] == ["b", "c", "a"]


def test_boards_need_more_than_twice_their_size_and_a_direction():
    six = towns({str(i): i / 10 for i in range(6)})
    assert all(r.board == "" for r in ranking.rank(six, "online_rate"))
    seven = towns({str(i): i / 10 for i in range(7)})
    red, black = ranking.boards(ranking.rank(seven, "online_rate"))
    assert [r.row["town_code"] for r in red] == ["6", "5", "4"]
    assert [r.row["town_code"] for r in black] == ["2", "1", "0"]
    assert ranking.boards(ranking.rank(seven, "cases")) == ([], [])  # a volume: no boards


def test_rank_changes_against_the_previous_period():
    now = ranking.rank(towns({"a": 0.9, "b": 0.8}), "online_rate", towns({"a": 0.7, "b": 0.8}))
    assert {r.row["town_code"]: r.change for r in now} == {"a": 1, "b": -1}


def test_no_activity_no_rank():
    rows = towns({"a": 0.9, "b": 0.8, "c": 0})
    rows[2]["cases"] = 0  # c had nothing in the period: its 0 overdue cases are no achievement
    ranked = ranking.rank(rows, "overdue_open")
    assert [(r.row["town_code"], r.rank) for r in ranked] == [("b", 1), ("a", 2), ("c", None)]
    empty = [{**r, "cases": 0} for r in rows]
    assert all(r.rank is None and r.board == "" for r in ranking.rank(empty, "overdue_open"))
