"""体外循环 (issue 4): departments that handle cases outside the platform, with evidence.

The definitions live in SQL (etl/sql/{flags,rollups,marts}/02_outside_system.sql: per-record
flags, rollups rebuilt at every load, and the `outside_system_signals` macro); this module
fills in the thresholds (settings `outside_system.*`), words the result in Chinese for the
officials who read it, and lists the evidence: the very rows each signal counted
(dashboard/queries/outside__<signal>.sql, built on the same per-record rule macros as the
signals, so that the rows listed always number the signal's `hits`).
`docs/outside-system.zh.md` explains every signal; the Chinese words the page, the CSV and
the PDF show are here, in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from dashboard.domain.params import Params
from dashboard.store import COUNTY, Scope, Store, query_text
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
    hits: int = 0  # records counting towards the value: exactly the rows evidence() lists
    flagged: bool = True
    figures: dict[str, Any] = field(default_factory=dict, compare=False)  # the signals row


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


def _signal(row: dict[str, Any], limits: dict[str, Any]) -> Signal:
    return Signal(
        name=row["signal"],
        label_zh=LABELS[row["signal"]],
        value=row["value"],
        threshold=row["threshold"],
        volume=row["volume"],
        explanation_zh=explain(row, limits),
        hits=row["hits"],
        flagged=bool(row["flagged"]),
        figures=row,
    )


def detect(
    store: Store, params: Params, scope: Scope = COUNTY, evidence_rows: int = 5
) -> list[Flag]:
    """The flagged departments of the period, each with its signals explained in Chinese and
    the first `evidence_rows` rows of each signal's evidence (0: none), most telling first."""
    limits = thresholds()
    frame = signals(store, params, scope).filter(pl.col("flagged"))
    flags: dict[tuple[str, str], Flag] = {}
    for row in frame.iter_rows(named=True):
        key = (row["town_code"], row["dept_name"])
        if key not in flags:
            flags[key] = Flag(row["town_code"], row["town_name"] or "", row["dept_name"], [])
        flag = flags[key]
        flag.signals.append(_signal(row, limits))
        if evidence_rows > 0:
            flag.evidence[row["signal"]] = evidence(
                store, params, row["town_code"], row["dept_name"], row["signal"], evidence_rows
            )
    return list(flags.values())


@dataclass
class Department:
    """One department's 体外循环 view for a period: every signal judged for it, flagged or
    not (flagged first, then in SIGNALS order)."""

    town_code: str
    town_name: str
    dept_name: str
    signals: list[Signal]

    @property
    def flagged(self) -> list[Signal]:
        return [s for s in self.signals if s.flagged]

    def signal(self, name: str) -> Signal | None:
        return next((s for s in self.signals if s.name == name), None)


def department(store: Store, params: Params, town_code: str, dept_name: str) -> Department | None:
    """The department's signals for the period, or None when none was judged (no case, no
    evaluation, not a stationed department) or the viewer may not see its town: the Store
    narrows the town to the viewer's own."""
    frame = signals(store, params, Scope((town_code,))).filter(pl.col("dept_name") == dept_name)
    if frame.is_empty():
        return None
    limits = thresholds()
    judged = [_signal(row, limits) for row in frame.iter_rows(named=True)]
    judged.sort(key=lambda s: (not s.flagged, SIGNALS.index(s.name)))
    return Department(town_code, frame["town_name"][0] or town_code, dept_name, judged)


def _pct(x: float | None) -> str:
    """Whole percent; never 100% unless all (99.6% of the cases is not every case)."""
    if x is None:
        return "—"
    return f"{min(x, 0.99) if x < 1 else x:.0%}"


def explain(row: dict[str, Any], limits: dict[str, Any] | None = None) -> str:
    """One line of Chinese for officials: what the signal found for this department (for a
    signal that is not flagged, the same facts)."""
    t = limits or thresholds()
    signal, value, hits, volume = row["signal"], row["value"], row["hits"], row["volume"]
    flagged = row.get("flagged", True)
    if signal == "late_entry":
        text = (
            f"{_pct(value)} 的办件({hits}/{volume} 件)在受理超过 {t['late_workdays']} 个工作日后"
            f"才录入平台"
        )
        if row.get("avg_late_lag") is not None:
            text += f",平均晚 {row['avg_late_lag']:.1f} 个工作日"
        return text
    if signal == "batch_entry":
        text = (
            f"{_pct(value)} 的办件({hits}/{volume} 件)在受理后成批补录:每批前后 5 分钟内录入"
            f" {math.ceil(row['burst_threshold'] or 0)} 件以上"
        )
        if hits:
            share_end = (row["batch_period_end"] or 0) / hits
            text += (
                f",单批最多 {row['max_burst']} 件,而平时约每 10 分钟 {row['normal_pace']:.1f} 件;"
                f"{_pct(share_end)} 在当周或当月的最后一个工作日录入"
            )
        return text
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
        head = (
            f"期间收到 {row['evaluations']} 条评价,其中 {hits} 条未对应平台上的办件"
            f"(未填办件编号或所填编号查无此件)"
        )
        if row["cases"] == 0:
            return head + ",平台却没有该部门的任何办件"
        if flagged:
            return (
                head + f",平台仅有 {row['cases']} 件办件(每件办件 {value:.0f} 条这样的评价,"
                "正常部门不足 1 条)"
            )
        return head + f",平台有 {row['cases']} 件办件(每件办件 {value:.1f} 条)"
    if signal == "stationed_silent":
        if row["cases"]:
            return f"应进驻部门,期间 {volume} 个工作日内平台有该部门的办件 {row['cases']} 件"
        tail = f",仅有 {row['evaluations']} 条评价" if row["evaluations"] else ""
        return f"应进驻部门,期间 {volume} 个工作日内平台没有该部门的办件{tail}"
    raise ValueError(f"unknown signal {signal!r}")


# --- the rule of each signal, in words for officials --------------------------------------
# docs/outside-system.zh.md explains the same rules at length; the page, the CSV and the PDF
# take their words from here.

PERIOD_RULE = "办件按受理日期、评价按评价日期计入统计期;只看已导入数据覆盖的日期。"

MEANINGS: dict[str, str] = {
    "late_entry": "办件在受理之后很久才录入平台,说明受理时并没有在平台上办,而是事后补录。",
    "batch_entry": (
        "办件不是随办随录,而是攒到一起、在几分钟内成批录入,常在当周或当月的最后一个工作日。"
    ),
    "instant_closure": (
        "承诺时限一个工作日以上的事项,本应经过审查、审批,却在受理后几分钟内就办结,"
        "说明办件实际已在线下办完,录入平台只是走个形式。"
    ),
    "missing_case_refs": (
        "群众对某个办件作了评价,评价里写明的办件编号在平台上却查无此件:业务确实办了,"
        "办件却没有进平台。"
    ),
    "evals_without_cases": (
        "窗口的评价器不断收到评价,说明窗口在办业务,平台上该部门的办件却很少或没有。"
    ),
    "stationed_silent": (
        "按要求应当进驻本乡镇(街道)便民服务中心的部门(部门名单中“应进驻”为“是”),"
        "统计期内平台上一件办件都没有。"
    ),
}

CLEARS: dict[str, str] = {
    "late_entry": (
        "办件在受理当天或下一个工作日录入平台(录入时间紧跟受理时间)。正常窗口现场受理、"
        "现场录入,录入时间与受理时间只差几分钟。"
    ),
    "batch_entry": (
        "办件在受理当天录入;或录入虽晚,但分散录入、没有成批出现。系统故障后的一次性补录"
        "也会触发本信号,此时请部门提供故障说明,并看录入时间是否与故障吻合。"
    ),
    "instant_closure": (
        "承诺件的办结时间反映真实的审查、审批过程(通常在受理之后的工作日)。如某类事项实际"
        "都能当场办结,应推动把它调整为即办件。"
    ),
    "missing_case_refs": (
        "评价所填的办件编号都能在平台办件中找到。如果是办件数据漏导(例如某个月的办件文件"
        "没有导入),补导入后提示会自动消失;请先确认导入是否完整。"
    ),
    "evals_without_cases": ("该部门的办件录入平台,评价能对应到平台上的办件,办件数与评价数相称。"),
    "stationed_silent": (
        "该部门在中心办理的业务录入平台,统计期内有办件。如该部门确实不需要进驻,应在部门"
        "名单中把“应进驻”改为“否”。"
    ),
}

# what the rows behind a signal are, as a list title ("…共 N 件")
COUNTED: dict[str, str] = {
    "late_entry": "延迟录入的办件",
    "batch_entry": "成批补录的办件",
    "instant_closure": "受理即办结的承诺件",
    "missing_case_refs": "所填办件编号查无此件的评价",
    "evals_without_cases": "未对应平台办件的评价",
    "stationed_silent": "本期该部门的办件",
}
UNITS: dict[str, str] = {
    "late_entry": "件",
    "batch_entry": "件",
    "instant_closure": "件",
    "missing_case_refs": "条",
    "evals_without_cases": "条",
    "stationed_silent": "件",
}


def rule(signal: str, limits: dict[str, Any] | None = None, row: dict | None = None) -> str:
    """The signal's rule in plain Chinese, with the thresholds in force (and, for batch
    entry, the department's own burst threshold when its signals row is given)."""
    t = limits or thresholds()
    least = t["min_volume"]
    if signal == "late_entry":
        return (
            f"录入日期晚于受理日期超过 {t['late_workdays']} 个工作日(受理当天录入记 0,"
            f"下一个工作日录入记 1,按法定节假日和调休计算)的办件算延迟录入;延迟录入占本期"
            f"受理办件的 {t['late_share']:.0%} 及以上即提示,本期至少 {least} 件办件才判断。"
        )
    if signal == "batch_entry":
        own = ""
        if row is not None and row.get("burst_threshold") is not None:
            own = (
                f"(本部门本期为 {math.ceil(row['burst_threshold'])} 件,平时约每 10 分钟 "
                f"{row['normal_pace']:.1f} 件)"
            )
        return (
            f"录入晚于受理至少 {max(t['batch_min_lag'], 1)} 个工作日,且它录入的前后 5 分钟内"
            f"本部门共录入至少 {t['batch_min_burst']} 件、并达到本部门平时节奏 "
            f"{t['batch_rate_ratio']:g} 倍{own}的办件算集中补录(平时节奏:本期办件平均分摊到"
            f"每个工作日 8 小时中,每 10 分钟的件数);集中补录占本期受理办件的 "
            f"{t['batch_share']:.0%} 及以上即提示,本期至少 {least} 件办件才判断。"
            "“当周或当月的最后一个工作日”指下一个工作日已属于下一周(周一至周日)或下一个月"
            "的工作日,通常是周五或月末最后一个工作日。"
        )
    if signal == "instant_closure":
        return (
            f"只看状态为“办结”、承诺时限 {max(t['instant_min_promised'], 1)} 个工作日及以上的"
            f"办件(即办件、不予受理、撤回不在此列);办结时间在受理后 "
            f"{min(t['instant_minutes'], 120)} 分钟以内的算受理即办结;占上述办件的 "
            f"{t['instant_share']:.0%} 及以上即提示,至少 {least} 件才判断。"
        )
    if signal == "missing_case_refs":
        return (
            f"本期该部门填写了办件编号的评价中,所填编号不在已导入办件中的占 "
            f"{t['missing_share']:.0%} 及以上即提示,至少 {least} 条填写了编号的评价才判断。"
            f"数据起始日期后 {t['missing_grace_days']} 天内的评价不判断(它们可能评价的是数据"
            "起始前受理的办件);12345 工单不带办件编号,不参与本信号。"
        )
    if signal == "evals_without_cases":
        return (
            "本期该部门未对应平台办件的评价(未填办件编号,或所填编号查无此件)条数 ÷ 本期办件"
            f"件数(没有办件时按 1 件算)达到 {t['ewc_ratio']:g} 及以上,且这类评价至少 "
            f"{least} 条即提示。所填编号能在平台上找到的评价说明办件在平台上,不计入。"
            "正常部门每件办件不到 1 条这类评价。"
        )
    if signal == "stationed_silent":
        return (
            f"应进驻部门本期办件不超过 {t['silent_max_cases']} 件即提示。统计期(在已导入数据"
            f"范围内)至少 {t['silent_min_workdays']} 个工作日才判断;该乡镇本期须有其他办件"
            "(全镇都没有办件说明数据缺失);已被“有评价无办件”提示的部门不重复提示。"
        )
    raise ValueError(f"unknown signal {signal!r}")


def value_text(s: Signal) -> str:
    """The signal's value as officials read it."""
    if s.name == "evals_without_cases":
        return f"每件办件 {s.value:.1f} 条"
    if s.name == "stationed_silent":
        return f"{s.value:.0f} 件办件"
    return _pct(s.value)


def threshold_text(s: Signal) -> str:
    if s.name == "evals_without_cases":
        return f"≥ {s.threshold:g} 条"
    if s.name == "stationed_silent":
        return f"≤ {s.threshold:.0f} 件"
    return f"≥ {s.threshold:.0%}"


def volume_text(s: Signal) -> str:
    """What the value was computed over."""
    f = s.figures
    if s.name in ("late_entry", "batch_entry"):
        return f"本期受理办件 {s.volume:,} 件"
    if s.name == "instant_closure":
        least = max(thresholds()["instant_min_promised"], 1)
        return f"已办结的承诺件(承诺时限 {least} 个工作日及以上){s.volume:,} 件"
    if s.name == "missing_case_refs":
        return f"填写了办件编号的评价 {s.volume:,} 条"
    if s.name == "evals_without_cases":
        return f"本期评价 {s.volume:,} 条,本期办件 {f.get('cases', 0):,} 件"
    return f"本期 {s.volume} 个工作日(在已导入数据范围内)"


# --- evidence: the rows a signal counted ---------------------------------------------------

# Field → Chinese header, for the page, the CSV and the PDF.
FIELD_LABELS: dict[str, str] = {
    "town_name": "乡镇(街道)",
    "dept_name": "部门",
    "case_id": "办件编号",
    "item_name": "事项",
    "channel": "申报方式",
    "status": "办件状态",
    "promised_days": "承诺时限(工作日)",
    "accepted_at": "受理时间",
    "recorded_at": "录入时间",
    "completed_at": "办结时间",
    "entry_lag": "录入晚于受理(工作日)",
    "burst": "前后5分钟内本部门录入(件)",
    "recorded_period_end": "录入日为当周/当月最后一个工作日",
    "close_minutes": "受理到办结(分钟)",
    "eval_id": "评价编号",
    "named_case_id": "评价所填办件编号",
    "reference": "平台中的办件",
    "eval_channel": "评价渠道",
    "rated_at": "评价时间",
    "rating": "评价等级",
}
REFERENCE_WORDS = {"none": "未填办件编号", "missing": "平台查无此件"}
RATING_WORDS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

# The order the rows come in unless the viewer sorts: the most telling first; the record id
# last, so that pages of a long list never overlap.
_ORDER: dict[str, tuple[tuple[str, bool], ...]] = {
    "late_entry": (("entry_lag", True), ("accepted_at", False), ("case_id", False)),
    "batch_entry": (("burst", True), ("recorded_at", False), ("case_id", False)),
    "instant_closure": (
        ("promised_days", True),
        ("close_minutes", False),
        ("accepted_at", False),
        ("case_id", False),
    ),
    "missing_case_refs": (("rated_at", False), ("eval_id", False)),
    "evals_without_cases": (("rated_at", False), ("eval_id", False)),
    "stationed_silent": (("accepted_at", True), ("case_id", False)),
}
_FIELDS: dict[str, tuple[str, ...]] = {
    "late_entry": (
        "case_id",
        "item_name",
        "channel",
        "status",
        "accepted_at",
        "recorded_at",
        "entry_lag",
    ),
    "batch_entry": (
        "case_id",
        "item_name",
        "channel",
        "accepted_at",
        "recorded_at",
        "entry_lag",
        "burst",
        "recorded_period_end",
    ),
    "instant_closure": (
        "case_id",
        "item_name",
        "channel",
        "promised_days",
        "status",
        "accepted_at",
        "completed_at",
        "close_minutes",
    ),
    "missing_case_refs": (
        "eval_id",
        "named_case_id",
        "reference",
        "eval_channel",
        "rated_at",
        "rating",
    ),
    "evals_without_cases": (
        "eval_id",
        "named_case_id",
        "reference",
        "eval_channel",
        "rated_at",
        "rating",
    ),
    "stationed_silent": ("case_id", "item_name", "channel", "status", "accepted_at", "recorded_at"),
}


def evidence_fields(signal: str) -> tuple[str, ...]:
    """The columns of a signal's evidence rows: those that prove the claim row by row."""
    _check(signal)
    return _FIELDS[signal]


def _check(signal: str) -> None:
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; known: {', '.join(SIGNALS)}")


def _evidence_sql(
    store: Store, params: Params, town_code: str, dept_name: str, signal: str
) -> tuple[str, dict[str, Any]]:
    """The query file that IS the signal's list of counted rows, and its parameters."""
    _check(signal)
    text, _ = query_text(f"outside__{signal}")
    values: dict[str, Any] = {
        "date_from": params.date_from,
        "date_to": params.date_to,
        "town": town_code,
        "dept": dept_name,
        **thresholds(),
    }
    if signal == "batch_entry":  # the department's own burst threshold for the period
        row = signals(store, params, Scope((town_code,))).filter(
            (pl.col("dept_name") == dept_name) & (pl.col("signal") == signal)
        )
        values["burst_threshold"] = row["burst_threshold"][0] if row.height else None
    return text.rstrip() + "\n", values


def evidence(
    store: Store,
    params: Params,
    town_code: str,
    dept_name: str,
    signal: str,
    limit: int | None = 20,
    offset: int = 0,
    sort: tuple[str, bool] | None = None,
) -> pl.DataFrame:
    """The rows a department's signal counted for the period — exactly `hits` of them in
    all (evidence_count) — `limit` at a time from `offset` (None: all), most telling first or
    by `sort` = (field, descending) when the field is one of evidence_fields(signal). Each
    row carries the columns that prove it: the entry lag, the burst, the minutes to
    closure, the 办件编号 an evaluation names and whether the platform has it."""
    text, values = _evidence_sql(store, params, town_code, dept_name, signal)
    sql = f"select * from (\n{text}) evidence order by {_order(signal, sort)}"
    if limit is not None:
        sql += " limit $limit offset $offset"
        values["limit"], values["offset"] = max(0, int(limit)), max(0, int(offset))
    return store.sql(sql, values, scope=Scope((town_code,)))


def evidence_count(
    store: Store, params: Params, town_code: str, dept_name: str, signal: str
) -> int:
    """How many rows evidence() lists in all: the signal's `hits`, from the same query."""
    text, values = _evidence_sql(store, params, town_code, dept_name, signal)
    frame = store.sql(
        f"select count(*) as n from (\n{text}) evidence", values, scope=Scope((town_code,))
    )
    return int(frame["n"][0])


def evidence_stream(
    store: Store, params: Params, town_code: str, dept_name: str, signal: str, batch_rows: int
):
    """Every evidence row in the default order, batch by batch (exports): (cursor, reader)
    as Store.stream gives them; close the cursor when done."""
    text, values = _evidence_sql(store, params, town_code, dept_name, signal)
    fields = ", ".join(_FIELDS[signal])
    sql = f"select {fields} from (\n{text}) evidence order by {_order(signal, None)}"
    return store.stream(sql, values, scope=Scope((town_code,)), batch_rows=batch_rows)


def sortable(signal: str) -> tuple[str, ...]:
    return evidence_fields(signal)


def _order(signal: str, sort: tuple[str, bool] | None) -> str:
    """ORDER BY from the code's own field names: a requested field only selects one."""
    default = _ORDER[signal]
    if sort is not None and sort[0] in _FIELDS[signal]:
        key = _ORDER[signal][-1][0]  # the record id breaks ties
        chosen = ((sort[0], bool(sort[1])), (key, False))
    else:
        chosen = default
    return ", ".join(f"{f} {'desc' if d else 'asc'} nulls last" for f, d in chosen)


def window(store: Store, params: Params, town_code: str, dept_name: str) -> dict | None:
    """The department's window (应进未进's evidence): must it be stationed, its latest case
    ever, its evaluations and its town's cases in the period. None if not listed."""
    frame = store.query(
        "outside__window",
        scope=Scope((town_code,)),
        date_from=params.date_from,
        date_to=params.date_to,
        town=town_code,
        dept=dept_name,
    )
    return frame.row(0, named=True) if frame.height else None


def display_value(field_name: str, value: Any) -> str:
    """A cell of an evidence row as text (page, CSV, PDF): times to the second, yes/no,
    rating and reference in words. Data text stays text: it is never markup."""
    if value is None:
        return ""
    if field_name == "reference":
        return REFERENCE_WORDS.get(value, str(value))
    if field_name == "rating" and isinstance(value, int):
        return RATING_WORDS.get(value, str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def display_rows(frame: pl.DataFrame) -> list[dict[str, str]]:
    """Evidence rows with every cell as display_value gives it."""
    return [{c: display_value(c, v) for c, v in row.items()} for row in frame.iter_rows(named=True)]


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
    elif by == "counties":  # a town's county: digits 1-6 of its code (issue 18)
        flagged = flagged.with_columns(pl.col("town_code").str.slice(0, 6).alias("county_code"))
        keys = ["county_code", *by_period]
        name = pl.concat_str("town_name", pl.lit("·"), "dept_name")
    else:
        keys, name = by_period, pl.concat_str("town_name", pl.lit("·"), "dept_name")
    names = name.sort().str.join(";").alias("outside_system_depts")
    if not keys:
        joined = flagged.select(names)["outside_system_depts"][0] if flagged.height else None
        return frame.with_columns(pl.lit(joined, pl.String).alias("outside_system_depts"))
    listed = flagged.group_by(keys).agg(names)
    return frame.join(listed, on=keys, how="left")
