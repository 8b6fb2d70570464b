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
        "paths.app_db",
        "",
        "App database (SQLite, WAL): users, sessions, the audit log and the management "
        "records. Empty: app.sqlite3 beside the store file.",
        "PULSE_APP_DB",
    ),
    Setting(
        "paths.log_dir",
        "",
        "Folder for the access and error logs (rotated). Empty: <data_dir>/logs.",
        "PULSE_LOG_DIR",
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
        "outside_system.min_volume",
        20,
        "体外循环: fewest records a signal is computed over (cases; completed cases for "
        "instant closure; evaluations for the evaluation signals) before it can flag.",
    ),
    Setting(
        "outside_system.late_entry_workdays",
        1,
        "Late entry: a case is late when recorded more than this many working days after "
        "its acceptance date.",
    ),
    Setting(
        "outside_system.late_entry_share",
        0.3,
        "Late entry: flag when at least this share of the period's cases is late.",
    ),
    Setting(
        "outside_system.batch_entry_min_burst",
        20,
        "Batch entry: fewest records of the department within 5 minutes before or after a "
        "record for it to be in a burst.",
    ),
    Setting(
        "outside_system.batch_entry_rate_ratio",
        10,
        "Batch entry: a burst must also reach this multiple of the department's normal pace "
        "(its period cases spread over 8 working hours a day, per 10 minutes).",
    ),
    Setting(
        "outside_system.batch_entry_min_lag_workdays",
        1,
        "Batch entry: only cases recorded at least this many working days (>= 1) after "
        "acceptance count, so a department entering live is never flagged.",
    ),
    Setting(
        "outside_system.batch_entry_share",
        0.3,
        "Batch entry: flag when at least this share of the period's cases was batch-entered.",
    ),
    Setting(
        "outside_system.instant_closure_minutes",
        10,
        "Instant closure: completed within this many minutes (whole, at most 120) of acceptance.",
    ),
    Setting(
        "outside_system.instant_closure_min_promised_days",
        1,
        "Instant closure: only items promised in at least this many working days (>= 1).",
    ),
    Setting(
        "outside_system.instant_closure_share",
        0.2,
        "Instant closure: flag when at least this share of those completed cases closed instantly.",
    ),
    Setting(
        "outside_system.missing_case_refs_share",
        0.2,
        "References to missing cases: flag when at least this share of the evaluations that "
        "name a 办件编号 name one no loaded case has.",
    ),
    Setting(
        "outside_system.missing_case_refs_grace_days",
        60,
        "References to missing cases: evaluations rated within this many days of the first "
        "loaded case are not judged (they may name cases accepted before the data starts).",
    ),
    Setting(
        "outside_system.evals_without_cases_ratio",
        5.0,
        "Evaluations without cases: flag when the period's evaluations per case (cases "
        "counted as at least 1) reach this ratio.",
    ),
    Setting(
        "outside_system.stationed_silent_min_workdays",
        20,
        "Stationed but silent: judged only for periods with at least this many working days "
        "within the loaded data.",
    ),
    Setting(
        "outside_system.stationed_silent_max_cases",
        0,
        "Stationed but silent: flag a department with 应进驻=是 with at most this many cases.",
    ),
    # column maps (issue 19, etl): docs/column-maps.en.md
    Setting(
        "columns.maps",
        [],
        "Column maps: a county's export headers → the contract's store names, per source "
        "system, as [[columns.maps]] tables (source, name, headers); `pulse inspect FILE` "
        "suggests one. See docs/column-maps.en.md.",
    ),
    Setting(
        "columns.folder_map",
        "columns.toml",
        "Name of a column-map file (same [[columns.maps]] shape) that applies to the exports "
        "of the folder it sits in and the folders below. Empty: such files are not read.",
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
        "comparisons.dead_band_points",
        0.1,
        "A rate that moved less than this many percentage points against the previous period "
        "reads 持平 and is not coloured.",
    ),
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
    Setting(
        "serve.cache_mb",
        128,
        "Memory (MB) each worker keeps for answers of the current data generation; 0 = none.",
        "PULSE_CACHE_MB",
    ),
    Setting(
        "serve.allowed_hosts",
        ["localhost", "127.0.0.1", "::1"],
        "Host names (and addresses) the dashboard answers to; a request naming another Host "
        "gets 400. Add the server's intranet name and address.",
    ),
    Setting(
        "serve.max_request_kb",
        512,
        "Largest request body accepted (KB); larger ones get 413.",
    ),
    Setting(
        "serve.max_filter_values",
        100,
        "Most towns or departments one request may name.",
    ),
    Setting(
        "serve.duckdb_memory_limit",
        "1GB",
        "DuckDB memory limit of each reader connection (each server worker, the CLI).",
        "PULSE_DUCKDB_MEMORY_LIMIT",
    ),
    Setting("serve.duckdb_threads", 2, "DuckDB threads of each reader connection."),
    # logins, roles and the audit trail (issue 13): docs/security.md
    Setting(
        "auth.session_idle_hours",
        8.0,
        "A person's session ends after this many hours without a request (wall devices: never).",
    ),
    Setting(
        "auth.max_failed_logins",
        5,
        "Failed logins in a row that lock an account.",
    ),
    Setting("auth.lockout_minutes", 15, "How long a locked account stays locked."),
    Setting("auth.min_password_length", 10, "Shortest password accepted."),
    Setting(
        "auth.secure_cookies",
        "auto",
        "Session cookie Secure flag: auto (when the request came over HTTPS, directly or "
        "from a trusted proxy) | always | never.",
    ),
    Setting(
        "auth.proxy_header",
        "",
        "Single sign-on: header naming the signed-in user, set by the county's reverse proxy "
        '(统一身份认证), e.g. "X-Remote-User". Empty: off.',
    ),
    Setting(
        "auth.trusted_proxies",
        [],
        "Addresses of the reverse proxies whose proxy_header and X-Forwarded-Proto are "
        'believed, e.g. ["127.0.0.1"]. From any other address the header is ignored.',
    ),
    Setting(
        "audit.retention_days",
        365,
        "Days the audit log is kept (at least 180: 网络安全法 art. 21 asks for six months).",
    ),
    Setting("county.name", "示范县", "County name shown on pages and reports."),
    Setting("export.max_rows", 1_000_000, "Most rows one 办件查询 export may hold."),
    Setting(
        "export.xlsx_max_rows",
        100_000,
        "Most rows an Excel export may hold (Excel costs ~100× the CPU of CSV); more: CSV.",
    ),
    Setting(
        "export.max_concurrent",
        2,
        "Exports running at once across all users (each user: one at a time).",
    ),
    Setting(
        "quality.stale_hours",
        48,
        "数据质量: a source whose newest export is older than this many hours is flagged.",
    ),
    # weekly PDF snapshots (issue 7): docs/snapshots.md
    Setting(
        "snapshot.cron",
        "0 8 * * 1",
        "`pulse schedule`: when to produce last week's PDFs (crontab: minute hour day month "
        "weekday; default Monday 08:00).",
    ),
    Setting("snapshot.timezone", "Asia/Shanghai", "Time zone of snapshot.cron."),
    Setting("snapshot.towns", False, "`pulse schedule` also produces every town's own PDF."),
    Setting(
        "snapshot.out_dir",
        "",
        "Snapshot archive folder (PDFs and index.json). Empty: <data_dir>/snapshots.",
        "PULSE_SNAPSHOT_DIR",
    ),
    Setting(
        "snapshot.rank_by",
        "online_rate",
        "Indicator the PDF's town ranking is sorted by (as the overview page's default).",
    ),
    Setting("snapshot.list_rows", 40, "Most cases listed per case list in the PDF."),
    Setting(
        "snapshot.timeout_seconds",
        180,
        "Longest wait for the report page to render before a snapshot fails.",
    ),
    Setting("snapshot.smtp_host", "", "SMTP server for e-mailing snapshots. Empty: no e-mail."),
    Setting("snapshot.smtp_port", 587, "SMTP port."),
    Setting(
        "snapshot.smtp_security", "starttls", "SMTP connection security: starttls | ssl | none."
    ),
    Setting("snapshot.smtp_user", "", "SMTP login user. Empty: no login."),
    Setting(
        "snapshot.smtp_password",
        "",
        "SMTP password (set it in the environment, not in the file).",
        "PULSE_SMTP_PASSWORD",
    ),
    Setting("snapshot.sender", "", "From address of snapshot e-mails."),
    Setting("snapshot.recipients", [], "Addresses that receive the county PDF."),
    Setting(
        "snapshot.town_recipients",
        {},
        'Addresses that receive a town\'s own PDF, by town code, e.g. {"339901101000" = '
        '["qingshi@example.org"]}.',
    ),
    Setting("snapshot.retries", 3, "Attempts to send an e-mail before giving up (logged)."),
    Setting(
        "snapshot.retry_backoff_seconds",
        60,
        "Wait before the second attempt; doubled before each further attempt.",
    ),
    # wall screen (issue 6): docs/wall.md
    Setting("wall.refresh_seconds", 300, "大屏: seconds between data refreshes (URL ?refresh=)."),
    Setting(
        "wall.rotate_seconds",
        0,
        "大屏: seconds between map/红黑榜 views (URL ?rotate=); 0 = no rotation.",
    ),
    Setting("wall.period", "this_month", "大屏: default period (URL ?period=, as the pages)."),
    Setting("wall.color", "online_rate", "大屏: default map and 红黑榜 indicator (URL ?color=)."),
    Setting(
        "wall.stale_hours",
        26,
        "大屏: show 数据已过期 when 数据截至 is older than this many hours.",
    ),
    Setting("wall.ticker_cases", 40, "大屏: most overdue and 预警 cases in the ticker."),
    Setting(
        "wall.frame_ancestors",
        [],
        "大屏: origins allowed to show the wall in a frame (e.g. a meeting-room portal); "
        "empty: no framing (X-Frame-Options DENY on every page).",
    ),
    # 红黑榜 hard targets (issue 16, wall helper): dashboard/domain/ranking.py
    Setting(
        "ranking.hard_targets",
        ["overdue_open"],
        "红黑榜: indicators a town must meet (a count where fewer is better at 0, a rate at its "
        "target) to be listed on 红榜, whatever figure it is ranked by; [] = none.",
    ),
    # optional-column figures and windows (issue 19, dashboard): docs/indicators.md
    Setting(
        "targets.onsite_rate",
        0.95,
        'Target for 现场办结率; empty ("") = no target, the figure is not coloured.',
    ),
    Setting(
        "targets.early_rate",
        "",
        'Target for 承诺件提前办结率; empty ("") = no target, the figure is not coloured.',
    ),
    Setting(
        "targets.one_window_rate",
        0.90,
        'Target for 一窗通办率; empty ("") = no target, the figure is not coloured.',
    ),
    Setting(
        "wall.extra_figures",
        [],
        "大屏: extra KPI tiles among the figures from optional case columns (onsite_rate, "
        "early_rate, one_window_rate, cross_province_cases, bundle_cases, assisted_cases), "
        "shown after the standard eight when the county has their data; [] = none extra.",
    ),
    Setting(
        "windows.min_completed",
        20,
        "窗口排名: completed cases a window needs in the month to be ranked (fewer: listed, "
        "not ranked).",
    ),
    Setting(
        "windows.board_size",
        3,
        "窗口排名: windows named 红旗窗口 (best) and 后进窗口 (worst) each month.",
    ),
    # storage (issue 18, store helper): etl/parquet_store.py — docs/storage.md
    Setting(
        "store.format",
        "parquet",
        "How a load writes the store: parquet (facts as county/year/month Parquet files, one "
        "small catalog per generation; a load writes only the partitions it changes and patches "
        "the derived tables for the days it touched) | duckdb (one file per generation, copied "
        "whole by every load; the format before issue 18). The next load converts a store "
        "of the other format.",
        "PULSE_STORE_FORMAT",
    ),
    Setting(
        "store.compact_files",
        8,
        "Parquet format: a partition (county, year, month) holding more files than this after a "
        "load is rewritten as one file (`pulse compact` rewrites every partition of 2 or more).",
    ),
    Setting(
        "store.load_memory_limit",
        "40%",
        "DuckDB memory limit of a load (a size like 4GB, or a share of the machine's memory): "
        "beyond it a load's work tables spill to the store's temporary folder instead of "
        "taking the memory the dashboard's workers need.",
        "PULSE_LOAD_MEMORY_LIMIT",
    ),
    # operations (issue 14): logs, health, inbox, backups — docs/deploy.md
    Setting(
        "logs.rotate",
        "daily",
        "Rotate access.log and error.log daily (into <name>.YYYY-MM-DD) or by size (into "
        "<name>.1, .2, …): daily | size.",
    ),
    Setting("logs.max_mb", 100, "With logs.rotate = size: rotate a log file at this size (MB)."),
    Setting("logs.keep", 30, "Rotated files kept per log (the oldest are deleted)."),
    Setting(
        "logs.level",
        "info",
        "Least severe level written to error.log: debug | info | warning | error.",
    ),
    Setting(
        "health.stale_hours",
        48,
        "/healthz and `pulse status`: 'stale' (HTTP 503) when 数据截至 is older than this "
        "many hours.",
    ),
    Setting(
        "inbox.poll_seconds",
        30,
        "`pulse watch`: seconds between two looks at the inbox folder.",
    ),
    Setting(
        "inbox.settle_seconds",
        10,
        "`pulse watch`: a file is loaded only once its size and modification time have not "
        "changed for this many seconds (a file still being written is left alone).",
    ),
    Setting("backup.keep", 30, "`pulse backup --out FOLDER`: archives kept in that folder."),
    # the management loop (issue 17): early warnings, 办件抽查, 整改台账, 书面说明, 通报 —
    # docs/management.md
    Setting(
        "notify.cron",
        "0 8 * * *",
        "`pulse schedule`: when to send the early warnings (crontab; default every day 08:00).",
    ),
    Setting("notify.timezone", "Asia/Shanghai", "Time zone of notify.cron."),
    Setting(
        "notify.base_url",
        "",
        "Address of the dashboard as officials open it, for the links in warnings (e.g. "
        '"https://pulse.county.gov.cn"). Empty: http://<serve.host>:<serve.port>.',
    ),
    Setting(
        "notify.lookback_days",
        365,
        "Early warnings watch the open cases and tickets accepted within this many days "
        "before 数据截至 (the period of the figures they equal).",
    ),
    Setting(
        "notify.max_rows_per_dept",
        10,
        "Cases (or tickets) listed per department in one warning; the rest are counted and linked.",
    ),
    Setting(
        "notify.max_parts",
        5,
        "Most messages one warning is split into for a group robot (企业微信 allows 20 a "
        "minute); the last one then counts what is left and links to it.",
    ),
    Setting("notify.wecom_max_bytes", 4096, "企业微信 group robot: most bytes of one message."),
    Setting("notify.dingtalk_max_bytes", 20000, "钉钉 custom robot: most bytes of one message."),
    Setting("notify.retries", 3, "Attempts to deliver one warning within a run."),
    Setting(
        "notify.retry_backoff_seconds",
        30,
        "Wait before the second attempt; doubled before each further one. A warning still "
        "undelivered stays unsent in the log and is tried again by the next run.",
    ),
    Setting("notify.timeout_seconds", 15, "Seconds to wait for a webhook or SMTP server."),
    Setting(
        "notify.threshold_indicators",
        ["on_time_rate", "satisfaction_rate", "evaluation_rate", "hotline_on_time_rate"],
        "Figures whose crossing of their target (targets.*) is announced, once per period, per "
        "town.",
    ),
    Setting(
        "notify.threshold_period",
        "this_month",
        "Period of the threshold alerts, as the pages name periods (this_month, this_week, …).",
    ),
    Setting(
        "audit_sample.per_dept",
        5,
        "办件抽查: cases drawn per department each month (a department with fewer gives all).",
    ),
    Setting(
        "audit_sample.checks",
        ["录入及时规范", "材料归档完整", "办理合规"],
        "办件抽查: what is checked for each drawn case (each 合格 or 不合格 with a note).",
    ),
    Setting(
        "ledger.deadline_workdays",
        10,
        "整改台账: default deadline of a new item, in working days after the day it is opened.",
    ),
    Setting(
        "explanations.evaluation_rate_below",
        0.9,
        "书面说明: departments (and windows) whose 评价率 for the month is below this must "
        "explain (the county's rule for 漏评 is 1.0: any case left unrated).",
    ),
    Setting(
        "explanations.satisfaction_below",
        1.0,
        "书面说明: … or whose 满意度 is below this (default: anything under 100%).",
    ),
    Setting(
        "bulletin.issuer",
        "",
        "通报: the issuing office printed at the top (e.g. 示范县政务服务管理办公室). Empty: "
        "the county's name only.",
    ),
    # first render (issue 16): compression of answers — docs/deploy.md
    Setting(
        "serve.compress",
        True,
        "Compress answers (brotli or gzip, as the browser accepts): scripts, styles, pages and "
        "data. Turn off only when a reverse proxy in front compresses them already.",
    ),
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


def app_db_path(store: str | os.PathLike | None = None) -> Path:
    """The app database: `paths.app_db`, else app.sqlite3 beside the store file."""
    configured = get("paths.app_db")
    return Path(configured) if configured else store_path(store).parent / "app.sqlite3"


def log_dir() -> Path:
    return Path(get("paths.log_dir") or (data_dir() / "logs"))


def holidays_path() -> Path:
    default = Path(__file__).resolve().parent.parent / "data" / "reference" / "holidays.csv"
    return Path(get("paths.holidays") or default)
