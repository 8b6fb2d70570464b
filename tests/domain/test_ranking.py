"""红黑榜: one rule (dashboard/domain/ranking.py)."""

from __future__ import annotations

from dashboard.domain import ranking


def towns(values: dict[str, float | None], overdue: int | None = None) -> list[dict]:
    """Rows with the same value for each figure (overdue_open too, unless given)."""
    return [
        {
            "town_code": c,
            "online_rate": v,
            "overdue_open": v if overdue is None else overdue,
            "cases": 10,
        }
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
    seven = towns({str(i): i / 10 for i in range(7)}, overdue=0)
    red, black = ranking.boards(ranking.rank(seven, "online_rate"))
    assert [r.row["town_code"] for r in red] == ["6", "5", "4"]
    assert [r.row["town_code"] for r in black] == ["2", "1", "0"]
    assert ranking.boards(ranking.rank(seven, "cases")) == ([], [])  # a volume: no boards


def test_rank_changes_against_the_previous_period():
    now = ranking.rank(towns({"a": 0.9, "b": 0.8}), "online_rate", towns({"a": 0.7, "b": 0.8}))
    assert {r.row["town_code"]: r.change for r in now} == {"a": 1, "b": -1}


def test_a_town_that_misses_a_hard_target_is_never_on_the_red_board():
    # by 网办率: a, b, c are the best three, but b still has overdue cases
    rows = [
        {"town_code": c, "online_rate": v, "overdue_open": o, "cases": 10}
        for c, v, o in [
            ("a", 0.99, 0),
            ("b", 0.98, 2),
            ("c", 0.97, 0),
            ("d", 0.96, 0),
            ("e", 0.5, 1),
            ("f", 0.4, 0),
            ("g", 0.3, 5),
        ]
    ]
    ranked = ranking.rank(rows, "online_rate")
    red, black = ranking.boards(ranked)
    # b keeps its rank; its place on 红榜 is not handed down to d (rank 4 is not top three)
    assert [r.row["town_code"] for r in red] == ["a", "c"]
    assert [(r.row["town_code"], r.rank, r.board) for r in ranked][:4] == [
        ("a", 1, "红榜"),
        ("b", 2, ""),
        ("c", 3, "红榜"),
        ("d", 4, ""),
    ]
    assert [r.row["town_code"] for r in black] == ["e", "f", "g"]  # 黑榜 is unchanged
    # ranked by the hard target itself: only towns at 0 can be praised
    by_overdue = ranking.boards(ranking.rank(rows, "overdue_open"))[0]
    assert all(r.row["overdue_open"] == 0 for r in by_overdue)
    assert ranking.missed(rows[1]) == ["overdue_open"]
    assert ranking.missed({"town_code": "x"}) == ["overdue_open"]  # unknown is not met
    assert ranking.rule_text() == "有超期未办结的乡镇不上红榜"


def test_hard_targets_are_a_setting(tmp_path, monkeypatch):
    config = tmp_path / "pulse.toml"
    config.write_text(
        '[ranking]\nhard_targets = ["overdue_open", "on_time_rate"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("PULSE_CONFIG", str(config))
    assert ranking.hard_targets() == ("overdue_open", "on_time_rate")
    assert ranking.rule_text() == "有超期未办结或按时办结率未达标的乡镇不上红榜"
    row = {"overdue_open": 0, "on_time_rate": 0.97}
    assert ranking.missed(row) == ["on_time_rate"]
    empty = tmp_path / "none.toml"
    empty.write_text("[ranking]\nhard_targets = []\n", encoding="utf-8")
    monkeypatch.setenv("PULSE_CONFIG", str(empty))
    assert ranking.hard_targets() == () and ranking.rule_text() == ""


def test_no_activity_no_rank():
    rows = towns({"a": 0.9, "b": 0.8, "c": 0})
    rows[2]["cases"] = 0  # c had nothing in the period: its 0 overdue cases are no achievement
    ranked = ranking.rank(rows, "overdue_open")
    assert [(r.row["town_code"], r.rank) for r in ranked] == [("b", 1), ("a", 2), ("c", None)]
    empty = [{**r, "cases": 0} for r in rows]
    assert all(r.rank is None and r.board == "" for r in ranking.rank(empty, "overdue_open"))
