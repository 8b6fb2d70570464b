"""Settings are data: every one is documented, a typo in the TOML file is an error."""

from __future__ import annotations

import pytest

from etl import settings, settings_doc
from tests.conftest import ROOT


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [s.name for s in settings.SETTINGS if f"`{s.name}`" not in doc]
    assert missing == [], "run: uv run python -m etl.settings_doc"
    assert doc == settings_doc.render()


def test_toml_values_and_environment(pulse_env, tmp_path, monkeypatch):
    (tmp_path / "pulse.toml").write_text(
        '[targets]\nonline_rate = 0.8\n[validation.aliases]\nchannel = { "网办" = "网上办理" }\n',
        encoding="utf-8",
    )
    assert settings.get("targets.online_rate") == 0.8
    assert settings.get("validation.aliases") == {"channel": {"网办": "网上办理"}}
    monkeypatch.setenv("PULSE_PORT", "9000")
    assert settings.get("serve.port") == 9000


def test_unknown_setting_is_an_error(pulse_env, tmp_path):
    (tmp_path / "pulse.toml").write_text("[targets]\nonline_rat = 0.8\n", encoding="utf-8")
    with pytest.raises(ValueError, match="online_rat"):
        settings.get("targets.online_rate")


def test_store_path_accepts_a_folder_or_a_file(tmp_path):
    assert settings.store_path(tmp_path) == tmp_path / "pulse.duckdb"
    assert settings.store_path(tmp_path / "x.duckdb") == tmp_path / "x.duckdb"
    assert settings.store_path(tmp_path / "store") == tmp_path / "store" / "pulse.duckdb"
