"""The Parquet format's derived tables patched for what a load changed (etl/refresh.py) equal
a full rebuild: the demo county loaded in runs, then runs that move cases to another month,
add cases recorded within the burst window of old ones, flip old cases' 评价 flag, name a
case that arrives a run later, re-point an evaluation and add calls from known callers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl import publish, refresh
from etl.load import load, models, rebuild
from etl.read import read_file
from tests.conftest import copy_data

pytestmark = pytest.mark.slow

CARRIED_AS_IS = {"loads", "rejects", "store_meta", "store_files"}


def _catalog(data: Path) -> Path:
    return publish.current_file(data / "store" / "pulse.duckdb")


def _meta(data: Path, key: str) -> str:
    con = duckdb.connect(str(_catalog(data)), read_only=True)
    try:
        return con.execute("select value from store_meta where key = ?", [key]).fetchall()[0][0]
    finally:
        con.close()


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    """Per table of catalog a: rows only in a, rows only in b (multisets)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'a'"
                " and schema_name = 'main' order by 1"
            ).fetchall()
        ]
        out = {}
        for t in [*tables, "cases", "evaluations", "hotline_tickets"]:
            if t in CARRIED_AS_IS:
                continue
            only_a, only_b = (
                con.execute(
                    f"select count(*) from (select * from {x}.{t} except all select * from {y}.{t})"
                ).fetchall()[0][0]
                for x, y in (("a", "b"), ("b", "a"))
            )
            out[t] = (only_a, only_b)
        return out
    finally:
        con.close()


def _assert_equals_a_rebuild(data: Path, tmp_path: Path, monkeypatch, name: str) -> None:
    copy = tmp_path / name
    copy_data(data, copy)
    monkeypatch.setenv("PULSE_DATA_DIR", str(copy))
    rebuild()
    assert _meta(copy, "derived_refresh") == "whole"
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    differences = _differences(_catalog(data), _catalog(copy))
    assert set(refresh.DERIVED) <= set(differences)
    assert {t: d for t, d in differences.items() if d != (0, 0)} == {}


def _frame(path: Path) -> tuple[pl.DataFrame, dict[str, str]]:
    read = read_file(path)
    return read.frame.drop("_row"), {c.name: c.header for c in read.source.columns}


def _write(path: Path, frame: pl.DataFrame, headers: dict[str, str]) -> Path:
    frame.rename({c: headers[c] for c in frame.columns}).write_csv(path)
    return path


def _shift(column: str, days: int = 0, minutes: int = 0) -> pl.Expr:
    fmt = "%Y-%m-%d %H:%M:%S"
    return (
        (pl.col(column).str.to_datetime(fmt) + pl.duration(days=days, minutes=minutes))
        .dt.strftime(fmt)
        .alias(column)
    )


def test_patched_derived_tables_equal_a_full_rebuild(demo_county, tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("PULSE_STORE_FORMAT", "parquet")
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    config = tmp_path / "pulse.toml"
    config.write_text("[store]\ncompact_files = 2\n", encoding="utf-8")
    monkeypatch.setenv("PULSE_CONFIG", str(config))
    exports = demo_county.summary.out_dir
    files = sorted(p for p in exports.iterdir() if p.suffix in (".csv", ".xlsx"))
    refs = [f for f in files if f.stem in ("towns", "departments")]
    early = [f for f in files if f not in refs and f.stem[-7:] < "2026-07" and "Q" not in f.stem]
    rest = [f for f in files if f not in refs and f not in early]
    assert load(refs + early).exit_code == 0
    assert _meta(data, "derived_refresh") == "whole"  # nothing to carry yet
    assert load(rest).exit_code == 0
    assert _meta(data, "derived_refresh") == "patched"
    _assert_equals_a_rebuild(data, tmp_path, monkeypatch, "after-two-runs")

    work = tmp_path / "crafted"
    work.mkdir()
    cases, case_headers = _frame(exports / "cases_2026-03.csv")
    later, _ = _frame(exports / "cases_2026-05.csv")
    evals, eval_headers = _frame(exports / "evaluations_2026-05.csv")
    tickets, ticket_headers = _frame(next(exports.glob("hotline_2026Q3*")))
    arriving = later.head(5).with_columns(pl.format("M{}", pl.col("case_id")).alias("case_id"))

    # run A: cases moved 35 days (another month, the old partition loses them); new cases
    # accepted 20 days earlier but recorded a minute after old late-recorded ones (their
    # bursts change); evaluations naming old cases (their 评价 flag flips), re-pointing
    # existing evaluations, and naming cases that arrive in run B; calls from known callers
    moved = cases.head(15).with_columns(
        _shift("accepted_at", days=35), _shift("recorded_at", days=35)
    )
    late = later.filter(
        pl.col("recorded_at").str.slice(0, 10) > pl.col("accepted_at").str.slice(0, 10)
    )
    assert late.height >= 10
    burst = late.head(10).with_columns(
        pl.format("N{}", pl.col("case_id")).alias("case_id"),
        _shift("accepted_at", days=-20),
        _shift("recorded_at", minutes=1),
    )
    named = evals.head(30).with_columns(
        pl.format("E{}", pl.col("eval_id")).alias("eval_id"),
        cases["case_id"].slice(100, 30).alias("case_id"),
    )
    repointed = evals.slice(40, 10).with_columns(cases["case_id"].slice(200, 10).alias("case_id"))
    ahead = evals.slice(60, 5).with_columns(
        pl.format("F{}", pl.col("eval_id")).alias("eval_id"),
        arriving["case_id"].alias("case_id"),
        pl.lit("1").alias("rating"),
    )
    callers = (
        tickets.filter(pl.col("caller").is_not_null())
        .head(20)
        .with_columns(
            pl.format("R{}", pl.col("ticket_id")).alias("ticket_id"),
            _shift("received_at", days=-10),
        )
    )
    run_a = [
        _write(work / "cases_a.csv", pl.concat([moved, burst]), case_headers),
        _write(work / "evaluations_a.csv", pl.concat([named, repointed, ahead]), eval_headers),
        _write(work / "hotline_a.csv", callers, ticket_headers),
    ]
    assert load(run_a).exit_code == 0
    assert _meta(data, "derived_refresh") == "patched"

    # run B: the cases run A's evaluations named arrive; a bad review is rectified; a call
    # changes caller
    rectified = (
        evals.filter(pl.col("rating").is_in(["1", "2"]))
        .head(5)
        .with_columns(
            pl.lit("已整改").alias("rectify_status"),
            _shift("rated_at", days=2).alias("rectified_at"),
        )
    )
    moved_call = tickets.slice(30, 3).with_columns(
        pl.col("caller").shift(1, fill_value="13900000000")
    )
    run_b = [
        _write(work / "cases_b.csv", arriving, case_headers),
        _write(work / "evaluations_b.csv", rectified, eval_headers),
        _write(work / "hotline_b.csv", moved_call, ticket_headers),
    ]
    assert load(run_b).exit_code == 0
    assert _meta(data, "derived_refresh") == "patched"
    _assert_equals_a_rebuild(data, tmp_path, monkeypatch, "after-crafted-runs")


def test_every_derived_table_with_a_rule_is_carried():
    """A table of RULES that is not temporary is carried (else it would be patched empty)."""
    persistent = {t for t in refresh.RULES if not t.endswith("_now")} | set(refresh.PAIRS)
    assert persistent == set(refresh.DERIVED)
    statements = "\n".join(m.read_text(encoding="utf-8") for m in models())
    for table in refresh.RULES:
        assert f"table {table} as" in statements, table
