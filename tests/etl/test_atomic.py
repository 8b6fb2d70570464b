"""Atomic, non-blocking loads, proven with real processes: readers querying in a loop during
loads never fail and never see half a load; a load killed with SIGKILL leaves the previous
store intact and usable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl

from etl import publish, settings
from tests.conftest import CASE_HEADER, ROOT, case_row, write_csv

READER = r"""
import json, sys, time
from pathlib import Path
from dashboard.auth.access import SYSTEM
from dashboard.store import Store, StoreEmpty
store = Store(sys.argv[1], access=SYSTEM); stop = Path(sys.argv[2])
seen, errors, generations, n = {}, [], set(), 0
final, count, until = sys.argv[3], None, None
# after `stop`, keep reading until the last load is seen (or 30 s): a loaded machine may be
# slow to get there, and the test asserts the reader got there without a restart
while until is None or (str(count) != final and time.monotonic() < until):
    if until is None and stop.exists():
        until = time.monotonic() + 30
    try:
        # one query, one generation: both counts come from the same snapshot
        row = store.sql("select (select count(*) from cases) as n,"
                        " (select count(*) from loads where source = 'cases') as l",
                        whole_county=True).row(0)
        count, loads = row
        seen[f"{count}/{loads}"] = seen.get(f"{count}/{loads}", 0) + 1
        generations.add(str(store.generation))
    except Exception as exc:  # every error is a failure of the test
        errors.append(repr(exc))
    n += 1
print(json.dumps({"seen": seen, "errors": errors, "queries": n, "generations": len(generations)}))
"""


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _load(*paths: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "load", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr


def _cases_file(path: Path, prefix: str, n: int) -> Path:
    return write_csv(path, CASE_HEADER, [case_row(f"{prefix}{i:06d}") for i in range(n)])


def test_readers_never_fail_and_never_see_half_a_load(pulse_env, reference_files, tmp_path):
    files = {k: _cases_file(tmp_path / f"{k}.csv", k, 3000) for k in "ABCDE"}
    _load(*reference_files, files["A"])
    store = str(settings.store_path())
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, store, str(stop), "15000"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.0)
    # each run loads two files: a reader that saw one without the other saw half a load
    for batch in (("B", "C"), ("B", "C"), ("D", "E")):
        _load(*(files[k] for k in batch))
        time.sleep(0.5)
    stop.touch()
    results = [json.loads(r.communicate(timeout=60)[0]) for r in readers]
    for res in results:
        assert res["errors"] == []
        counts = {k.split("/")[0] for k in res["seen"]}
        assert counts <= {"3000", "9000", "15000"}, res["seen"]
        # kept up without a restart: see test_readers_reach_the_last_load_without_a_restart
        # cases and the load log always agree: 1, 3, 5 or 7 case files logged
        assert set(res["seen"]) <= {"3000/1", "9000/3", "9000/5", "15000/7"}, res["seen"]


def test_readers_reach_the_last_load_without_a_restart(pulse_env, reference_files, tmp_path):
    files = {k: _cases_file(tmp_path / f"{k}.csv", k, 3000) for k in "AB"}
    _load(*reference_files, files["A"])
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.store_path()), str(stop), "6000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    _load(files["B"])
    stop.touch()
    res = json.loads(reader.communicate(timeout=60)[0])
    assert res["errors"] == [] and "6000/2" in res["seen"], res["seen"]


def test_load_killed_with_sigkill_leaves_previous_store_intact(
    pulse_env, reference_files, tmp_path
):
    small = _cases_file(tmp_path / "small.csv", "S", 100)
    _load(*reference_files, small)
    published = settings.store_path()
    before = publish.current_file(published)
    big = tmp_path / "big.csv"
    n = 400_000
    pl.DataFrame(
        {h: [v] * n for h, v in zip(CASE_HEADER, case_row("x"), strict=True)}
    ).with_columns(pl.format("K{}", pl.int_range(n)).alias("办件编号")).write_csv(big)
    loader = _cli("load", str(big))
    deadline = time.time() + 60
    while not list(published.parent.glob("*.tmp")) and time.time() < deadline:
        time.sleep(0.02)
    assert list(published.parent.glob("*.tmp")), "the load never started writing"
    time.sleep(0.5)
    os.kill(loader.pid, signal.SIGKILL)
    loader.communicate(timeout=30)
    assert loader.returncode == -signal.SIGKILL
    assert publish.current_file(published) == before
    from dashboard.store import Store

    assert Store(published).sql("select count(*) as n from cases", whole_county=True)["n"][0] == 100
    # the next load cleans up and works
    _load(_cases_file(tmp_path / "more.csv", "M", 10))
    assert not list(published.parent.glob("*.tmp"))
    assert Store(published).sql("select count(*) as n from cases", whole_county=True)["n"][0] == 110


def test_rebuild_after_an_upgrade_publishes_new_derived_tables(
    pulse_env, reference_files, tmp_path
):
    """A store built by older SQL (no marts_version, a derived table missing) is outdated;
    `pulse rebuild` brings it back as a new generation with the facts untouched."""
    from etl.load import marts_outdated

    _load(*reference_files, _cases_file(tmp_path / "c.csv", "R", 30))
    published = settings.store_path()
    assert not marts_outdated()
    first = publish.current_file(published)
    con = duckdb.connect(str(first))  # what a store from before the upgrade looks like
    con.execute("delete from store_meta where key = 'marts_version'")
    con.execute("drop table hotline_previous_calls")
    con.close()
    assert marts_outdated()

    done = _cli("rebuild").communicate(timeout=120)
    assert publish.current_file(published) != first, done
    assert not marts_outdated()
    con = duckdb.connect(str(publish.current_file(published)), read_only=True)
    assert con.execute("select count(*) from cases").fetchall() == [(30,)]
    assert con.execute("select count(*) from hotline_previous_calls").fetchall() == [(0,)]
    con.close()
