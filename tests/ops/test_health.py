"""GET /healthz and `pulse status`: empty, stale and ok stores, with their HTTP and exit codes."""

from __future__ import annotations

import json

import flask

from dashboard import health
from etl import settings
from etl.load import load
from tests.conftest import CASE_HEADER, case_row, write_csv
from tests.ops.served import pulse, pulse_env


def _client():
    app = flask.Flask("health-test")
    health.register_routes(app)
    return app.test_client()


def test_empty_stale_and_ok(pulse_env, reference_files, tmp_path):
    client = _client()
    empty = client.get("/healthz")
    assert empty.status_code == 503 and empty.json["status"] == "empty"
    assert empty.headers["Cache-Control"] == "no-store"

    # the newest record is from November 2026: old data as far as today is concerned
    cases = write_csv(tmp_path / "c.csv", CASE_HEADER, [case_row("H0001")])
    assert load([*reference_files, cases]).exit_code == 0
    stale = client.get("/healthz")
    assert stale.status_code == 503
    report = stale.json
    assert report["status"] == "stale" and report["generation"] == "pulse.g000001.duckdb"
    assert report["as_of"].startswith("2026-11-0") and report["data_age_hours"] > 48

    (tmp_path / "pulse.toml").write_text("[health]\nstale_hours = 1000000\n")
    settings._file_values.cache_clear()  # read once per process otherwise
    fresh = client.get("/healthz")
    assert fresh.status_code == 200 and fresh.json["status"] == "ok"


def test_pulse_status_exit_codes(tmp_path, reference_files):
    env = pulse_env(tmp_path)
    empty = pulse(env, "status", "--format", "json")
    assert empty.returncode == 1 and json.loads(empty.stdout)["status"] == "empty"
    cases = write_csv(tmp_path / "c.csv", CASE_HEADER, [case_row("H0001")])
    assert pulse(env, "load", *map(str, reference_files), str(cases)).returncode == 0
    (tmp_path / "pulse.toml").write_text("[health]\nstale_hours = 1000000\n")
    ok = pulse(env, "status")
    assert ok.returncode == 0 and "ok" in ok.stdout and "数据截至" in ok.stdout


def test_create_app_serves_healthz(pulse_env):
    from dashboard.app import create_app

    answer = create_app().server.test_client().get("/healthz")
    assert answer.status_code == 503 and answer.json["status"] == "empty"
