"""The store's answer cache: an answer is reused only within the generation that gave it, a
load makes every page see the new data at once, and the byte budget holds."""

from __future__ import annotations

import polars as pl

from dashboard.store import ResultCache, Store
from etl.load import load
from tests.conftest import CASE_HEADER, case_row, write_csv

COUNT = "select count(*) as n from cases where town_code = $town"


def test_answers_are_reused_within_a_generation_and_never_across(
    pulse_env, reference_files, tmp_path
):
    first = write_csv(tmp_path / "a.csv", CASE_HEADER, [case_row("K1"), case_row("K2")])
    assert load([*reference_files, first]).exit_code == 0
    store = Store(cache_mb=16)
    town = {"town": "339901001000"}
    assert store.sql(COUNT, town, whole_county=True)["n"][0] == 2
    assert store.sql(COUNT, town, whole_county=True)["n"][0] == 2
    assert (store.cache.hits, store.cache.misses) == (1, 1)
    # other parameters are another question
    assert store.sql(COUNT, {"town": "nowhere"}, whole_county=True)["n"][0] == 0
    assert store.cache.misses == 2

    more = write_csv(tmp_path / "b.csv", CASE_HEADER, [case_row("K3")])
    assert load([more]).exit_code == 0
    assert store.sql(COUNT, town, whole_county=True)["n"][0] == 3  # the new generation answers
    assert store.cache.misses == 3


def test_no_cache_when_switched_off(pulse_env, reference_files, tmp_path):
    assert load(reference_files).exit_code == 0
    store = Store(cache_mb=0)
    store.sql("select 1 as x", whole_county=True)
    store.sql("select 1 as x", whole_county=True)
    assert (store.cache.hits, store.cache.misses) == (0, 0)


def test_the_byte_budget_drops_the_least_recently_used():
    frame = pl.DataFrame({"x": range(1000)})  # 8,000 bytes
    cache = ResultCache(max_bytes=20_000, max_entry_bytes=10_000)
    cache.put(("a",), frame)
    cache.put(("b",), frame)
    assert cache.get(("a",)) is not None  # a is now the most recently used
    cache.put(("c",), frame)  # over budget: b goes
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) is not None and cache.get(("c",)) is not None
    cache.put(("big",), pl.DataFrame({"x": range(5000)}))  # larger than one entry may be
    assert cache.get(("big",)) is None
