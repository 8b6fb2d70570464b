"""A demo city: three counties (`pulse demo --counties 3`, small) loaded into one store."""

from __future__ import annotations

import os
from datetime import date

import pytest

from etl.demo.city import generate_city
from etl.load import load

CITY_END = date(2026, 11, 20)
COUNTIES = ("339901", "339902", "339903")


@pytest.fixture(scope="session")
def city_env(tmp_path_factory) -> dict[str, str]:
    """Environment of a data folder holding the three counties' store."""
    base = tmp_path_factory.mktemp("city")
    env = {
        **os.environ,
        "PULSE_DATA_DIR": str(base / "data"),
        "PULSE_CONFIG": str(base / "pulse.toml"),
    }
    env.pop("PULSE_STORE", None)
    with pytest.MonkeyPatch.context() as mp:
        for k in ("PULSE_DATA_DIR", "PULSE_CONFIG"):
            mp.setenv(k, env[k])
        summary = generate_city(base / "exports", counties=3, seed=5, scale=0.02, end=CITY_END)
        assert load([summary.out_dir]).exit_code == 0
    env["EXPORTS"] = str(base / "exports")
    return env


@pytest.fixture
def city(city_env, monkeypatch):
    """The city's store as the default store of this test."""
    for k in ("PULSE_DATA_DIR", "PULSE_CONFIG"):
        monkeypatch.setenv(k, city_env[k])
    monkeypatch.delenv("PULSE_STORE", raising=False)
    from dashboard.store import default_store

    return default_store()
