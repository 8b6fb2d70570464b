"""体外循环 (issue 4): departments that handle cases outside the platform, with evidence.

The definitions live in SQL (etl/sql/marts/04_outside_system.sql: per-record flags, rollups
rebuilt at every load, and the `outside_system_signals` macro); this module fills in the
thresholds (settings `outside_system.*`), words the result in Chinese for the officials who
read it and fetches example rows. `docs/outside-system.zh.md` explains every signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dashboard.domain.params import Params
from dashboard.store import COUNTY, Scope, Store
from etl import settings

# The signals, in the order they are listed everywhere (`signals` columns, pages, PDF).
SIGNALS: tuple[str, ...] = (
    "late_entry",
    "batch_entry",
    "instant_closure",
    "missing_case_refs",
    "evals_without_cases",
    "stationed_silent",
)
LABELS: dict[str, str] = {
    "late_entry": "延迟录入",
    "batch_entry": "集中补录",
    "instant_closure": "受理即办结",
    "missing_case_refs": "评价所指办件不存在",
    "evals_without_cases": "有评价无办件",
    "stationed_silent": "应进未进",
}

# macro argument ← setting (etl/settings.py, section outside_system)
_ARGUMENTS: dict[str, str] = {
    "min_volume": "outside_system.min_volume",
    "late_workdays": "outside_system.late_entry_workdays",
    "late_share": "outside_system.late_entry_share",
    "batch_min_burst": "outside_system.batch_entry_min_burst",
    "batch_rate_ratio": "outside_system.batch_entry_rate_ratio",
    "batch_min_lag": "outside_system.batch_entry_min_lag_workdays",
    "batch_share": "outside_system.batch_entry_share",
    "instant_minutes": "outside_system.instant_closure_minutes",
    "instant_min_promised": "outside_system.instant_closure_min_promised_days",
    "instant_share": "outside_system.instant_closure_share",
    "missing_share": "outside_system.missing_case_refs_share",
    "missing_grace_days": "outside_system.missing_case_refs_grace_days",
    "ewc_ratio": "outside_system.evals_without_cases_ratio",
    "silent_min_workdays": "outside_system.stationed_silent_min_workdays",
    "silent_max_cases": "outside_system.stationed_silent_max_cases",
}
_INTEGER = {
    "min_volume",
    "late_workdays",
    "batch_min_burst",
    "batch_min_lag",
    "instant_minutes",
    "instant_min_promised",
    "missing_grace_days",
    "silent_min_workdays",
    "silent_max_cases",
}


def thresholds() -> dict[str, Any]:
    """The macro's threshold arguments from the settings."""
    return {
        arg: int(settings.get(name)) if arg in _INTEGER else float(settings.get(name))
        for arg, name in _ARGUMENTS.items()
    }


@dataclass(frozen=True)
class Signal:
    name: str  # one of SIGNALS
    label_zh: str
    value: float  # share, evaluations per case, or cases (stationed_silent)
    threshold: float
    volume: int  # records the value is computed over (working days for stationed_silent)
    explanation_zh: str
    hits: int = 0  # records counting towards the value


@dataclass
class Flag:
    town_code: str
    town_name: str
    dept_name: str
    signals: list[Signal]
    evidence: dict[str, pl.DataFrame] = field(default_factory=dict)  # signal → example rows

    @property
    def signal_names(self) -> list[str]:
        return [s.name for s in self.signals]


def _call(raw: bool) -> str:
    args = ", ".join(f"{a} := ${a}" for a in _ARGUMENTS)
    src = ", cases_src := 'outside_cases_raw', evals_src := 'outside_evals_raw'" if raw else ""
    return f"outside_system_signals($date_from, $date_to, {args}, bucket := $bucket{src})"


def signals(
    store: Store,
    params: Params,
    scope: Scope = COUNTY,
    raw: bool = False,
    bucket: str | None = None,
    published: bool = False,
) -> pl.DataFrame:
    """Every (town, department, signal) judged for the period, flagged or not, with the
    figures behind it. bucket 'week' | 'month' judges each week or month of the period (cut
    to it) on its own, period_start saying which. raw=True computes from the fact tables
    (tests and bench only)."""
    sql = (
        f"select s.*, t.town_name from {_call(raw)} s "
        f"left join towns t on t.town_code = s.town_code "
        f"where list_contains($towns, s.town_code)"
    )
    values = {
        "date_from": params.date_from,
        "date_to": params.date_to,
        "bucket": bucket or "none",
        **thresholds(),
    }
    frame = store.sql(sql, values, scope=scope, published=published)
    order = {name: i for i, name in enumerate(SIGNALS)}
    return frame.sort(
        "period_start",
        "town_code",
        "dept_name",
        pl.col("signal").replace_strict(order, return_dtype=pl.Int32),
    )


def flagged_departments(
    store: Store,
    params: Params,
    scope: Scope = COUNTY,
    raw: bool = False,
    bucket: str | None = None,
    published: bool = False,
) -> pl.DataFrame:
    """One row per flagged department (and bucket): period_start, town_code, town_name,
    dept_name, signals (names in SIGNALS order joined by ';')."""
    frame = signals(store, params, scope, raw=raw, bucket=bucket, published=published)
    frame = frame.filter(pl.col("flagged"))
    keys = ("period_start", "town_code", "town_name", "dept_name")
    return (
        frame.group_by(*keys, maintain_order=True)
        .agg(pl.col("signal").str.join(";").alias("signals"))
        .sort("period_start", "town_code", "dept_name")
    )


def detect(
    store: Store, params: Params, scope: Scope = COUNTY, evidence_rows: int = 5
) -> list[Flag]:
    """The flagged departments of the period, each with its signals explained in Chinese and
    up to `evidence_rows` example rows per signal (0: none)."""
    limits = thresholds()
    frame = signals(store, params, scope).filter(pl.col("flagged"))
    flags: dict[tuple[str, str], Flag] = {}
    for row in frame.iter_rows(named=True):
        key = (row["town_code"], row["dept_name"])
        if key not in flags:
            flags[key] = Flag(row["town_code"], row["town_name"] or "", row["dept_name"], [])
        flag = flags[key]
        flag.signals.append(
            Signal(
                name=row["signal"],
                label_zh=LABELS[row["signal"]],
                value=row["value"],
                threshold=row["threshold"],
                volume=row["volume"],
                explanation_zh=explain(row, limits),
                hits=row["hits"],
            )
        )
        if evidence_rows > 0:
            flag.evidence[row["signal"]] = evidence(
                store, params, row["town_code"], row["dept_name"], row["signal"], evidence_rows
            )
    return list(flags.values())


def _pct(x: float | None) -> str:
    """Whole percent; never 100% unless all (99.6% of the cases is not every case)."""
    if x is None:
        return "—"
    return f"{min(x, 0.99) if x < 1 else x:.0%}"


def explain(row: dict[str, Any], limits: dict[str, Any] | None = None) -> str:
    """One line of Chinese for officials: what the signal found for this department."""
    t = limits or thresholds()
    signal, value, hits, volume = row["signal"], row["value"], row["hits"], row["volume"]
    if signal == "late_entry":
        return (
            f"{_pct(value)} 的办件({hits}/{volume} 件)在受理超过 {t['late_workdays']} 个工作日后"
            f"才录入平台,平均晚 {row['avg_late_lag']:.1f} 个工作日"
        )
    if signal == "batch_entry":
        share_end = row["batch_period_end"] / hits if hits else 0.0
        return (
            f"{_pct(value)} 的办件({hits}/{volume} 件)在受理后成批补录:每批前后 5 分钟内录入"
            f" {math.ceil(row['burst_threshold'])} 件以上,单批最多 {row['max_burst']} 件,"
            f"而平时约每 10 分钟 {row['normal_pace']:.1f} 件;{_pct(share_end)} 在周末或月末"
            f"最后一个工作日录入"
        )
    if signal == "instant_closure":
        return (
            f"承诺时限 {max(t['instant_min_promised'], 1)} 个工作日及以上的办件中,{_pct(value)}"
            f"({hits}/{volume} 件)在受理后 {min(t['instant_minutes'], 120)} 分钟内即办结"
        )
    if signal == "missing_case_refs":
        return (
            f"{hits} 条评价所填的办件编号在平台中查无此件,占填写了办件编号的评价的 "
            f"{_pct(value)}({hits}/{volume} 条)"
        )
    if signal == "evals_without_cases":
        if row["cases"] == 0:
            return f"期间收到 {row['evaluations']} 条评价,平台却没有该部门的任何办件"
        return (
            f"期间收到 {row['evaluations']} 条评价,平台仅有 {row['cases']} 件办件"
            f"(每件办件 {value:.0f} 条评价,正常部门不足 1 条)"
        )
    if signal == "stationed_silent":
        tail = f",仅有 {row['evaluations']} 条评价" if row["evaluations"] else ""
        return f"应进驻部门,期间 {volume} 个工作日内平台没有该部门的办件{tail}"
    raise ValueError(f"unknown signal {signal!r}")


def evidence(
    store: Store,
    params: Params,
    town_code: str,
    dept_name: str,
    signal: str,
    limit: int = 20,
) -> pl.DataFrame:
    """Example rows behind a department's signal for the period (ids and key fields), the
    most telling first: the rows the signal counts (dashboard/queries/outside__<signal>.sql;
    for stationed_silent: the department's window and its latest case, if any)."""
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; known: {', '.join(SIGNALS)}")
    values: dict[str, Any] = {
        "date_from": params.date_from,
        "date_to": params.date_to,
        "town": town_code,
        "dept": dept_name,
        "limit": max(0, int(limit)),
        **thresholds(),
    }
    if signal == "batch_entry":
        row = signals(store, params, Scope((town_code,))).filter(
            (pl.col("dept_name") == dept_name) & (pl.col("signal") == signal)
        )
        values["burst_threshold"] = row["burst_threshold"][0] if row.height else None
    return store.query(f"outside__{signal}", **values)


def metrics_columns(
    frame: pl.DataFrame,
    store: Store,
    params: Params,
    by: str,
    scope: Scope = COUNTY,
    raw: bool = False,
    depts: tuple[str, ...] = (),
    bucket: str | None = None,
    published: bool = False,
) -> pl.DataFrame:
    """The 体外循环 columns of `metrics()`'s frame: outside_system_depts (flagged department
    names of the row joined by ';', sorted; null when none; for the county row 乡镇·部门),
    and for by="dept" also outside_system (bool) and signals (names joined by ';').
    With buckets every bucket is judged as its own period (cut to the whole period)."""
    flagged = flagged_departments(store, params, scope, raw=raw, bucket=bucket, published=published)
    if depts:
        flagged = flagged.filter(pl.col("dept_name").is_in(list(depts)))
    by_period = ["period_start"] if bucket else []
    if by == "dept":
        keyed = flagged.select("town_code", "dept_name", *by_period, "signals")
        out = frame.join(keyed, on=["town_code", "dept_name", *by_period], how="left")
        return out.with_columns(
            pl.col("signals").is_not_null().alias("outside_system"),
            pl.when(pl.col("signals").is_not_null())
            .then(pl.col("dept_name"))
            .alias("outside_system_depts"),
        )
    if by == "town":
        keys, name = ["town_code", *by_period], pl.col("dept_name")
    else:
        keys, name = by_period, pl.concat_str("town_name", pl.lit("·"), "dept_name")
    names = name.sort().str.join(";").alias("outside_system_depts")
    if not keys:
        joined = flagged.select(names)["outside_system_depts"][0] if flagged.height else None
        return frame.with_columns(pl.lit(joined, pl.String).alias("outside_system_depts"))
    listed = flagged.group_by(keys).agg(names)
    return frame.join(listed, on=keys, how="left")
