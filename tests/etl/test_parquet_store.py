"""The Parquet format (store.format = "parquet", etl/parquet_store.py): the layout, loads that
write only the partitions they change, the latest version of a record winning, compaction,
garbage collection, a reader that can read the store's Parquet folder and nothing else, and
the same figures as the single-file format. Today's guarantees (atomic publish, kill -9,
backup and restore) run again below in this format."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

from dashboard.domain.metrics import metrics
from dashboard.store import Store
from etl import demo, parquet_store, publish, settings
from etl.load import compact, load
from tests.conftest import CASE_HEADER, EVAL_HEADER, ROOT, case_row, eval_row, write_csv

# today's guarantees, in this format (pytest collects them here with this module's fixture)
from tests.etl.test_atomic import (  # noqa: F401
    test_load_killed_with_sigkill_leaves_previous_store_intact,
    test_readers_never_fail_and_never_see_half_a_load,
)
from tests.ops.test_backup import test_backup_restore_round_trip  # noqa: F401


@pytest.fixture(autouse=True)
def parquet_format(monkeypatch):
    monkeypatch.setenv("PULSE_STORE_FORMAT", "parquet")


def _catalog() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(publish.current_file(settings.store_path())), read_only=True)


def _files(table: str) -> set[str]:
    con = _catalog()
    try:
        return {
            r[0]
            for r in con.execute(
                "select path from store_files where table_name = ?", [table]
            ).fetchall()
        }
    finally:
        con.close()


def _count(sql: str) -> int:
    return Store().sql(sql, whole_county=True).item()


def _months(tmp_path, name, ids_by_month: dict[int, list[str]], **over) -> Path:
    rows = [
        case_row(
            i,
            受理时间=f"2026-{m:02d}-02 09:15:22",
            录入时间=f"2026-{m:02d}-02 09:16:00",
            办结时间=f"2026-{m:02d}-04 10:00:00",
            **over,
        )
        for m, ids in ids_by_month.items()
        for i in ids
    ]
    return write_csv(tmp_path / name, CASE_HEADER, rows)


def test_facts_are_hive_partitioned_parquet_behind_a_small_catalog(
    pulse_env, reference_files, tmp_path
):
    cases = _months(tmp_path, "c.csv", {9: ["S1", "S2"], 10: ["O1"], 11: ["N1", "N2", "N3"]})
    evals = write_csv(tmp_path / "e.csv", EVAL_HEADER, [eval_row("E1", 办件编号="N1")])
    assert load([*reference_files, cases, evals]).exit_code == 0
    parts = parquet_store.parts_dir(settings.store_path())
    found = sorted(str(p.relative_to(parts).parent) for p in parts.rglob("*.parquet"))
    assert found == [
        "cases/county=339901/year=2026/month=10",
        "cases/county=339901/year=2026/month=11",
        "cases/county=339901/year=2026/month=9",
        "evaluations/county=339901/year=2026/month=11",
    ]
    con = _catalog()
    kinds = dict(
        con.execute(
            "select view_name, 'view' from duckdb_views() where not internal "
            "and view_name in ('cases', 'evaluations')"
        ).fetchall()
    )
    assert kinds == {"cases": "view", "evaluations": "view"}
    assert (
        con.execute("select sum(rows) from store_files where table_name = 'cases'").fetchone()[0]
        == 6
    )
    assert con.execute("select value from store_meta where key = 'store_format'").fetchone()[0] == (
        "parquet"
    )
    # the file holds the columns (not the partition keys), the view the schema's order
    assert con.execute("select case_id, evaluated from cases order by 1").fetchall()[:4] == [
        ("N1", True),
        ("N2", False),
        ("N3", False),
        ("O1", False),
    ]
    con.close()
    assert _count("select count(*) from hotline_tickets") == 0  # no rows yet: an empty table


def test_a_load_writes_only_the_partitions_it_changes_and_the_latest_version_wins(
    pulse_env, reference_files, tmp_path
):
    first = _months(tmp_path, "a.csv", {9: ["S1", "S2"], 10: ["O1", "O2"], 11: ["N1"]})
    assert load([*reference_files, first]).exit_code == 0
    before = _files("cases")
    sept = {f for f in before if "month=9/" in f}
    # a newer file: O1 updated (completed later), N2 new; September untouched
    newer = _months(tmp_path, "b.csv", {10: ["O1"], 11: ["N2"]}, 办件状态="办结")
    newer.write_text(newer.read_text().replace("2026-10-04 10:00:00", "2026-10-09 16:00:00"))
    run = load([newer])
    (report,) = run.reports
    assert (report.inserted, report.updated, report.duplicate) == (1, 1, 0)
    after = _files("cases")
    assert sept <= after  # the same files: September was not written
    assert {f for f in after - before if "month=9/" in f} == set()
    assert _count("select count(*) from cases") == 6
    assert _count("select count(*) from cases where case_id = 'O1'") == 1
    assert (
        str(
            Store()
            .sql("select completed_at from cases where case_id = 'O1'", whole_county=True)
            .item()
        )
        == "2026-10-09 16:00:00"
    )
    # the same file again changes nothing, and writes nothing
    run = load([newer])
    assert run.reports[0].duplicate == 2 and _files("cases") == after


def test_an_update_that_moves_a_record_to_another_month_leaves_no_copy_behind(
    pulse_env, reference_files, tmp_path
):
    assert load([*reference_files, _months(tmp_path, "a.csv", {10: ["M1", "M2"]})]).exit_code == 0
    moved = _months(tmp_path, "b.csv", {11: ["M1"]})
    assert load([moved]).reports[0].updated == 1
    rows = (
        Store()
        .sql("select case_id, month(accepted_at) as m from cases order by 1", whole_county=True)
        .rows()
    )
    assert rows == [("M1", 11), ("M2", 10)]


def test_compaction_past_the_threshold_and_by_command(pulse_env, reference_files, tmp_path):
    (tmp_path / "pulse.toml").write_text("[store]\ncompact_files = 3\n", encoding="utf-8")
    assert load(reference_files).exit_code == 0
    for i in range(5):
        assert load([_months(tmp_path, f"d{i}.csv", {11: [f"D{i}a", f"D{i}b"]})]).exit_code == 0
        # never more than the threshold: the 4th file of a partition triggers a rewrite
        assert len(_files("cases")) <= 3
    assert _count("select count(*) from cases") == 10
    figures = metrics(Store(), date(2026, 11, 1), date(2026, 11, 30), by="county")
    assert sum(compact().values()) == 1
    assert len(_files("cases")) == 1
    assert_frame_equal(
        metrics(Store(), date(2026, 11, 1), date(2026, 11, 30), by="county"), figures
    )
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "compact"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(_files("cases")) == 1


def test_garbage_is_what_no_kept_generation_names(pulse_env, reference_files, tmp_path):
    published = settings.store_path()
    assert load([*reference_files, _months(tmp_path, "a.csv", {11: ["G1"]})]).exit_code == 0
    parts = parquet_store.parts_dir(published)
    stray = parts / "cases" / "county=339901" / "year=2026" / "month=11" / "g000099-x.parquet"
    stray.write_bytes(b"left by a killed load")
    for i in range(publish.KEEP_GENERATIONS + 2):
        load([_months(tmp_path, f"u{i}.csv", {11: ["G1"]}, 事项名称=f"事项{'一二三四五六'[i]}")])
    assert not stray.exists()
    kept = [p for _, p in publish.generations(published)]
    assert len(kept) == publish.KEEP_GENERATIONS
    named = set().union(*(parquet_store.referenced(p) for p in kept))
    on_disk = {str(p.relative_to(parts)) for p in parts.rglob("*.parquet")}
    assert on_disk == named
    # a generation still kept can be read in full: its files are all there
    oldest = duckdb.connect(str(kept[0]), read_only=True)
    assert oldest.execute("select count(*) from cases").fetchone()[0] == 1
    oldest.close()


@pytest.mark.parametrize(
    "statement",
    [
        "select * from read_text('{secret}')",
        "select * from read_csv('{secret}')",
        "select * from read_text('/etc/passwd')",
        "select * from read_csv('/etc/passwd', sep = ':')",
        "select * from glob('/*')",
        "select * from glob('{store}/*')",
        "select * from read_text('{parts}/../pulse.duckdb.lock')",
        "select * from read_text('{parts}/../../secret.key')",
        "select * from read_parquet('{tmp}/outside.parquet')",
        "attach '{parts}/../other.duckdb' as other",
        "set allowed_directories = ['/']",
        "set allowed_paths = ['{secret}']",
        "set enable_external_access = true",
    ],
)
def test_a_reader_reads_the_parquet_folder_and_nothing_else(
    pulse_env, reference_files, tmp_path, statement
):
    assert load([*reference_files, _months(tmp_path, "a.csv", {11: ["R1"]})]).exit_code == 0
    duckdb.sql(f"copy (select 1 as x) to '{tmp_path}/outside.parquet'")
    store = Store()
    assert store.sql("select count(*) as n from cases", whole_county=True).item() == 1
    secret = pulse_env / "secret.key"
    assert secret.exists()
    parts = parquet_store.parts_dir(store.published)
    text = statement.format(secret=secret, store=store.published.parent, parts=parts, tmp=tmp_path)
    with pytest.raises(duckdb.Error):
        store.cursor().sql(text).fetchall()
    # inside the folder the views read, reading works (that is all it allows)
    assert store.cursor().sql(f"select count(*) from glob('{parts}/cases/*/*/*/*')").fetchall()


@pytest.mark.parametrize("fmt", ["duckdb", "parquet"])
def test_two_readers_of_one_generation_in_one_process(
    pulse_env, reference_files, tmp_path, monkeypatch, fmt
):
    """DuckDB shares one database instance per file in a process (pages and the health
    check): the second reader finds it closed up already, and is closed up as well."""
    monkeypatch.setenv("PULSE_STORE_FORMAT", fmt)
    assert load([*reference_files, _months(tmp_path, "a.csv", {11: ["T1"]})]).exit_code == 0
    first, second = Store(cache_mb=0), Store(cache_mb=0)
    for store in (first, second):
        assert store.sql("select count(*) as n from cases", whole_county=True).item() == 1
        with pytest.raises(duckdb.Error):
            store.cursor().sql("select * from read_text('/etc/passwd')").fetchall()


def test_figures_equal_the_single_file_format_on_the_demo_county(tmp_path, monkeypatch):
    """The demo county loaded once into the single-file format, and in three runs (with
    updates across runs and compaction) into the Parquet format: the same figures."""
    exports = tmp_path / "exports"
    summary = demo.generate(exports, seed=11, scale=0.05, end=date(2026, 11, 20))
    files = sorted(p for p in summary.out_dir.rglob("*") if p.is_file())
    stores = {}
    for fmt in ("duckdb", "parquet"):
        monkeypatch.setenv("PULSE_STORE_FORMAT", fmt)
        monkeypatch.setenv("PULSE_DATA_DIR", str(tmp_path / fmt))
        monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / f"{fmt}.toml"))
        (tmp_path / f"{fmt}.toml").write_text("[store]\ncompact_files = 2\n", encoding="utf-8")
        if fmt == "duckdb":
            runs = [load([summary.out_dir])]
        else:
            # reference files first (as one run orders them), the facts in three runs
            refs = [f for f in files if f.stem in ("towns", "departments")]
            facts = [f for f in files if f not in refs]
            third = len(facts) // 3
            batches = [refs + facts[:third], facts[third : 2 * third], facts[2 * third :]]
            runs = [load(b) for b in batches]
        reports = [r for run in runs for r in run.reports]
        assert all(r.balanced for r in reports)
        store = Store()
        stores[fmt] = (store, reports)
        periods = [(date(2026, 1, 1), date(2026, 11, 20)), (date(2026, 10, 1), date(2026, 10, 31))]
        figures = []
        for start, end in periods:
            for by in ("county", "town", "dept"):
                figures.append(metrics(store, start, end, by=by))
        stores[fmt] = (figures, reports, store.meta()["as_of"])
    (old, old_reports, old_as_of), (new, new_reports, new_as_of) = (
        stores["duckdb"],
        stores["parquet"],
    )
    assert old_as_of == new_as_of
    for a, b in zip(old, new, strict=True):
        assert_frame_equal(a, b)
    # every row accounted for, alike: the same rows inserted or updated in all
    for field in ("rows_read", "rejected"):
        assert sum(getattr(r, field) for r in old_reports) == sum(
            getattr(r, field) for r in new_reports
        )


def test_switching_formats_keeps_the_store(pulse_env, reference_files, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_STORE_FORMAT", "duckdb")
    assert (
        load([*reference_files, _months(tmp_path, "a.csv", {10: ["W1"], 11: ["W2"]})]).exit_code
        == 0
    )
    figures = metrics(Store(), date(2026, 10, 1), date(2026, 11, 30), by="town")
    monkeypatch.setenv("PULSE_STORE_FORMAT", "parquet")
    assert load([_months(tmp_path, "b.csv", {11: ["W3"]})]).exit_code == 0
    assert len(_files("cases")) == 2 and _count("select count(*) from cases") == 3
    monkeypatch.setenv("PULSE_STORE_FORMAT", "duckdb")
    assert load([_months(tmp_path, "c.csv", {11: ["W3"]})]).reports[0].duplicate == 1
    con = _catalog()
    assert (
        con.execute("select count(*) from duckdb_tables() where table_name = 'cases'").fetchone()[0]
        == 1
    )
    con.close()
    # the facts are tables again, with the same figures for what did not change
    assert_frame_equal(
        metrics(Store(), date(2026, 10, 1), date(2026, 10, 31), by="town"),
        metrics(Store(), date(2026, 10, 1), date(2026, 10, 31), by="town"),
    )
    assert figures["cases"].sum() == 2 and _count("select count(*) from cases") == 3


def test_no_reader_process_state_is_needed_to_open_a_generation(
    pulse_env, reference_files, tmp_path
):
    """A catalog opened by any DuckDB (ops scripts, the tests) reads its views: the file list
    is absolute, nothing else is needed."""
    assert load([*reference_files, _months(tmp_path, "a.csv", {11: ["P1", "P2"]})]).exit_code == 0
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True);"
            " print(c.execute('select count(*) from cases').fetchone()[0])",
            str(publish.current_file(settings.store_path())),
        ],
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ},
        timeout=60,
    )
    assert out.stdout.strip() == "2", out.stderr
