"""Every setting of the product, its default and what it means — one table, read from TOML.

Settings are data (name, default, help). The file is `pulse.toml` in the working directory
or the path in PULSE_CONFIG; a few settings can also come from the environment (named in
`env`). `docs/configuration.md` lists them all; a test fails when one is missing there.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str  # dotted: section.key
    default: Any
    help: str
    env: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "paths.data_dir",
        "data",
        "Folder for the store, the secret and snapshots.",
        "PULSE_DATA_DIR",
    ),
    Setting(
        "paths.store",
        "",
        "Store file (or folder holding pulse.duckdb). Empty: <data_dir>/store/pulse.duckdb.",
        "PULSE_STORE",
    ),
    Setting(
        "paths.secret",
        "",
        "Per-installation secret for keyed hashes of ID and phone "
        "numbers, created on first run, kept outside the store. Empty: <data_dir>/secret.key.",
        "PULSE_SECRET_FILE",
    ),
    Setting(
        "paths.holidays",
        "",
        "Holiday reference file that adds or overrides years the "
        "chinese-calendar package does not know. Empty: data/reference/holidays.csv.",
        "PULSE_HOLIDAYS",
    ),
    Setting(
        "indicators.online_channels",
        ["网上办理", "掌上办理"],
        "申报方式 values counted as online for 网办率.",
    ),
    Setting("indicators.satisfied_rating", 3, "Lowest rating (1–5) counted as satisfied."),
    Setting(
        "indicators.warning_horizon_workdays",
        1,
        "超时预警: open cases whose deadline falls within this many working days after as_of.",
    ),
    Setting(
        "indicators.rectify_deadline_days",
        10,
        "Working days after the rating date to rectify a bad review (差评整改时限).",
    ),
    Setting(
        "validation.aliases",
        {},
        "Extra spellings mapped onto allowed values, per column, e.g. "
        '{channel = {"网上申报" = "网上办理"}}.',
    ),
    Setting("targets.online_rate", 0.90, "Target for 网办率 (green at or above)."),
    Setting("targets.satisfaction_rate", 0.98, "Target for 满意度."),
    Setting("targets.on_time_rate", 1.00, "Target for 按时办结率."),
    Setting("targets.rectify_rate", 1.00, "Target for 差评整改率."),
    Setting("targets.evaluation_rate", 0.90, "Target for 评价率."),
    Setting("targets.hotline_satisfaction_rate", 0.95, "Target for 12345 满意率."),
    Setting("targets.hotline_on_time_rate", 0.98, "Target for 12345 按时办结率."),
    Setting(
        "targets.amber_margin",
        0.05,
        "A rate within this margin below its target is amber, further below is red.",
    ),
    Setting("serve.host", "127.0.0.1", "Address the dashboard listens on.", "PULSE_HOST"),
    Setting("serve.port", 8050, "Port the dashboard listens on.", "PULSE_PORT"),
    Setting(
        "serve.workers",
        2,
        "Server worker processes (each opens the store read-only).",
        "PULSE_WORKERS",
    ),
    Setting("county.name", "示范县", "County name shown on pages and reports."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def config_path() -> Path:
    return Path(os.environ.get("PULSE_CONFIG", "pulse.toml"))


@cache
def _file_values(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.exists():
        return {}
    with p.open("rb") as fh:
        raw = tomllib.load(fh)
    flat: dict[str, Any] = {}
    for section, values in raw.items():
        if isinstance(values, dict):
            for key, value in values.items():
                flat[f"{section}.{key}"] = value
    unknown = sorted(set(flat) - set(_BY_NAME))
    if unknown:
        raise ValueError(f"{p}: unknown settings {', '.join(unknown)}")
    return flat


def get(name: str) -> Any:
    """Value of a setting: environment, then the TOML file, then the default."""
    setting = _BY_NAME[name]
    if setting.env and os.environ.get(setting.env):
        value: Any = os.environ[setting.env]
        return type(setting.default)(value) if isinstance(setting.default, int) else value
    return _file_values(str(config_path().resolve())).get(name, setting.default)


def data_dir() -> Path:
    return Path(get("paths.data_dir"))


def store_path(override: str | os.PathLike | None = None) -> Path:
    """The published store file. A folder (existing, or without a .duckdb suffix) means
    <folder>/pulse.duckdb."""
    raw = override or get("paths.store") or (data_dir() / "store")
    p = Path(raw)
    if p.suffix != ".duckdb" or p.is_dir():
        p = p / "pulse.duckdb"
    return p


def secret_path() -> Path:
    return Path(get("paths.secret") or (data_dir() / "secret.key"))


def holidays_path() -> Path:
    default = Path(__file__).resolve().parent.parent / "data" / "reference" / "holidays.csv"
    return Path(get("paths.holidays") or default)
