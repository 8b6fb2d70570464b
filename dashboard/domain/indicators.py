"""The indicator registry: one declaration per figure (contract §7).

An `Indicator` says what a figure is — its Chinese label, kind and unit, the counts of
`indicator_counts` (etl/sql/marts/01_indicators.sql) it is formed from, which direction is
better, its target setting, whether it is a count at a moment, the rows behind it, and the
text of its documentation. Everything else follows from it:

- the figure lines of the metrics SQL (`select_sql`, used by domain/metrics.py);
- labels, number formats and red/amber/green (components/format.py, `judge` here);
- drill-down to the rows (domain/trace.py reads `trace`);
- docs/indicators.md (`python -m dashboard.domain.indicators`, tested to match).

A new indicator is its flag in SQL (etl/sql/flags/01_records.sql, counted in
etl/sql/marts/01_indicators.sql) plus one `Indicator(...)` below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from etl import settings

Kind = Literal["count", "rate", "names"]
Better = Literal["higher", "lower"] | None
Status = Literal["green", "amber", "red", "none"]

# --- the rows behind a figure ---------------------------------------------------------------

# flag macros (etl/sql/flags/01_records.sql) with the parameters every call binds
CASE_FLAGS = "case_flags($as_of, $online_channels, $horizon)"
EVAL_FLAGS = "eval_flags($as_of, $satisfied_rating, $rectify_days)"
TICKET_FLAGS = "ticket_flags($as_of)"
# the same flags over the small subsets the loader keeps (open cases, bad reviews, open
# tickets): lists of open or bad records never scan the fact tables
OPEN_CASE_FLAGS = "case_flags($as_of, $online_channels, $horizon, src := 'open_cases')"
BAD_EVAL_FLAGS = "eval_flags($as_of, $satisfied_rating, $rectify_days, src := 'bad_reviews')"
OPEN_TICKET_FLAGS = "ticket_flags($as_of, src := 'open_tickets')"

CASE_FIELDS = (
    "case_id",
    "town_code",
    "dept_name",
    "item_name",
    "channel",
    "accepted_at",
    "promised_days",
    "deadline_at",
    "completed_at",
    "status",
    "recorded_at",
)
# the figures of contract §7 built on the optional columns (§3a) list the columns they read
# after the case's own (the sixth field stays the time the rows are ordered by)
WINDOW_FIELDS = ("window_name", "window_type")
EVAL_FIELDS = (
    "eval_id",
    "case_id",
    "town_code",
    "dept_name",
    "eval_channel",
    "rated_at",
    "rating",
    "rectify_status",
    "rectified_at",
    "rectify_deadline_at",
)
TICKET_FIELDS = (
    "ticket_id",
    "town_code",
    "dept_name",
    "request_type",
    "topic",
    "received_at",
    "due_at",
    "completed_at",
    "status",
    "satisfaction",
)


@dataclass(frozen=True)
class Trace:
    """The rows a figure counts: a flag macro, the flag selecting the counted rows (None:
    every row of the period), for a rate the flag of its numerator, the record id and the
    fields listed (the sixth is the time the rows are ordered by)."""

    flags: str
    rows: str | None
    numerator: str | None = None
    id_column: str = "case_id"
    fields: tuple[str, ...] = CASE_FIELDS


def _cases(
    rows: str | None,
    numerator: str | None = None,
    flags: str = CASE_FLAGS,
    extra: tuple[str, ...] = (),
) -> Trace:
    return Trace(flags, rows, numerator, "case_id", (*CASE_FIELDS, *extra))


def _evals(rows: str | None, numerator: str | None = None, flags: str = EVAL_FLAGS) -> Trace:
    return Trace(flags, rows, numerator, "eval_id", EVAL_FIELDS)


def _tickets(rows: str | None, numerator: str | None = None, flags: str = TICKET_FLAGS) -> Trace:
    return Trace(flags, rows, numerator, "ticket_id", TICKET_FIELDS)


# --- the declaration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str  # as officials read it
    kind: Kind
    doc: str  # the definition, for docs/indicators.md
    count: str | None = None  # kind count: the column of indicator_counts summed
    numerator: str | None = None  # kind rate: numerator / denominator columns
    denominator: str | None = None
    unit: str = ""  # 件, 条, 个 … (rates: %)
    better: Better = None  # which direction is better (None: neither, e.g. volume)
    target: str | None = None  # the setting holding its target (rates)
    moment: bool = False  # a count at a moment (open work at as_of), not over the period
    trace: Trace | None = None  # the rows behind it (None: no drill-down)
    listed: bool = True  # a column of `pulse metrics` (contract §7's list)
    source: Literal["metrics", "query"] = "metrics"  # formed in metrics SQL, or a page query
    fields: tuple[str, ...] = field(default=())  # extra detail, unused by the SQL
    # Contract §3a/§7: a figure read from an optional column. `known` is the count column
    # whose zero for a town and period means the column is absent there: the figure is
    # empty (无数据), never 0. `optional`: shown only where the county has the data
    # (domain/coverage.py), and an empty value reads 无数据.
    known: str | None = None
    optional: bool = False

    @property
    def is_rate(self) -> bool:
        return self.kind == "rate"

    @property
    def drillable(self) -> bool:
        return self.trace is not None

    @property
    def presence(self) -> str | None:
        """The count column that says whether there is any data for the figure at all: its
        known-count, else its denominator or its count."""
        return self.known or self.denominator or self.count


REGISTRY: tuple[Indicator, ...] = (
    Indicator(
        "cases",
        "办件量",
        "count",
        "受理日期在期间内的办件(所有状态)。",
        count="cases",
        unit="件",
        trace=_cases(None),
    ),
    Indicator(
        "online_cases",
        "网办件数",
        "count",
        "其中申报方式为网上办理或掌上办理的办件。",
        count="online_cases",
        unit="件",
        trace=_cases("is_online"),
    ),
    Indicator(
        "online_rate",
        "网办率",
        "rate",
        "网办件数 / 办件量(按申报方式的办件口径,不是全程网办率)。",
        numerator="online_cases",
        denominator="cases",
        better="higher",
        target="targets.online_rate",
        trace=_cases(None, "is_online"),
    ),
    Indicator(
        "completed",
        "办结量",
        "count",
        "期间受理的办件中已有办结时间的。",
        count="completed",
        unit="件",
        trace=_cases("is_completed"),
    ),
    Indicator(
        "on_time_rate",
        "按时办结率",
        "rate",
        "办结时间不晚于办理期限的办结件 / 办结量。期限为受理日后第(承诺时限)个工作日 24:00。",
        numerator="on_time",
        denominator="completed",
        better="higher",
        target="targets.on_time_rate",
        trace=_cases("is_completed", "is_on_time"),
    ),
    Indicator(
        "overdue_completed",
        "超期办结",
        "count",
        "办结时间晚于办理期限的办结件。",
        count="overdue_completed",
        unit="件",
        better="lower",
        trace=_cases("is_overdue_completed"),
    ),
    Indicator(
        "overdue_open",
        "超期未办结",
        "count",
        "期间受理、状态为在办且无办结时间、数据截至时已过办理期限的办件(某一时刻的存量)。",
        count="overdue_open",
        unit="件",
        better="lower",
        moment=True,
        trace=_cases("is_overdue_open", flags=OPEN_CASE_FLAGS),
    ),
    Indicator(
        "warning_open",
        "超时预警",
        "count",
        "在办、尚未超期、办理期限在数据截至日后第一个工作日当日或之前的办件(某一时刻的存量)。",
        count="warning_open",
        unit="件",
        better="lower",
        moment=True,
        trace=_cases("is_warning_open", flags=OPEN_CASE_FLAGS),
    ),
    Indicator(
        "evaluations",
        "评价数",
        "count",
        "评价时间在期间内的好差评评价。",
        count="evaluations",
        unit="条",
        trace=_evals(None),
    ),
    Indicator(
        "satisfaction_rate",
        "满意度",
        "rate",
        "评价等级为基本满意及以上的评价 / 评价数(好评率)。",
        numerator="satisfied",
        denominator="evaluations",
        better="higher",
        target="targets.satisfaction_rate",
        trace=_evals(None, "is_satisfied"),
    ),
    Indicator(
        "bad_reviews",
        "差评数",
        "count",
        "评价等级为不满意或非常不满意的评价。",
        count="bad_reviews",
        unit="条",
        better="lower",
        trace=_evals("is_bad", flags=BAD_EVAL_FLAGS),
    ),
    Indicator(
        "rectify_rate",
        "差评整改率",
        "rate",
        "整改状态为已整改的差评 / 差评数。",
        numerator="rectified",
        denominator="bad_reviews",
        better="higher",
        target="targets.rectify_rate",
        trace=_evals("is_bad", "is_rectified", BAD_EVAL_FLAGS),
    ),
    Indicator(
        "evaluation_rate",
        "评价率",
        "rate",
        "期间办结件中至少有一条评价按办件编号对应的 / 办结量(主动评价率)。",
        numerator="evaluated",
        denominator="completed",
        better="higher",
        target="targets.evaluation_rate",
        trace=_cases("is_completed", "is_evaluated"),
    ),
    Indicator(
        "rectify_overdue",
        "差评整改超期",
        "count",
        "期间差评中已过整改期限(评价日后第 rectify_deadline_days 个工作日)仍未整改,"
        "或整改晚于期限的。",
        count="rectify_overdue",
        unit="条",
        better="lower",
        listed=False,
        trace=_evals("is_rectify_overdue", flags=BAD_EVAL_FLAGS),
    ),
    Indicator(
        "hotline_tickets",
        "12345工单",
        "count",
        "来电时间在期间内的 12345 工单。",
        count="hotline_tickets",
        unit="件",
        trace=_tickets(None),
    ),
    Indicator(
        "hotline_satisfaction_rate",
        "12345满意率",
        "rate",
        "(满意 + 基本满意) / (满意 + 基本满意 + 不满意),未评价的工单不计。",
        numerator="hotline_satisfied",
        denominator="hotline_rated",
        better="higher",
        target="targets.hotline_satisfaction_rate",
        trace=_tickets("is_rated", "is_satisfied"),
    ),
    Indicator(
        "hotline_on_time_rate",
        "12345按时办结率",
        "rate",
        "办结时间不晚于办理时限的工单 / 已办结工单。",
        numerator="hotline_on_time",
        denominator="hotline_completed",
        better="higher",
        target="targets.hotline_on_time_rate",
        trace=_tickets("is_completed", "is_on_time"),
    ),
    Indicator(
        "hotline_overdue_open",
        "12345超期未办结",
        "count",
        "期间工单中未办结、未退单且数据截至时已过办理时限的(某一时刻的存量)。",
        count="hotline_overdue_open",
        unit="件",
        better="lower",
        moment=True,
        trace=_tickets("is_overdue_open", flags=OPEN_TICKET_FLAGS),
    ),
    # contract §7 figures from the optional case columns (§3a); 无数据 where a town's files
    # lack the column (its known-count is 0), never 0
    Indicator(
        "onsite_rate",
        "现场办结率",
        "rate",
        "办结的窗口办理、帮办代办办件中「是否现场办结」为是的 / 其中填写了是否现场办结的"
        "(未填写的不计;本期无填写的为无数据)。",
        numerator="onsite_cases",
        denominator="onsite_known",
        better="higher",
        target="targets.onsite_rate",
        trace=_cases("is_onsite_known", "is_onsite", extra=(*WINDOW_FIELDS, "onsite_completed")),
        known="onsite_known",
        optional=True,
    ),
    Indicator(
        "early_rate",
        "承诺件提前办结率",
        "rate",
        "办结的承诺件(办件类型为承诺件;无办件类型时承诺时限 ≥ 1 个工作日)中,办结日期早于"
        "办理期限日期的 / 办结的承诺件。期限含特别程序天数。",
        numerator="early_completed",
        denominator="commitment_completed",
        better="higher",
        target="targets.early_rate",
        trace=_cases(
            "is_commitment_completed",
            "is_early_completed",
            extra=(*WINDOW_FIELDS, "case_type", "paused_days"),
        ),
        optional=True,
    ),
    Indicator(
        "one_window_rate",
        "一窗通办率",
        "rate",
        "窗口办理的办件中窗口类型为综合窗口的 / 其中填写了窗口类型的(本期无填写的为无数据)。",
        numerator="one_window_cases",
        denominator="window_type_known",
        better="higher",
        target="targets.one_window_rate",
        trace=_cases("is_window_type_known", "is_one_window", extra=WINDOW_FIELDS),
        known="window_type_known",
        optional=True,
    ),
    Indicator(
        "cross_province_cases",
        "跨省通办件数",
        "count",
        "「是否跨省通办」为是的办件(该乡镇本期办件均无此列时为无数据)。",
        count="cross_province_cases",
        unit="件",
        trace=_cases("is_cross_province", extra=(*WINDOW_FIELDS, "cross_province")),
        known="cross_province_known",
        optional=True,
    ),
    Indicator(
        "bundle_cases",
        "一件事办件数",
        "count",
        "填写了一件事主题的办件(该乡镇本期导出文件均无一件事主题列时为无数据)。",
        count="bundle_cases",
        unit="件",
        trace=_cases("is_bundle", extra=(*WINDOW_FIELDS, "bundle_theme")),
        known="bundle_known",
        optional=True,
    ),
    Indicator(
        "assisted_cases",
        "帮办代办件数",
        "count",
        "申报方式为帮办代办的办件(含村级代办点受理的)。",
        count="assisted_cases",
        unit="件",
        trace=_cases("is_assisted", extra=(*WINDOW_FIELDS, "village")),
        optional=True,
    ),
    Indicator(
        "outside_system_depts",
        "体外循环部门",
        "names",
        "期间被体外循环检测标记的部门(见 docs/outside-system.zh.md)。",
        better="lower",
    ),
    # the 12345 page's own figures (dashboard/queries/hotline__*.sql)
    Indicator(
        "hotline_resolution_rate",
        "12345解决率",
        "rate",
        "是否解决为「是」的工单 / 填写了是否解决的工单。",
        better="higher",
        listed=False,
        source="query",
    ),
    Indicator(
        "hotline_repeat_callers",
        "重复来电人数",
        "count",
        "期间有重复来电(同一号码 30 天内就同一乡镇再次来电)的来电人数。",
        unit="人",
        better="lower",
        listed=False,
        source="query",
    ),
    Indicator(
        "hotline_repeat_calls",
        "重复来电",
        "count",
        "期间的重复来电工单数。",
        unit="件",
        better="lower",
        listed=False,
        source="query",
    ),
)

BY_KEY: dict[str, Indicator] = {i.key: i for i in REGISTRY}

# Column order wherever indicators are listed (contract §7: evaluation_rate after rectify_rate).
LISTED: tuple[str, ...] = tuple(i.key for i in REGISTRY if i.listed)
# Every figure metrics() forms (the listed ones, then the others of the metrics SQL).
FORMED: tuple[str, ...] = (
    *LISTED,
    *(i.key for i in REGISTRY if not i.listed and i.source == "metrics"),
)
RATES = frozenset(i.key for i in REGISTRY if i.is_rate)
# contract §7 figures from optional columns, shown where the county has the data
OPTIONAL: tuple[str, ...] = tuple(i.key for i in REGISTRY if i.optional)
TRACED = tuple(i.key for i in REGISTRY if i.drillable)
# The headline figures, in order: the KPI cards of 总览, 市级看板 and the weekly report.
HEADLINE: tuple[str, ...] = (
    "cases",
    "online_rate",
    "satisfaction_rate",
    "evaluation_rate",
    "on_time_rate",
    "overdue_open",
    "warning_open",
    "hotline_satisfaction_rate",
    "rectify_rate",
)
# What 总览 and 市级看板 rank towns or counties by, the default first.
RANKABLE: tuple[str, ...] = (
    "online_rate",
    "satisfaction_rate",
    "on_time_rate",
    "evaluation_rate",
    "rectify_rate",
    "hotline_satisfaction_rate",
    "cases",
    "overdue_open",
)


def get(key: str) -> Indicator:
    try:
        return BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown indicator {key!r}; known: {', '.join(BY_KEY)}") from None


def label(key: str) -> str:
    return BY_KEY[key].label if key in BY_KEY else key


# --- the figure lines of the metrics SQL ----------------------------------------------------


def select_sql(keys: Iterable[str] = FORMED) -> str:
    """`sum(...) as key` for each figure formed in SQL: counts summed (0 when none), rates
    as numerator / denominator with a zero denominator giving NULL (contract §7)."""
    lines = []
    for key in keys:
        i = BY_KEY[key]
        if i.kind == "count" and i.count and i.known:
            # the column absent for the rows (known-count 0): no value (无数据), never 0
            lines.append(
                f"(case when sum({i.known}) > 0 then coalesce(sum({i.count}), 0) end)::bigint"
                f" as {i.key}"
            )
        elif i.kind == "count" and i.count:
            lines.append(f"coalesce(sum({i.count}), 0)::bigint as {i.key}")
        elif i.kind == "rate" and i.numerator and i.denominator:
            lines.append(f"sum({i.numerator}) / nullif(sum({i.denominator}), 0) as {i.key}")
    return ",\n    ".join(lines)


# --- judgments: target and colour -----------------------------------------------------------


def target(key: str) -> float | None:
    """The figure's target from its setting, or None."""
    i = BY_KEY.get(key)
    if i is None or not i.target:
        return None
    goal = settings.get(i.target)
    return None if goal is None or goal == "" else float(goal)


def judge(key: str, value: float | int | str | None) -> Status:
    """Red/amber/green: a rate against its target (amber within targets.amber_margin below
    it), a count where fewer is better against zero; otherwise none."""
    if value is None:
        return "none"
    i = BY_KEY.get(key)
    if i is None:
        return "none"
    if i.better == "lower" and i.kind != "names":
        return "green" if value == 0 else "red"
    goal = target(key)
    if goal is None or isinstance(value, str):
        return "none"
    if value >= goal - 1e-12:
        return "green"
    return "amber" if value >= goal - float(settings.get("targets.amber_margin")) else "red"


def improved(key: str, now, before) -> bool | None:
    """Did the figure get better (None: equal, unknown, or neither direction is better)?"""
    i = BY_KEY.get(key)
    if i is None or i.better is None or now is None or before is None or now == before:
        return None
    higher = now > before
    return higher if i.better == "higher" else not higher


# --- docs ---------------------------------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"

_HEAD = """# 指标 · Indicators

Every figure of the product, as declared once in `dashboard/domain/indicators.py` (contract
§7). This page is generated from that registry by `python -m dashboard.domain.indicators`;
a test fails when they differ. Kinds: 计数 count, 比率 rate (a zero denominator gives no
value, never 0 or 100%), 名单 names. 存量: a count at a moment (open work at 数据截至),
not a total over the period. 可选列: a figure read from an optional case column (contract
§3a): 无数据 where a town's files lack the column (its known-count, in brackets, is 0), never 0;
pages, the PDF and the wall show it only where the county has the data.

| 指标 | key | 类型 | 计算 | 方向 | 目标 | 明细 |
|---|---|---|---|---|---|---|
"""


def render_doc() -> str:
    kinds = {"count": "计数", "rate": "比率", "names": "名单"}
    rows = []
    for i in REGISTRY:
        kind = kinds[i.kind] + (" · 存量" if i.moment else "") + (" · 可选列" if i.optional else "")
        if i.kind == "rate" and i.numerator:
            formed = f"`{i.numerator}` / `{i.denominator}`"
        elif i.count:
            formed = f"`{i.count}`" + (f"(`{i.known}`)" if i.known else "")
        else:
            formed = "页面查询" if i.source == "query" else "体外循环检测"
        better = {"higher": "越高越好", "lower": "越低越好"}.get(i.better or "", "—")
        goal = f"`{i.target}`" if i.target else "—"
        drill = "可查看明细" if i.drillable else "—"
        rows.append(f"| {i.label} | `{i.key}` | {kind} | {formed} | {better} | {goal} | {drill} |")
    defs = "\n".join(f"- **{i.label}** (`{i.key}`): {i.doc}" for i in REGISTRY)
    return _HEAD + "\n".join(rows) + "\n\n## 定义\n\n" + defs + "\n"


if __name__ == "__main__":
    DOC.write_text(render_doc(), encoding="utf-8")
