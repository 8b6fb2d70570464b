"""`pulse serve` as a county's IT office runs it: from an empty data folder (the demo county
built first) and after an upgrade (derived tables rebuilt first). Both used to hang: the
build ran in gunicorn's master, whose forked workers inherited polars' and DuckDB's thread
pools without their threads. Real processes, real HTTP."""

from __future__ import annotations

import re

import duckdb
import pytest
import requests

from etl import publish
from tests.ops.served import first_answers, pulse, pulse_env, pulse_input, serve, threads_of

pytestmark = pytest.mark.slow


def test_first_start_on_an_empty_folder_serves_pages_and_callbacks(tmp_path):
    env = pulse_env(tmp_path)
    served = serve(env, "--demo-if-empty", "--demo-scale", "0.02", "--workers", "2")
    try:
        times = first_answers(served)
        # the master forks (and re-forks crashed workers): it must have no second thread
        assert threads_of(served.proc.pid) == 1, served.output
        health = requests.get(served.url + "/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert not re.search(r"\d", health.headers["Server"])  # no version disclosed
    finally:
        served.stop()
    assert "building the demo county" in served.output
    print("answered after `serving on` (s):", {k: round(v, 2) for k, v in times.items()})
    # access log: one line per request, the request id first (X-Request-ID, or "-")
    logs = tmp_path / "data" / "logs"
    access = (logs / "access.log").read_text(encoding="utf-8").splitlines()
    assert any('"GET /_dash-layout HTTP/1.1" 200' in line for line in access), access
    assert all(re.match(r"(-|[0-9a-f]{12}) ", line) for line in access), access
    assert "Booting worker" in (logs / "error.log").read_text(encoding="utf-8")


def test_start_after_an_upgrade_rebuilds_in_a_child_and_serves(tmp_path):
    env = pulse_env(tmp_path)
    exports = tmp_path / "exports"
    done = pulse(env, "demo", "--scale", "0.02", "--seed", "5", "--out", str(exports))
    assert done.returncode == 0, done.stderr
    assert pulse(env, "load", str(exports)).returncode == 0
    published = tmp_path / "data" / "store" / "pulse.duckdb"
    before = publish.current_file(published)
    con = duckdb.connect(str(before))  # what a store from before the upgrade looks like
    con.execute("delete from store_meta where key = 'marts_version'")
    con.execute("drop table hotline_previous_calls")
    con.close()
    added = pulse_input(
        env, "county-password-1\n", "user", "add", "county", "--role", "county", "--password-stdin"
    )
    assert added.returncode == 0, added.stderr

    served = serve(env, "--workers", "2")
    try:
        first_answers(served, "county-password-1")
        assert threads_of(served.proc.pid) == 1
    finally:
        served.stop()
    assert "正在重建" in served.output
    assert publish.current_file(published) != before
