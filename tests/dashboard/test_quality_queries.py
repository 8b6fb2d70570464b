"""数据质量's queries on a tiny store with a bad row and a refused file: loads with their
accounting, rejected rows with reason and raw values (paged, narrowed by file and reason),
freshness per source."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from dashboard.store import Store
from etl.load import load
from tests.conftest import CASE_HEADER, EVAL_HEADER, case_row, eval_row, write_csv


@pytest.fixture
def store(pulse_env, reference_files, tmp_path) -> Store:
    cases = write_csv(
        tmp_path / "cases.csv",
        CASE_HEADER,
        [
            case_row("A1"),
            case_row("A2", 受理时间="2026-13-45 10:00:00"),  # bad_timestamp, row 3
            case_row("A3", **{"乡镇(街道)": "桃花岛"}),  # unknown_town, row 4
            case_row("A4", 受理时间="2026-11-05 09:00:00", 办结时间="2026-11-06 10:00:00"),
        ],
    )
    evals = write_csv(tmp_path / "evals.csv", EVAL_HEADER, [eval_row("E1")])
    strange = write_csv(tmp_path / "strange.csv", ["姓名", "年龄"], [["a", "1"]])
    assert load([*reference_files, cases, evals, strange]).exit_code == 2  # one refused
    return Store()


def test_loads_balance_and_refused_files_carry_their_message(store):
    loads = store.query("status__loads", limit=100)
    by_file = {r["file_name"]: r for r in loads.iter_rows(named=True)}
    cases = by_file["cases.csv"]
    assert (cases["rows_read"], cases["inserted"], cases["rejected"]) == (4, 2, 2)
    assert cases["rows_read"] == sum(
        cases[k] for k in ("inserted", "updated", "duplicate", "rejected")
    )
    assert json.loads(cases["reasons"]) == {"bad_timestamp": 1, "unknown_town": 1}
    refused = by_file["strange.csv"]
    assert refused["status"] == "refused" and "strange.csv" in refused["message"]
    assert store.query("status__loads", limit=2).height == 2


def test_rejects_page_and_narrow_by_file_and_reason(store):
    every = {"file": "", "reason": ""}
    assert store.query("quality__rejects_count", **every)["n"][0] == 2
    rows = store.query("quality__rejects", **every, limit=10, offset=0)
    assert rows["source_row"].to_list() == [3, 4]  # file order
    assert rows["reason"].to_list() == ["bad_timestamp", "unknown_town"]
    raw = json.loads(rows["raw"][1])
    assert raw["办件编号"] == "A3" and raw["乡镇(街道)"] == "桃花岛"
    assert "13812345678" not in rows["raw"][0] and "330102198001011234" not in rows["raw"][0]
    assert store.query("quality__rejects", **every, limit=1, offset=1)["source_row"][0] == 4
    town = {"file": "cases.csv", "reason": "unknown_town"}
    assert store.query("quality__rejects_count", **town)["n"][0] == 1
    assert store.query("quality__rejects_count", file="evals.csv", reason="")["n"][0] == 0
    choices = store.query("quality__reject_choices")
    assert sorted(choices["reason"].to_list()) == ["bad_timestamp", "unknown_town"]


def test_freshness_per_source(store):
    fresh = {r["source"]: r for r in store.query("quality__freshness").iter_rows(named=True)}
    assert list(fresh) == ["cases", "hotline", "evaluations"]
    assert fresh["cases"]["files"] == 1 and fresh["cases"]["records"] == 2
    assert fresh["cases"]["newest_event"] == datetime(2026, 11, 5, 9, 0)
    assert fresh["cases"]["newest_extract"] is not None
    assert fresh["hotline"]["files"] == 0 and fresh["hotline"]["newest_extract"] is None
    assert fresh["evaluations"]["records"] == 1
