"""The Store is the one door: reader connections cannot touch files, every per-town query
is narrowed to the viewer's towns (from the session, never the request), and with no viewer
the answer is a refusal."""

from __future__ import annotations

import os

import duckdb
import pytest

from dashboard.auth.access import DENIED, SYSTEM, Access, AccessDenied, acting_as
from dashboard.domain.metrics import metrics
from dashboard.store import Scope, Store
from etl.load import load
from tests.conftest import CASE_HEADER, case_row, write_csv

CITY, QINGSHI, BAIYUN = "339901001000", "339901101000", "339901201000"
TOWN_OFFICIAL = Access("qs", "town", frozenset({QINGSHI}))
COUNT = "select count(*) as n from cases where list_contains($towns, town_code)"


@pytest.fixture
def store(pulse_env, reference_files, tmp_path) -> Store:
    rows = [case_row("A1"), case_row("A2"), case_row("B1", **{"乡镇(街道)": "青石镇"})]
    cases = write_csv(tmp_path / "cases.csv", CASE_HEADER, rows)
    assert load([*reference_files, cases]).exit_code == 0
    return Store()


@pytest.mark.parametrize(
    "statement",
    [
        "select * from read_text('{secret}')",
        "select * from read_csv('{secret}')",
        "select * from read_blob('/proc/self/environ')",
        "select * from glob('/*')",
        "attach '{tmp}/other.duckdb' as other",
        "copy (select 1) to '{tmp}/out.csv'",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "set lock_configuration = false",
        "set memory_limit = '64GB'",
    ],
)
def test_reader_connections_cannot_touch_files(store, pulse_env, tmp_path, statement):
    store.sql("select 1 as x", public=True)  # opens the connection
    secret = pulse_env / "secret.key"
    assert secret.exists()
    with pytest.raises(duckdb.Error):
        store.cursor().sql(statement.format(secret=secret, tmp=tmp_path)).fetchall()
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_reader_limits_come_from_the_settings(store, tmp_path, monkeypatch):
    (tmp_path / "pulse.toml").write_text(
        '[serve]\nduckdb_memory_limit = "300MB"\nduckdb_threads = 1\n', encoding="utf-8"
    )
    from etl import settings

    settings._file_values.cache_clear()
    fresh = Store()
    limits = (
        fresh.cursor()
        .sql("select current_setting('memory_limit'), current_setting('threads')")
        .fetchall()[0]
    )
    assert limits[0].startswith("286") and limits[1] == 1  # 300 MB = 286.1 MiB


def test_no_viewer_no_answer(store):
    with acting_as(DENIED), pytest.raises(AccessDenied):
        store.sql(COUNT)
    with acting_as(DENIED), pytest.raises(AccessDenied):
        store.sql("select town_name from towns", public=True)


def test_a_query_of_rows_must_filter_by_towns(store):
    with pytest.raises(ValueError, match=r"\$towns"):
        store.sql("select count(*) as n from cases")


def test_viewers_see_their_towns_only_whatever_they_ask(store):
    assert store.sql(COUNT)["n"][0] == 3  # SYSTEM: the county
    with acting_as(TOWN_OFFICIAL):
        assert store.sql(COUNT)["n"][0] == 1
        # asking for another town gives nothing, asking for more gives no more
        assert store.sql(COUNT, scope=Scope((CITY,)))["n"][0] == 0
        assert store.sql(COUNT, scope=Scope((CITY, QINGSHI, BAIYUN)))["n"][0] == 1
        # a value that tries to reach the SQL is just a town code nobody has
        assert store.sql(COUNT, {"towns": [CITY]})["n"][0] == 1  # a caller cannot bind $towns
        with pytest.raises(AccessDenied):
            store.sql("select count(*) as n from rejects", whole_county=True)
    with acting_as(Access("x", "town", frozenset())):
        assert store.sql(COUNT)["n"][0] == 0  # a town account without towns sees nothing


def test_published_figures_are_every_towns_ranking(store):
    with acting_as(TOWN_OFFICIAL):
        own = metrics(store, *_november(), by="town")
        ranking = metrics(store, *_november(), by="town", published=True)
        with pytest.raises(ValueError):
            metrics(store, *_november(), by="dept", published=True)
    assert own.filter(own["cases"] > 0)["town_code"].to_list() == [QINGSHI]
    assert set(ranking["town_code"]) == {CITY, QINGSHI, BAIYUN}
    assert ranking["cases"].sum() == 3


def test_answers_are_kept_per_viewer(store):
    """The answer cache is keyed by the bound towns: one viewer's answer never serves another."""
    with acting_as(SYSTEM):
        assert store.sql(COUNT)["n"][0] == 3
    with acting_as(TOWN_OFFICIAL):
        assert store.sql(COUNT)["n"][0] == 1


def test_store_files_are_not_world_readable(store, pulse_env):
    folder = pulse_env / "store"
    generation = store.generation
    assert oct(os.stat(folder).st_mode & 0o777) == "0o750"
    assert oct(os.stat(generation).st_mode & 0o777) == "0o640"
    assert oct(os.stat(pulse_env / "secret.key").st_mode & 0o777) == "0o600"


def _november():
    from datetime import date, datetime

    return date(2026, 11, 1), date(2026, 11, 30), datetime(2026, 11, 20, 12)
