"""Demo county generator: a year of a fictional county's exports, in the contract's formats.

`generate()` writes what the county's source systems would hand over: towns.csv and
departments.csv, one 办件 file per month (CSV alternating GBK and UTF-8, the newest month as
.xlsx), quarterly 12345 files (UTF-8 with BOM, tab separated) and monthly 好差评 files
(UTF-8, comma). Each export carries the title rows real platforms put above the header.

Files (names are this generator's; the loader recognises sources by their headers):
towns.csv, departments.csv; cases_YYYY-MM.csv (GBK with CRLF and 乡镇（街道） in full-width
brackets for even file indexes, UTF-8 for odd) and cases_YYYY-MM.xlsx for the newest month
(and the month before when the newest has less than a week of data; timestamps are Excel
date-time cells there, 承诺时限 a number cell); evaluations_YYYY-MM.csv; hotline_YYYYQn.csv.
Every file covering a month or quarter of the 365 days is written, empty or not. Timestamps
are mostly `2026-11-03 09:15:22`; some files and some rows use `2026/11/3 9:15:22` or
`2026年11月3日 09:15`. Some files name towns by name, others by code. Files of an earlier
run in the output folder (by these names) are removed first.

Everything is drawn with numpy and formatted with polars, one array per column: there is
no Python loop per row (the .xlsx writer, which is row-based by nature, is the exception).
The same (seed, scale, end) gives byte-identical files.

Ground truth for tests and benchmarks:

- `PLANTED`: departments that handle cases outside the platform (体外循环) and the signal
  each one shows. Ordinary departments show none of these signals: their cases are entered
  within minutes of acceptance, completions take realistic time, evaluations name real
  cases, and every department that must be stationed (应进驻=是) has cases.
- `PLANTED_BAD_ROWS_BY_SOURCE` / `PLANTED_BAD_ROWS`: rows that a correct loader rejects,
  by reason code. `PLANTED_DUPLICATES` rows repeat an earlier row byte for byte;
  `PLANTED_UPDATES` rows are a newer version (status 在办 → 办结) of a case first written
  in the previous month's file. The counts are fixed, whatever the seed or scale.

Where the bad rows are (file index counts from the first file of the source, oldest first):

- 办件 file 1: unknown_town ×2, bad_timestamp ×2 (受理时间, 录入时间), negative_promised_days
  ×1, bad_number ×1 (承诺时限 '五'), and one row repeated later in the same file.
- 办件 file 2: completed_before_accepted ×2, invalid_value ×2 (申报方式, 办件状态),
  missing_required ×2 (事项编码, 受理部门), and one row of file 1 repeated.
- 办件 files 3 → 4: three cases written as 在办 in file 3 and as 办结 in file 4.
- 12345 file 1: due_before_received ×2, bad_timestamp ×1, invalid_value ×1 (诉求类型), one
  repeated row.
- 好差评 file 2: invalid_value ×1 (评价等级), missing_required ×1 (评价部门), unknown_town
  ×1, bad_timestamp ×1, one repeated row.

`DemoSummary.counts` gives the records a correct load stores (distinct valid ids);
`DemoSummary.rows_written` the data rows in the files, bad and repeated rows included.
"""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from etl.sources import cases as cases_source
from etl.sources import evaluations as evaluations_source
from etl.sources import hotline as hotline_source

COUNTY_CODE = "339901"
COUNTY_NAME = "示范县"

_EPOCH = date(1970, 1, 1)
_DAY = 86_400
_NONE = -1  # "no timestamp" in the int64 second arrays
CASES_PER_YEAR = 850_000  # at scale 1
TICKETS_PER_YEAR = 60_000  # at scale 1


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class _Town:
    code3: str
    name: str
    kind: str  # 乡 / 镇 / 街道
    row: int
    col: int
    weight: float  # share of the county's cases
    online_rate: float  # share of cases applied for online
    eval_rate: float  # share of completed cases that get an evaluation
    satisfaction: float  # share of evaluations rated 3 or better
    overdue_rate: float  # share of cases with a deadline completed late

    @property
    def code(self) -> str:
        return f"{COUNTY_CODE}{self.code3}000"


# Street offices 001-099, towns 100-199, townships 200-: as in statistical division codes.
# The tile map (4 rows x 5 columns) puts the mountain townships in the north.
_TOWNS: tuple[_Town, ...] = (
    _Town("001", "城关街道", "街道", 1, 2, 16, 0.92, 0.88, 0.990, 0.004),
    _Town("002", "东城街道", "街道", 1, 3, 11, 0.85, 0.86, 0.980, 0.006),
    _Town("003", "凤鸣街道", "街道", 1, 1, 9, 0.80, 0.85, 0.975, 0.008),
    _Town("100", "青石镇", "镇", 1, 0, 7, 0.70, 0.83, 0.970, 0.010),
    _Town("101", "白沙镇", "镇", 2, 1, 7, 0.62, 0.80, 0.950, 0.020),
    _Town("102", "柳溪镇", "镇", 2, 0, 6, 0.55, 0.78, 0.960, 0.012),
    _Town("103", "桃源镇", "镇", 2, 2, 6, 0.48, 0.84, 0.985, 0.005),
    _Town("104", "双河镇", "镇", 1, 4, 7, 0.42, 0.81, 0.965, 0.015),
    _Town("105", "龙泉镇", "镇", 2, 3, 8, 0.36, 0.79, 0.940, 0.018),
    _Town("106", "松岗镇", "镇", 3, 2, 6, 0.30, 0.76, 0.955, 0.012),
    _Town("200", "石门乡", "乡", 0, 3, 5, 0.24, 0.74, 0.935, 0.025),
    _Town("201", "云岭乡", "乡", 0, 1, 4, 0.19, 0.72, 0.925, 0.030),
    _Town("202", "高坪乡", "乡", 0, 2, 4, 0.15, 0.75, 0.930, 0.022),
)
TOWN_CODES: tuple[str, ...] = tuple(t.code for t in _TOWNS)
TOWN_NAMES: tuple[str, ...] = tuple(t.name for t in _TOWNS)

# fmt: off
DEPARTMENTS: tuple[str, ...] = (
    "社保", "医保", "民政", "农业农村", "自然资源", "退役军人", "市场监管", "卫健", "司法",
    "村镇建设",
)
# fmt: on
# Share of a town centre's cases by department, before the town-type adjustment below.
_DEPT_WEIGHT = np.array([24, 22, 8, 8, 6, 3, 12, 7, 3, 7], dtype=float)
_DEPT_BY_TYPE = {
    "街道": {"农业农村": 0.3, "自然资源": 0.5, "村镇建设": 0.6, "市场监管": 1.5},
    "镇": {},
    "乡": {"农业农村": 1.6, "市场监管": 0.5, "医保": 0.9},
}
COUNTY_DEPARTMENTS: tuple[str, ...] = ("县住房和城乡建设局", "县市场监督管理局")
# (town name, department) windows that are not required at the town's centre (应进驻=否):
# they have no cases there.
# fmt: off
_NOT_STATIONED = frozenset({
    ("东城街道", "农业农村"), ("凤鸣街道", "村镇建设"), ("石门乡", "市场监管"), ("云岭乡", "司法"),
    ("松岗镇", "退役军人"),
})
# fmt: on


@dataclass(frozen=True)
class _Item:
    code: str
    name: str
    dept: str
    days: int  # 承诺时限, working days; 0 = 即办件
    weight: float  # share within the department


_ITEMS: tuple[_Item, ...] = (
    _Item("SB339901001", "城乡居民养老保险参保登记", "社保", 0, 30),
    _Item("SB339901002", "城乡居民养老保险待遇申领", "社保", 5, 15),
    _Item("SB339901003", "社会保障卡申领", "社保", 0, 30),
    _Item("SB339901004", "灵活就业人员参保登记", "社保", 0, 15),
    _Item("SB339901005", "失业保险金申领", "社保", 7, 10),
    _Item("YB339901001", "城乡居民医疗保险参保登记", "医保", 0, 45),
    _Item("YB339901002", "异地就医备案", "医保", 0, 25),
    _Item("YB339901003", "医疗费用手工报销", "医保", 15, 15),
    _Item("YB339901004", "门诊慢特病待遇认定", "医保", 10, 15),
    _Item("MZ339901001", "最低生活保障审批", "民政", 20, 25),
    _Item("MZ339901002", "特困人员救助供养审批", "民政", 20, 10),
    _Item("MZ339901003", "临时救助申请", "民政", 5, 20),
    _Item("MZ339901004", "残疾人两项补贴申请", "民政", 10, 20),
    _Item("MZ339901005", "高龄津贴申领", "民政", 3, 25),
    _Item("NY339901001", "耕地地力保护补贴申报", "农业农村", 3, 40),
    _Item("NY339901002", "农村土地承包经营权流转备案", "农业农村", 5, 25),
    _Item("NY339901003", "农机购置补贴申请", "农业农村", 10, 20),
    _Item("NY339901004", "家庭农场名录登记", "农业农村", 7, 15),
    _Item("ZR339901001", "农村宅基地审批", "自然资源", 20, 45),
    _Item("ZR339901002", "乡村建设规划许可证核发", "自然资源", 20, 25),
    _Item("ZR339901003", "不动产登记资料查询", "自然资源", 0, 30),
    _Item("TY339901001", "退役军人优待证申领", "退役军人", 5, 50),
    _Item("TY339901002", "退役士兵自主就业一次性经济补助", "退役军人", 10, 30),
    _Item("TY339901003", "伤残抚恤关系接转", "退役军人", 15, 20),
    _Item("SC339901001", "个体工商户设立登记", "市场监管", 1, 40),
    _Item("SC339901002", "个体工商户变更登记", "市场监管", 1, 20),
    _Item("SC339901003", "食品经营许可", "市场监管", 10, 25),
    _Item("SC339901004", "小餐饮登记证核发", "市场监管", 5, 15),
    _Item("WJ339901001", "生育登记", "卫健", 0, 50),
    _Item("WJ339901002", "计划生育家庭特别扶助金申请", "卫健", 10, 20),
    _Item("WJ339901003", "农村独生子女父母奖励扶助申请", "卫健", 5, 30),
    _Item("SF339901001", "法律援助申请", "司法", 7, 60),
    _Item("SF339901002", "人民调解申请", "司法", 3, 40),
    _Item("CZ339901001", "农村危房改造补助申请", "村镇建设", 20, 30),
    _Item("CZ339901002", "农村建房开工查验", "村镇建设", 5, 45),
    _Item("CZ339901003", "小型工程施工备案", "村镇建设", 3, 25),
)

CASE_CHANNELS = ("网上办理", "掌上办理", "窗口办理", "自助终端", "帮办代办")
CASE_STATUSES = ("在办", "办结", "不予受理", "撤回")
_OPEN, _DONE, _REFUSED, _WITHDRAWN = 0, 1, 2, 3
EVAL_CHANNELS = ("评价器", "网上", "掌上", "短信", "二维码", "电话回访")
RATING_WORDS = ("", "非常不满意", "不满意", "基本满意", "满意", "非常满意")  # index = rating
HOTLINE_TYPES = ("咨询", "求助", "投诉", "举报", "建议")
HOTLINE_STATUSES = ("待签收", "办理中", "已办结", "已退单")


# --------------------------------------------------------------------------- planted


@dataclass(frozen=True)
class Planted:
    """A department planted as handling cases outside the platform (体外循环)."""

    town_code: str
    dept_name: str
    signal: str  # late_entry | batch_entry | instant_closure | missing_case_refs |
    #              evals_without_cases | stationed_silent


def _code(name: str) -> str:
    return next(t.code for t in _TOWNS if t.name == name)


PLANTED: tuple[Planted, ...] = (
    # 85% of cases entered 3-10 working days after acceptance.
    Planted(_code("龙泉镇"), "自然资源", "late_entry"),
    # Entered in bursts (a few seconds apart) on the last working day of each week and
    # month, at least 3 working days after acceptance: late as well.
    Planted(_code("白沙镇"), "民政", "batch_entry"),
    Planted(_code("白沙镇"), "民政", "late_entry"),
    # 95% of its cases of items promised in 5 or more working days closed 1-3 minutes
    # after acceptance.
    Planted(_code("双河镇"), "市场监管", "instant_closure"),
    # Its real cases are half the usual volume; 1.3 evaluations per real case name case
    # numbers that are in no case file (about 60% of its evaluations).
    Planted(_code("柳溪镇"), "农业农村", "missing_case_refs"),
    # A normal department's volume of 评价器 evaluations, a handful of cases.
    Planted(_code("青石镇"), "卫健", "evals_without_cases"),
    # 应进驻=是, no case and no evaluation all year.
    Planted(_code("高坪乡"), "退役军人", "stationed_silent"),
)


def _planted_cell(signal: str) -> tuple[int, int]:
    p = next(p for p in PLANTED if p.signal == signal and not _is_batch(p, signal))
    return TOWN_CODES.index(p.town_code), DEPARTMENTS.index(p.dept_name)


def _is_batch(p: Planted, signal: str) -> bool:
    # the batch-entry department is also listed as late_entry; the pure late one is the other
    return signal == "late_entry" and any(
        q.signal == "batch_entry" and (q.town_code, q.dept_name) == (p.town_code, p.dept_name)
        for q in PLANTED
    )


PLANTED_BAD_ROWS_BY_SOURCE: dict[str, dict[str, int]] = {
    "cases": {
        "unknown_town": 2,
        "bad_timestamp": 2,
        "negative_promised_days": 1,
        "bad_number": 1,
        "completed_before_accepted": 2,
        "invalid_value": 2,
        "missing_required": 2,
    },
    "hotline": {"due_before_received": 2, "bad_timestamp": 1, "invalid_value": 1},
    "evaluations": {
        "invalid_value": 1,
        "missing_required": 1,
        "unknown_town": 1,
        "bad_timestamp": 1,
    },
}
PLANTED_BAD_ROWS: dict[str, int] = {
    code: sum(by.get(code, 0) for by in PLANTED_BAD_ROWS_BY_SOURCE.values())
    for code in (
        "missing_required",
        "bad_timestamp",
        "bad_number",
        "invalid_value",
        "unknown_town",
        "negative_promised_days",
        "completed_before_accepted",
        "due_before_received",
    )
}
PLANTED_DUPLICATES: dict[str, int] = {"cases": 2, "hotline": 1, "evaluations": 1}
PLANTED_UPDATES: dict[str, int] = {"cases": 3, "hotline": 0, "evaluations": 0}


@dataclass
class DemoSummary:
    out_dir: Path
    files: list[Path]
    counts: dict[str, int]  # records a correct load stores: cases, hotline, evaluations, ...
    extracted_at: datetime
    start: date
    end: date
    rows_written: dict[str, int] = field(default_factory=dict)  # data rows, bad ones included


# --------------------------------------------------------------------------- helpers


def _rng(seed: int, name: str) -> np.random.Generator:
    """One independent stream per purpose, so that changing one part leaves the others."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _is_workday(day: date) -> bool:
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not know: Monday to Friday
        return day.weekday() < 5


class _Calendar:
    """Day indices from `first`; working days by the PRC calendar."""

    def __init__(self, first: date, n_days: int):
        self.first = first
        self.dates = [first + timedelta(days=i) for i in range(n_days)]
        self.work = np.array([_is_workday(d) for d in self.dates])
        self.seq = np.cumsum(self.work)  # working days up to and including the day
        self.workdays = np.flatnonzero(self.work)
        self.epoch0 = (first - _EPOCH).days * _DAY
        self.month = np.array([d.year * 12 + d.month - 1 for d in self.dates])
        self.week = (np.arange(n_days) + (first - _EPOCH).days + 3) // 7  # Monday-based
        self.weekday = np.array([d.weekday() for d in self.dates])
        self.ymd = pl.Series([d.strftime("%Y%m%d") for d in self.dates])

    def nth_workday_after(self, day: np.ndarray, k: np.ndarray | int) -> np.ndarray:
        """Day index of the k-th (k >= 1) working day strictly after `day`."""
        pos = self.seq[day] + np.asarray(k) - 1
        return self.workdays[np.clip(pos, 0, len(self.workdays) - 1)]

    def secs(self, day: np.ndarray, tod: np.ndarray) -> np.ndarray:
        return self.epoch0 + day.astype(np.int64) * _DAY + tod.astype(np.int64)

    def day_of(self, secs: np.ndarray) -> np.ndarray:
        return (secs - self.epoch0) // _DAY


def _choice(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _choice_by_group(rng: np.random.Generator, group: np.ndarray, table: np.ndarray) -> np.ndarray:
    """For each element, a column of `table[group]` drawn with the row's weights."""
    n_groups, width = table.shape
    rows = table / np.maximum(table.sum(axis=1, keepdims=True), 1e-300)
    cum = np.cumsum(rows, axis=1) + np.arange(n_groups)[:, None]  # monotone across rows
    flat = cum.ravel()
    idx = np.searchsorted(flat, group + rng.random(len(group)), side="right")
    return np.minimum(idx - group * width, width - 1)


# Time of day (seconds) in 30-minute bins: service windows 8:30-17:30 with a lunch dip.
_WINDOW_BINS = np.arange(17, 35) * 1800  # 8:30 ... 17:00
_WINDOW_WEIGHTS = [5, 9, 10, 10, 9, 8, 6, 2, 1, 2, 6, 8, 8, 8, 7, 6, 4, 2]
# Online: hourly, from early morning to late evening.
_ONLINE_BINS = np.arange(24) * 3600
_ONLINE_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 3, 6, 9, 10, 9, 7, 8, 9, 9, 8, 7, 6, 6, 6, 5, 3, 1]
# 12345: the hotline takes calls round the clock, most in the day.
# fmt: off
_HOTLINE_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 4, 8, 10, 10, 9,
                    6, 7, 9, 9, 8, 7, 6, 6, 5, 4, 2, 1]
# fmt: on


def _tod_window(rng: np.random.Generator, n: int) -> np.ndarray:
    return _WINDOW_BINS[_choice(rng, n, _WINDOW_WEIGHTS)] + rng.integers(0, 1800, n)


def _tod_online(rng: np.random.Generator, n: int) -> np.ndarray:
    return _ONLINE_BINS[_choice(rng, n, _ONLINE_WEIGHTS)] + rng.integers(0, 3600, n)


_MONTH_FACTOR = np.array([1.05, 0.75, 1.05, 1.0, 0.95, 1.0, 1.0, 0.95, 1.05, 0.9, 1.1, 1.15])
_WEEKDAY_FACTOR = np.array([1.2, 1.05, 1.0, 1.0, 0.9, 0.8, 0.8])  # Mon..Sun (调休 weekends)


# --------------------------------------------------------------------------- cases


def _dept_shares(rng: np.random.Generator) -> np.ndarray:
    """shares[t, k]: expected cases of department k in town t (not normalised)."""
    shares = np.zeros((len(_TOWNS), len(DEPARTMENTS)))
    for t, town in enumerate(_TOWNS):
        w = _DEPT_WEIGHT.copy()
        for dept, f in _DEPT_BY_TYPE[town.kind].items():
            w[DEPARTMENTS.index(dept)] *= f
        w *= rng.lognormal(0.0, 0.15, len(w))
        for k, dept in enumerate(DEPARTMENTS):
            if (town.name, dept) in _NOT_STATIONED:
                w[k] = 0.0
        shares[t] = town.weight * w / w.sum()
    return shares


@dataclass
class _Cases:
    town: np.ndarray
    dept: np.ndarray
    item: np.ndarray
    channel: np.ndarray
    accepted: np.ndarray  # int64 seconds (naive local time since 1970)
    promised: np.ndarray
    completed: np.ndarray  # _NONE while open
    status: np.ndarray
    recorded: np.ndarray
    day: np.ndarray  # acceptance day index
    seq: np.ndarray  # number within (town, day): the case id's tail
    ewc_expected: float  # cases the evals-without-cases department would have had

    def take(self, idx: np.ndarray) -> None:
        for name in (
            "town",
            "dept",
            "item",
            "channel",
            "accepted",
            "promised",
            "completed",
            "status",
            "recorded",
            "day",
            "seq",
        ):
            setattr(self, name, getattr(self, name)[idx])

    def __len__(self) -> int:
        return len(self.accepted)


def _cases_core(cal: _Calendar, n_days: int, extracted: int, scale: float, seed: int) -> _Cases:
    rng = _rng(seed, "cases")
    n_towns, n_depts = len(_TOWNS), len(DEPARTMENTS)
    shares = _dept_shares(_rng(seed, "dept-shares"))
    late = _planted_cell("late_entry")
    batch = _planted_cell("batch_entry")
    instant = _planted_cell("instant_closure")
    missing = _planted_cell("missing_case_refs")
    ewc = _planted_cell("evals_without_cases")
    silent = _planted_cell("stationed_silent")
    shares[missing] *= 0.5  # most of its work never reaches the platform
    online = np.repeat([[t.online_rate] for t in _TOWNS], n_depts, axis=1)
    online[late] = online[batch] = 0.03  # paper departments: window cases

    work = cal.work[:n_days]
    month = np.array([cal.dates[d].month - 1 for d in range(n_days)])
    factor = _MONTH_FACTOR[month] * _WEEKDAY_FACTOR[cal.weekday[:n_days]]
    noise = rng.gamma(40.0, 1 / 40.0, (n_days, n_towns))[:, :, None]
    day_on = np.where(work, factor, 0.15 * _MONTH_FACTOR[month])[:, None, None]
    day_off = np.where(work, factor, 0.004)[:, None, None]
    lam_on = shares * online * day_on * noise
    lam_off = shares * (1 - online) * day_off * noise
    norm = CASES_PER_YEAR * scale / (lam_on.sum() + lam_off.sum())
    ewc_expected = float((lam_on[:, *ewc].sum() + lam_off[:, *ewc].sum()) * norm)
    for cell in (ewc, silent):
        lam_on[:, *cell] = lam_off[:, *cell] = 0.0
    count_on = rng.poisson(lam_on * norm)
    count_off = rng.poisson(lam_off * norm)
    # the evals-without-cases department: a handful of window cases on working days
    n_ewc = 2 + round(4 * scale)
    np.add.at(count_off[:, ewc[0], ewc[1]], rng.choice(np.flatnonzero(work), n_ewc), 1)

    cells = np.concatenate(
        [
            np.repeat(np.arange(count_on.size), count_on.ravel()),
            np.repeat(np.arange(count_off.size), count_off.ravel()),
        ]
    )
    is_online = np.zeros(len(cells), dtype=bool)
    is_online[: count_on.sum()] = True
    day, town, dept = np.unravel_index(cells, count_on.shape)
    n = len(cells)

    # item within the department
    dept_items = [[i for i, it in enumerate(_ITEMS) if it.dept == d] for d in DEPARTMENTS]
    width = max(map(len, dept_items))
    item_table = np.zeros((n_depts, width))
    item_index = np.zeros((n_depts, width), dtype=np.int64)
    for k, items in enumerate(dept_items):
        item_table[k, : len(items)] = [_ITEMS[i].weight for i in items]
        item_index[k, : len(items)] = items
    item = item_index[dept, _choice_by_group(rng, dept, item_table)]
    promised = np.array([it.days for it in _ITEMS])[item]

    # channel and time of acceptance
    on_work = work[day]
    channel = np.where(
        is_online,
        np.where(rng.random(n) < 0.4, 0, 1),
        np.where(on_work, 2 + _choice(rng, n, [85, 8, 7]), 3 + _choice(rng, n, [70, 30])),
    )
    tod = np.where(is_online, _tod_online(rng, n), _tod_window(rng, n))
    accepted = cal.secs(day, tod)

    # outcome
    u = rng.random(n)
    refused = u < 0.010
    withdrawn = (u >= 0.010) & (u < 0.016) & (promised > 0)
    stuck = (rng.random(n) < 0.0004) & ~withdrawn
    overdue = rng.random(n) < np.array([t.overdue_rate for t in _TOWNS])[town]
    # 即办件: minutes later the same day (rarely the next working day: overdue)
    minutes = np.clip(rng.lognormal(np.log(900), 0.8, n), 120, 4 * 3600).astype(np.int64)
    day_end = cal.secs(day, np.full(n, _DAY - 60))
    done_now = np.minimum(accepted + minutes, day_end)
    next_day = cal.secs(cal.nth_workday_after(day, 1), 9 * 3600 + rng.integers(0, 8 * 3600, n))
    done_0 = np.where(overdue & (rng.random(n) < 0.4), next_day, done_now)
    # items with a deadline: on one of the promised working days, or 1-5 days after it
    k_on_time = np.minimum(1 + np.floor(rng.beta(1.3, 2.2, n) * promised), promised)
    k = np.where(overdue, promised + rng.integers(1, 6, n), k_on_time).astype(np.int64)
    done_day = cal.nth_workday_after(day, np.maximum(k, 1))
    done_p = cal.secs(done_day, 9 * 3600 + rng.integers(0, 8 * 3600 + 1800, n))
    completed = np.where(promised == 0, done_0, done_p)
    completed = np.where(refused & (promised > 0), next_day, completed)
    completed = np.where(refused & (promised == 0), done_now, completed)

    # entry into the platform: seconds (online) or minutes (window) after acceptance
    lag = np.where(
        is_online,
        rng.integers(5, 120, n),
        np.clip(rng.lognormal(np.log(150), 0.6, n), 20, 1500).astype(np.int64),
    )
    recorded = accepted + lag
    completed = np.maximum(completed, recorded + 30)

    # planted: late entry
    m = (town == late[0]) & (dept == late[1]) & (rng.random(n) < 0.85)
    rec_day = cal.nth_workday_after(day, rng.integers(3, 11, n))
    recorded = np.where(m, cal.secs(rec_day, _tod_window(rng, n)), recorded)
    # planted: batch entry, at the next session at least 3 working days after acceptance
    m_batch = (town == batch[0]) & (dept == batch[1])
    recorded = np.where(m_batch, _batch_sessions(cal, day, accepted, m_batch, rng), recorded)
    m |= m_batch
    completed = np.where(
        m & (completed < recorded), recorded + rng.integers(60, 1800, n), completed
    )
    # planted: instant closure of items with a deadline of 5 working days or more
    m = (town == instant[0]) & (dept == instant[1]) & (promised >= 5) & ~refused & ~withdrawn
    m &= rng.random(n) < 0.95
    recorded = np.where(m, accepted + rng.integers(10, 50, n), recorded)
    completed = np.where(m, accepted + rng.integers(60, 181, n), completed)
    stuck &= ~m

    # status as of the extraction
    status = np.where(withdrawn, _WITHDRAWN, np.where(refused, _REFUSED, _DONE))
    completed = np.where(withdrawn | stuck, _NONE, completed)
    still_open = stuck | (completed > extracted)
    status = np.where(still_open & ~withdrawn, _OPEN, status)
    completed = np.where(still_open, _NONE, completed)

    cases = _Cases(
        town,
        dept,
        item,
        channel,
        accepted,
        promised,
        completed,
        status,
        recorded,
        day,
        np.zeros(n, dtype=np.int64),
        ewc_expected,
    )
    # not in the platform yet at the extraction: not in the export
    keep = (accepted < extracted) & (recorded <= extracted)
    cases.take(np.flatnonzero(keep))
    # number within (town, day), in order of acceptance
    order = np.lexsort((cases.accepted, cases.day, cases.town))
    key = cases.town[order] * 100_000 + cases.day[order]
    cases.seq[order] = _rank_in_groups(key) + 1
    cases.take(np.argsort(cases.accepted, kind="stable"))
    return cases


def _rank_in_groups(sorted_key: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal keys (the keys sorted)."""
    n = len(sorted_key)
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_key[1:] != sorted_key[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - first


def _batch_sessions(
    cal: _Calendar,
    day: np.ndarray,
    accepted: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Recorded times of the batch-entry department: bursts on the last working day of each
    week and month, from 16:10 on, a few seconds apart."""
    wd = cal.workdays
    last_of_week = np.append(cal.week[wd[1:]] != cal.week[wd[:-1]], True)
    last_of_month = np.append(cal.month[wd[1:]] != cal.month[wd[:-1]], True)
    sessions = wd[last_of_week | last_of_month]
    out = np.zeros(len(day), dtype=np.int64)
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return out
    target = cal.seq[day[idx]] + 3
    pos = np.searchsorted(cal.seq[sessions], target, side="left")
    session = sessions[np.minimum(pos, len(sessions) - 1)]
    order = np.lexsort((accepted[idx], session))
    rank = np.empty(len(idx), dtype=np.int64)
    rank[order] = _rank_in_groups(session[order])
    gap = rng.integers(3, 9, len(idx))
    out[idx] = cal.secs(session, np.full(len(idx), 16 * 3600 + 600)) + rank * 6 + gap
    return out


# --------------------------------------------------------------------------- evaluations


@dataclass
class _Evals:
    town: np.ndarray
    dept: np.ndarray
    channel: np.ndarray
    rated: np.ndarray
    rating: np.ndarray
    ref_kind: np.ndarray  # 0 no case number, 1 a real case, 2 a case in no file
    ref_town: np.ndarray
    ref_day: np.ndarray
    ref_seq: np.ndarray
    comment: np.ndarray  # index into _GOOD_COMMENTS / _BAD_COMMENTS, -1 none
    comment_phone: np.ndarray  # bool: the comment carries a phone number
    rectify: np.ndarray  # -1 none, else index into RECTIFY
    rectified: np.ndarray

    def __len__(self) -> int:
        return len(self.rated)


# fmt: off
_GOOD_COMMENTS = ("办事效率高", "工作人员态度热情，讲解耐心", "一次办好，不用来回跑",
                  "流程清楚，很方便", "窗口服务规范", "网上办理很快，点赞")
# fmt: on
# fmt: off
_BAD_COMMENTS = ("等候时间太长", "材料要求反复变，跑了三次", "工作人员态度冷淡",
                 "系统卡顿，办理失败", "办理进度一直没人通知", "窗口经常没人")
# fmt: on
_RECTIFY = ("无需整改", "未整改", "整改中", "已整改")

# evaluation channel by case channel group: 网上, 掌上, 窗口 即办, 窗口 other, 自助, 帮办
# fmt: off
_EVAL_CHANNEL_TABLE = np.array([
    [0, 85, 0, 15, 0, 0],
    [0, 0, 85, 15, 0, 0],
    [80, 0, 0, 10, 10, 0],
    [15, 0, 0, 60, 10, 15],
    [0, 0, 0, 50, 50, 0],
    [0, 0, 0, 50, 0, 50],
], dtype=float)
# fmt: on


def _ratings(rng: np.random.Generator, town: np.ndarray) -> np.ndarray:
    n = len(town)
    bad = rng.random(n) > np.array([t.satisfaction for t in _TOWNS])[town]
    good_r = np.array([5, 4, 3])[_choice(rng, n, [70, 25, 5])]
    bad_r = np.where(rng.random(n) < 0.7, 2, 1)
    return np.where(bad, bad_r, good_r)


def _evals_core(
    cal: _Calendar, n_days: int, cases: _Cases, extracted: int, scale: float, seed: int
) -> _Evals:
    rng = _rng(seed, "evaluations")
    eval_rate = np.array([t.eval_rate for t in _TOWNS])
    sel = np.flatnonzero((cases.status == _DONE) & (rng.random(len(cases)) < eval_rate[cases.town]))
    ch = cases.channel[sel]
    grp = np.where(ch == 2, np.where(cases.promised[sel] == 0, 2, 3), np.where(ch < 2, ch, ch + 1))
    channel = _choice_by_group(rng, grp, _EVAL_CHANNEL_TABLE)
    n = len(sel)
    done = cases.completed[sel]
    hours = rng.lognormal(np.log(4 * 3600), 1.0, n).clip(600, 10 * _DAY).astype(np.int64)
    callback = cal.secs(
        cal.nth_workday_after(cal.day_of(done), rng.integers(1, 4, n)), _tod_window(rng, n)
    )
    delay = np.select(
        [channel == 0, channel == 4, channel == 5],
        [rng.integers(20, 600, n), rng.integers(60, 1800, n), callback - done],
        hours,
    )
    rated = done + delay
    ref_kind = np.where((channel == 4) & (rng.random(n) < 0.7), 0, 1)
    parts = [
        dict(
            town=cases.town[sel],
            dept=cases.dept[sel],
            channel=channel,
            rated=rated,
            ref_kind=ref_kind,
            ref_day=cases.day[sel],
            ref_seq=cases.seq[sel],
        )
    ]

    # planted: evaluations naming case numbers that are in no file
    t, k = _planted_cell("missing_case_refs")
    n_real = int(((cases.town == t) & (cases.dept == k)).sum())
    m = round(1.3 * n_real)
    g_day = rng.choice(cal.workdays[cal.workdays < n_days], m)
    g_ref_day = np.maximum(g_day - rng.integers(0, 8, m), 0)
    order = np.argsort(g_ref_day, kind="stable")
    g_seq = np.empty(m, dtype=np.int64)
    g_seq[order] = 80_000 + _rank_in_groups(g_ref_day[order])
    parts.append(
        dict(
            town=np.full(m, t),
            dept=np.full(m, k),
            channel=np.where(rng.random(m) < 0.6, 0, 3),
            rated=cal.secs(g_day, _tod_window(rng, m)),
            ref_kind=np.full(m, 2),
            ref_day=g_ref_day,
            ref_seq=g_seq,
        )
    )
    # planted: rating-device evaluations of a department with almost no cases
    t, k = _planted_cell("evals_without_cases")
    m = round(0.75 * cases.ewc_expected)
    e_day = rng.choice(cal.workdays[cal.workdays < n_days], m)
    parts.append(
        dict(
            town=np.full(m, t),
            dept=np.full(m, k),
            channel=np.zeros(m, np.int64),
            rated=cal.secs(e_day, _tod_window(rng, m)),
            ref_kind=np.zeros(m, np.int64),
            ref_day=np.zeros(m, np.int64),
            ref_seq=np.zeros(m, np.int64),
        )
    )

    cols = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    keep = cols["rated"] <= extracted
    order = np.argsort(np.where(keep, cols["rated"], np.iinfo(np.int64).max), kind="stable")
    order = order[: keep.sum()]
    cols = {name: v[order] for name, v in cols.items()}
    n = len(cols["rated"])
    rating = _ratings(rng, cols["town"])
    bad = rating <= 2
    comment = np.where(
        bad,
        rng.integers(0, len(_BAD_COMMENTS), n),
        np.where(rng.random(n) < 0.4, rng.integers(0, len(_GOOD_COMMENTS), n), -1),
    )
    comment_phone = bad & (rng.random(n) < 0.2)
    # rectification of bad reviews: mostly within 10 working days
    rated_day = cal.day_of(cols["rated"])
    k_days = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14])[
        _choice(rng, n, [6, 12, 14, 14, 12, 10, 8, 6, 5, 4, 3, 2])
    ]
    rectified = cal.secs(cal.nth_workday_after(rated_day, k_days), _tod_window(rng, n))
    u = rng.random(n)
    late = rectified > extracted
    rectify = np.select(
        [~bad & (u < 0.85), ~bad, u < 0.04, u < 0.10, late & (u < 0.35), late],
        [0, -1, 1, 2, 1, 2],
        3,
    )
    rectified = np.where(rectify == 3, rectified, _NONE)
    return _Evals(
        town=cols["town"],
        dept=cols["dept"],
        channel=cols["channel"],
        rated=cols["rated"],
        rating=rating,
        ref_kind=cols["ref_kind"],
        ref_town=cols["town"],
        ref_day=cols["ref_day"],
        ref_seq=cols["ref_seq"],
        comment=comment,
        comment_phone=comment_phone,
        rectify=rectify,
        rectified=rectified,
    )


# --------------------------------------------------------------------------- hotline

# topic, town department, county department taking a share, that share, weight, requests
# fmt: off
_TOPICS: tuple[tuple[str, str, str | None, float, float, tuple[str, ...]], ...] = (
    ("社会保障", "社保", None, 0.0, 20, (
        "咨询城乡居民养老保险缴费档次和补缴政策", "反映养老金到账时间推迟",
        "咨询社保卡补办需要哪些材料", "反映失业保险金申领进度慢")),
    ("医疗保障", "医保", None, 0.0, 12, (
        "咨询异地就医备案办理流程", "反映医疗费用报销迟迟未到账", "咨询居民医保缴费时间")),
    ("医疗卫生", "卫健", None, 0.0, 8, (
        "反映村卫生室经常无人值守", "咨询生育登记办理地点", "投诉卫生院服务态度差")),
    ("农业农村", "农业农村", None, 0.0, 10, (
        "咨询耕地地力保护补贴发放时间", "反映农机购置补贴未到账", "咨询土地流转备案手续")),
    ("市场监管", "市场监管", "县市场监督管理局", 0.3, 14, (
        "投诉超市销售过期食品", "举报无证经营小餐饮", "反映商家缺斤短两",
        "咨询个体工商户注册流程")),
    ("民政救助", "民政", None, 0.0, 10, (
        "咨询低保申请条件", "反映临时救助申请无人受理", "咨询高龄津贴发放标准")),
    ("城乡建设", "村镇建设", "县住房和城乡建设局", 0.4, 16, (
        "反映小区路灯不亮", "反映危房改造补助未发放", "投诉工地夜间施工噪音扰民",
        "反映村道积水严重")),
    ("自然资源", "自然资源", None, 0.0, 5, (
        "咨询宅基地审批进度", "举报违法占用耕地建房", "咨询不动产登记资料查询方式")),
    ("退役军人", "退役军人", None, 0.0, 2, (
        "咨询退役军人优待证申领条件", "反映优待证办理进度慢")),
    ("法律服务", "司法", None, 0.0, 3, ("咨询法律援助申请条件", "请求调解邻里纠纷")),
)
# fmt: on
_DUE_DAYS = np.array([1, 3, 5, 7, 7])  # by request type


@dataclass
class _Tickets:
    town: np.ndarray
    topic: np.ndarray
    unit: np.ndarray  # index into _units(): town department names then county departments
    rtype: np.ndarray
    received: np.ndarray
    due: np.ndarray
    completed: np.ndarray
    status: np.ndarray
    resolved: np.ndarray  # -1 none, 0 否, 1 是
    satisfaction: np.ndarray  # -1 none, else index into SATISFACTION
    caller: np.ndarray  # int64: the 8 digits after the prefix, and the prefix index
    caller_prefix: np.ndarray
    content: np.ndarray  # template index within the topic
    repeat: np.ndarray  # bool: a caller calling again
    pii: np.ndarray  # 0 none, 1 phone number in the text, 2 ID number in the text

    def __len__(self) -> int:
        return len(self.received)


_SATISFACTION = ("满意", "基本满意", "不满意")


def _units() -> tuple[str, ...]:
    return DEPARTMENTS + COUNTY_DEPARTMENTS


def _tickets_core(cal: _Calendar, n_days: int, extracted: int, scale: float, seed: int) -> _Tickets:
    rng = _rng(seed, "hotline")
    repeat_share, mean_extra = 0.05, 2.5
    base_total = TICKETS_PER_YEAR * scale / (1 + repeat_share * mean_extra)
    work = cal.work[:n_days]
    month = np.array([cal.dates[d].month - 1 for d in range(n_days)])
    town_w = np.array([t.weight for t in _TOWNS])
    lam = np.where(work, 1.0, 0.55)[:, None] * _MONTH_FACTOR[month][:, None] * town_w[None, :]
    counts = rng.poisson(lam * base_total / lam.sum())
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    day, town = np.unravel_index(cells, counts.shape)
    n = len(cells)
    topic = _choice(rng, n, [t[4] for t in _TOPICS])
    received = cal.secs(day, _choice(rng, n, _HOTLINE_WEIGHTS) * 3600 + rng.integers(0, 3600, n))
    caller = rng.integers(0, 10**8, n)
    prefix = rng.integers(0, len(_PHONE_PREFIXES), n)
    rtype = _choice(rng, n, [40, 15, 28, 5, 12])
    repeat = np.zeros(n, dtype=bool)
    # repeat callers: some callers call again, 1-4 times within 30 days
    seeds = np.flatnonzero(rng.random(n) < repeat_share)
    extra = rng.integers(1, 5, len(seeds))
    src = np.repeat(seeds, extra)
    again = received[src] + rng.integers(7200, 29 * _DAY, len(src))

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b])

    town, topic, caller, prefix = (cat(v, v[src]) for v in (town, topic, caller, prefix))
    rtype = cat(rtype, np.where(rng.random(len(src)) < 0.6, 2, rtype[src]))
    received = cat(received, again)
    repeat = cat(repeat, np.ones(len(src), dtype=bool))
    unit_county = np.array([DEPARTMENTS.index(t[1]) for t in _TOPICS])
    county_unit = np.array(
        [len(DEPARTMENTS) + COUNTY_DEPARTMENTS.index(t[2]) if t[2] else -1 for t in _TOPICS]
    )
    county_share = np.array([t[3] for t in _TOPICS])
    n = len(received)
    unit = np.where(rng.random(n) < county_share[topic], county_unit[topic], unit_county[topic])
    n_templates = np.array([len(t[5]) for t in _TOPICS])
    content = np.floor(rng.random(n) * n_templates[topic]).astype(np.int64)
    pii = _choice(rng, n, [91, 6, 3])

    due = received + _DUE_DAYS[rtype] * _DAY
    span = due - received
    on_time = received + np.maximum(1800, (rng.beta(2.0, 3.0, n) * span).astype(np.int64))
    late = due + rng.integers(3600, 3 * _DAY, n)
    completed = np.where(rng.random(n) < 0.03, late, on_time)
    u = rng.random(n)
    returned = u < 0.015
    stuck = (u >= 0.015) & (u < 0.017)
    completed = np.where(returned | stuck | (completed > extracted), _NONE, completed)
    fresh = received > extracted - 6 * 3600
    status = np.select([returned, completed != _NONE, fresh & (rng.random(n) < 0.5)], [3, 2, 0], 1)
    resolved = np.where(status == 2, (rng.random(n) < 0.88).astype(np.int64), -1)
    sat = _choice(rng, n, [80, 12, 3, 5])
    sat = np.where((resolved == 0) & (rng.random(n) < 0.4), 2, sat)
    sat = np.where((status == 2) & (sat < 3), sat, -1)

    keep = received < extracted
    order = np.argsort(np.where(keep, received, np.iinfo(np.int64).max), kind="stable")
    order = order[: keep.sum()]
    return _Tickets(
        town=town[order],
        topic=topic[order],
        unit=unit[order],
        rtype=rtype[order],
        received=received[order],
        due=due[order],
        completed=completed[order],
        status=status[order],
        resolved=resolved[order],
        satisfaction=sat[order],
        caller=caller[order],
        caller_prefix=prefix[order],
        content=content[order],
        repeat=repeat[order],
        pii=pii[order],
    )


# --------------------------------------------------------------------------- personal data

_SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "慕容", "司徒", "皇甫")
_GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩婷雪琳晶颖俊帅鑫斌宏海波"
    "春梅林峰志成德福云凤荣新亮金燕晓佳欣怡梓涵子轩诺雨思嘉博泽睿瑞昊然琪悦欢"
)
# fmt: off
_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "157", "158", "159", "176", "177", "180", "181", "182", "183",
                   "186", "187", "188", "189", "198", "199")
# fmt: on
_ID_AREAS = (339901, 330102, 330523, 331002, 340103, 360124, 420117, 510107)
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _names(rng: np.random.Generator, n: int) -> pl.Series:
    w = 1.0 / (np.arange(len(_SURNAMES)) + 8.0)
    surnames = _SURNAMES + _COMPOUND_SURNAMES
    weights = np.concatenate([w / w.sum() * 0.988, np.full(len(_COMPOUND_SURNAMES), 0.012 / 7)])
    s = pl.Series(surnames).gather(_choice(rng, n, weights))
    g1 = pl.Series(_GIVEN).gather(rng.integers(0, len(_GIVEN), n))
    g2 = pl.Series(_GIVEN).gather(rng.integers(0, len(_GIVEN), n))
    g2 = pl.select(pl.when(pl.lit(pl.Series(rng.random(n) < 0.7))).then(pl.lit(g2))).to_series()
    return pl.select(
        pl.concat_str([pl.lit(s), pl.lit(g1), pl.lit(g2)], ignore_nulls=True)
    ).to_series()


def _phones(rng: np.random.Generator, n: int) -> pl.Series:
    return _phone_strings(rng.integers(0, len(_PHONE_PREFIXES), n), rng.integers(0, 10**8, n))


def _phone_strings(prefix: np.ndarray, rest: np.ndarray) -> pl.Series:
    p = pl.Series(_PHONE_PREFIXES).gather(prefix)
    r = pl.Series(rest).cast(pl.String).str.zfill(8)
    return pl.select(pl.lit(p) + pl.lit(r)).to_series()


def _id_numbers(rng: np.random.Generator, at: np.ndarray) -> pl.Series:
    """Format-valid resident ID numbers (GB 11643 check digit) of adults at time `at`."""
    n = len(at)
    area = np.array(_ID_AREAS)[_choice(rng, n, [85, 3, 2, 2, 2, 2, 2, 2])]
    birth = (at // _DAY - rng.integers(18 * 365, 88 * 365, n)).astype("datetime64[D]")
    y = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    body = area * 10**11 + (y * 10000 + mo * 100 + d) * 1000 + rng.integers(1, 1000, n)
    total = np.zeros(n, dtype=np.int64)
    for i, w in enumerate(_ID_WEIGHTS):
        total += (body // 10 ** (16 - i)) % 10 * w
    check = pl.Series(list("10X98765432")).gather(total % 11)
    return pl.select(pl.lit(pl.Series(body).cast(pl.String)) + pl.lit(check)).to_series()


# --------------------------------------------------------------------------- formatting

_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%-m/%-d %-H:%M:%S", "%Y年%-m月%-d日 %H:%M")


def _ts(secs: np.ndarray, style: np.ndarray | int) -> pl.Series:
    """Timestamps as text; `style` per row (or one for all) indexes _FORMATS; _NONE → null."""
    s = pl.Series(secs)
    df = pl.DataFrame({"s": s, "f": np.broadcast_to(np.asarray(style), len(secs))})
    t = pl.when(pl.col("s") != _NONE).then(pl.from_epoch(pl.col("s"), time_unit="s"))
    if isinstance(style, int):
        expr = t.dt.strftime(_FORMATS[style])
    else:
        expr = (
            pl.when(pl.col("f") == 0)
            .then(t.dt.strftime(_FORMATS[0]))
            .when(pl.col("f") == 1)
            .then(t.dt.strftime(_FORMATS[1]))
            .otherwise(t.dt.strftime(_FORMATS[2]))
        )
    return df.select(expr.alias("ts")).to_series()


def _styles(rng: np.random.Generator, n: int, mode: str) -> np.ndarray | int:
    if mode == "iso":
        return 0
    if mode == "slash":
        return 1
    if mode == "cn":
        return 2
    return _choice(rng, n, [92, 5, 3])  # mixed rows


def _lookup(values: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(values).gather(idx)


def _zfill(values: np.ndarray, width: int) -> pl.Series:
    return pl.Series(values).cast(pl.String).str.zfill(width)


def _concat(*parts: pl.Series | str) -> pl.Series:
    return pl.select(pl.concat_str([pl.lit(p) for p in parts])).to_series()


def _write_text(
    path: Path,
    title: str,
    stamp: str,
    df: pl.DataFrame,
    encoding: str,
    separator: str = ",",
    bom: bool = False,
    crlf: bool = False,
) -> None:
    newline = "\r\n" if crlf else "\n"
    body = df.write_csv(separator=separator, null_value="", line_terminator=newline)
    text = f"{title}{newline}导出时间：{stamp}{newline}{newline}{body}"
    data = text.encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)


def _write_xlsx(
    path: Path,
    title: str,
    stamp: str,
    df: pl.DataFrame,
    extracted: datetime,
    ts_columns: tuple[str, ...],
    advance: Callable[[int], None],
) -> None:
    """An Excel export: merged title cell, export time, empty row, header, data.

    Timestamp columns are written as Excel date-time cells (numbers with a date format).
    """
    import xlsxwriter

    excel = df.with_columns(
        (pl.from_epoch(pl.col(c), time_unit="s").cast(pl.Int64) / 1e6 / _DAY + 25569.0).alias(c)
        for c in ts_columns
    )
    excel = excel.with_columns(pl.when(pl.col(c) > 25569.0).then(pl.col(c)) for c in ts_columns)
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "strings_to_formulas": False,
        },
    )
    wb.set_properties({"created": extracted, "author": COUNTY_NAME})
    ws = wb.add_worksheet("办件明细")
    title_format = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    header_format = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ts_format = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for i, c in enumerate(df.columns):
        ws.set_column(i, i, 20 if c in ts_columns else 14, ts_format if c in ts_columns else None)
    ws.merge_range(0, 0, 0, len(df.columns) - 1, title, title_format)
    ws.write_string(1, 0, f"导出时间：{stamp}")
    ws.write_row(3, 0, df.columns, header_format)
    write_row = ws.write_row
    chunk = 20_000
    for start in range(0, excel.height, chunk):  # a loop per row: xlsxwriter is row-based
        for r, row in enumerate(excel.slice(start, chunk).iter_rows(), start=4 + start):
            write_row(r, 0, row)
        advance(min(chunk, excel.height - start))
    wb.close()


# --------------------------------------------------------------------------- bad rows


def _with_bad_rows(
    df: pl.DataFrame,
    eligible: np.ndarray,
    edits: list[dict[str, str | None]],
    id_column: str,
    new_id: Callable[[str, int], str],
    extra: pl.DataFrame | None = None,
    repeat: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Insert modified copies of eligible rows (fresh ids), one row repeated, and `extra`
    rows (repeated or updated rows of another file), spread through the file.

    Returns (file rows, one row of this file for a later file to repeat).
    """
    idx = np.flatnonzero(eligible)
    if len(idx) < len(edits) + 2:
        raise ValueError("demo scale too small for the planted bad rows")
    picks = idx[np.linspace(0, len(idx) - 1, len(edits) + 2).round().astype(int)]
    rows = []
    for i, (pos, edit) in enumerate(zip(picks[1:-1], edits, strict=True)):
        row = df.slice(int(pos), 1)
        values = {
            c: (new_id(row[id_column][0], i) if c == id_column else row[c][0]) for c in df.columns
        }
        original = dict(values)
        for c, v in edit.items():
            values[c] = v(original) if callable(v) else v
        rows.append(pl.DataFrame([values], schema=df.schema))
    repeated = df.slice(int(picks[0]), 1)
    carry = df.slice(int(picks[-1]), 1)
    inserted = [*rows, repeated] if repeat else rows
    if extra is not None:
        inserted += [extra.slice(i, 1) for i in range(extra.height)]
    n = df.height
    positions = np.linspace(n * 0.1, n * 0.95, len(inserted)).astype(np.int64) * 2 + 1
    if repeat:  # after the original
        positions[len(rows)] = max(positions[len(rows)], int(picks[0]) * 2 + 1)
    base = df.with_columns(pl.Series("_pos", np.arange(n, dtype=np.int64) * 2))
    added = pl.concat(inserted).with_columns(pl.Series("_pos", positions))
    out = pl.concat([base, added]).sort("_pos", maintain_order=True).drop("_pos")
    return out, carry


# --------------------------------------------------------------------------- writing


_CASE_HEADER = tuple(c.header for c in cases_source.SOURCE.columns)
_TS_CASES = ("受理时间", "办结时间", "录入时间")


def _case_frame(
    cal: _Calendar,
    c: _Cases,
    idx: np.ndarray,
    rng: np.random.Generator,
    style: np.ndarray | int,
    town_as_name: bool,
    xlsx: bool,
) -> pl.DataFrame:
    n = len(idx)
    town, day = c.town[idx], c.day[idx]
    town_ids = tuple(t.code3 for t in _TOWNS)
    case_id = _concat(
        COUNTY_CODE, _lookup(town_ids, town), cal.ymd.gather(day), _zfill(c.seq[idx], 5)
    )
    item = c.item[idx]
    applicant = _names(rng, n)
    applicant = pl.select(
        pl.when(pl.lit(pl.Series(rng.random(n) >= 0.01))).then(pl.lit(applicant))
    ).to_series()
    cols: dict[str, pl.Series | np.ndarray] = {
        "办件编号": case_id,
        "事项编码": _lookup(tuple(it.code for it in _ITEMS), item),
        "事项名称": _lookup(tuple(it.name for it in _ITEMS), item),
        "乡镇(街道)": _lookup(TOWN_NAMES if town_as_name else TOWN_CODES, town),
        "受理部门": _lookup(DEPARTMENTS, c.dept[idx]),
        "申报方式": _lookup(CASE_CHANNELS, c.channel[idx]),
    }
    if xlsx:
        cols |= {
            "受理时间": c.accepted[idx],
            "承诺时限": c.promised[idx],
            "办结时间": np.where(c.completed[idx] == _NONE, 0, c.completed[idx]),
            "办件状态": _lookup(CASE_STATUSES, c.status[idx]),
            "录入时间": c.recorded[idx],
        }
    else:
        cols |= {
            "受理时间": _ts(c.accepted[idx], style),
            "承诺时限": _zfill(c.promised[idx], 1),
            "办结时间": _ts(c.completed[idx], style),
            "办件状态": _lookup(CASE_STATUSES, c.status[idx]),
            "录入时间": _ts(c.recorded[idx], style),
        }
    cols |= {
        "申请人": applicant,
        "证件号码": _id_numbers(rng, c.accepted[idx]),
        "联系电话": _phones(rng, n),
    }
    return pl.DataFrame({h: cols[h] for h in _CASE_HEADER})


def _bad_case_id(case_id: str, i: int) -> str:
    return f"{case_id[:-5]}9{i:04d}"


def _xlsx_months(cal: _Calendar, n_days: int) -> set[int]:
    """The newest month goes out as .xlsx; so does the month before when the newest has
    less than a week of data (so that the .xlsx always holds a fair number of cases)."""
    last = int(cal.month[n_days - 1])
    return {last, last - 1} if cal.dates[n_days - 1].day < 7 else {last}


def _write_cases(
    out_dir: Path,
    cal: _Calendar,
    n_days: int,
    cases: _Cases,
    extracted: datetime,
    seed: int,
    advance: Callable[[str, float], None],
) -> tuple[list[Path], int]:
    stamp = extracted.strftime("%Y-%m-%d %H:%M:%S")
    month_of = cal.month[cases.day]
    months = np.arange(cal.month[0], cal.month[n_days - 1] + 1)
    bounds = np.searchsorted(month_of, months, side="left")  # cases sorted by acceptance
    bounds = np.append(bounds, len(cases))
    planted = _planted_mask(cases.town, cases.dept)
    files: list[Path] = []
    rows_written = 0
    carry: pl.DataFrame | None = None  # rows of the previous file to repeat or update
    for i, m in enumerate(months):
        year, month = divmod(int(m), 12)
        month += 1
        title = f"{COUNTY_NAME}{year}年{month}月办件明细表"
        idx = np.arange(bounds[i], bounds[i + 1])
        rng = _rng(seed, f"cases-file-{i}")
        xlsx = int(m) in _xlsx_months(cal, n_days)
        if xlsx:
            df = _case_frame(cal, cases, idx, rng, 0, False, xlsx=True)
            path = out_dir / f"cases_{year}-{month:02d}.xlsx"
            _write_xlsx(
                path,
                title,
                stamp,
                df,
                extracted,
                _TS_CASES,
                lambda rows, label=f"办件 {year}-{month:02d}": advance(label, rows * _WORK["xlsx"]),
            )
        else:
            mode = {5: "slash", 8: "cn"}.get(i, "mixed" if i % 4 == 1 else "iso")
            style = _styles(rng, len(idx), mode)
            gbk = i % 2 == 0
            df = _case_frame(cal, cases, idx, rng, style, town_as_name=i in (6, 10), xlsx=False)
            ok = (~planted[idx]) & (cases.status[idx] == _DONE) & (cases.promised[idx] > 0)
            df, carry = _plant_case_rows(df, ok, i, carry, year)
            if gbk:
                df = df.rename({"乡镇(街道)": "乡镇（街道）"})
            path = out_dir / f"cases_{year}-{month:02d}.csv"
            _write_text(path, title, stamp, df, "gbk" if gbk else "utf-8", crlf=gbk)
        rows_written += df.height
        files.append(path)
        if not xlsx:
            advance(f"办件 {year}-{month:02d}", df.height * _WORK["csv"])
    return files, rows_written


def _plant_case_rows(
    df: pl.DataFrame, ok: np.ndarray, i: int, carry: pl.DataFrame | None, year: int
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    if i == 1:
        edits: list[dict] = [
            {"乡镇(街道)": f"{COUNTY_CODE}999000"},
            {"乡镇(街道)": "桃花岛镇"},
            {"受理时间": f"{year}-13-45 10:20:00"},
            {"录入时间": f"{year}-02-30 09:00:00"},
            {"承诺时限": "-1"},
            {"承诺时限": "五"},
        ]
        out, row = _with_bad_rows(df, ok, edits, "办件编号", _bad_case_id)
        return out, row  # file 2 repeats this row
    if i == 2:
        swap = {"受理时间": lambda v: v["办结时间"], "办结时间": lambda v: v["受理时间"]}
        edits = [
            swap,
            dict(swap),
            {"申报方式": "传真办理"},
            {"办件状态": "已归档"},
            {"事项编码": None},
            {"受理部门": None},
        ]
        out, _ = _with_bad_rows(
            df,
            ok,
            edits,
            "办件编号",
            lambda c, j: _bad_case_id(c, 10 + j),
            extra=carry,
            repeat=False,
        )
        return out, None
    if i == 3:
        # three cases first exported while open; file 4 brings them completed
        pick = np.flatnonzero(ok)
        pick = pick[np.linspace(0, len(pick) - 1, 5).round().astype(int)[1:4]]
        final = df[pick]
        mask = np.zeros(df.height, dtype=bool)
        mask[pick] = True
        m = pl.lit(pl.Series(mask))
        out = df.with_columns(
            pl.when(m).then(pl.lit("在办")).otherwise(pl.col("办件状态")).alias("办件状态"),
            pl.when(m)
            .then(pl.lit(None, pl.String))
            .otherwise(pl.col("办结时间"))
            .alias("办结时间"),
        )
        return out, final
    if i == 4 and carry is not None:
        n = df.height
        positions = np.linspace(n * 0.2, n * 0.8, carry.height).astype(np.int64) * 2 + 1
        base = df.with_columns(pl.Series("_pos", np.arange(n, dtype=np.int64) * 2))
        added = carry.with_columns(pl.Series("_pos", positions))
        return pl.concat([base, added]).sort("_pos", maintain_order=True).drop("_pos"), None
    return df, None


_EVAL_HEADER = tuple(c.header for c in evaluations_source.SOURCE.columns)


def _eval_frame(
    cal: _Calendar,
    e: _Evals,
    seq: np.ndarray,
    idx: np.ndarray,
    rng: np.random.Generator,
    style: np.ndarray | int,
    town_as_name: bool,
) -> pl.DataFrame:
    n = len(idx)
    town_ids = tuple(t.code3 for t in _TOWNS)
    rated_day = cal.day_of(e.rated[idx])
    eval_id = _concat("PJ", cal.ymd.gather(rated_day), _zfill(seq[idx], 6))
    case_id = _concat(
        COUNTY_CODE,
        _lookup(town_ids, e.ref_town[idx]),
        cal.ymd.gather(e.ref_day[idx]),
        _zfill(e.ref_seq[idx], 5),
    )
    has_ref = pl.Series(e.ref_kind[idx] > 0)
    rating = e.rating[idx]
    words = _lookup(RATING_WORDS, rating)
    digits = pl.Series(rating).cast(pl.String)
    as_digit = pl.Series(rng.random(n) < 0.08)
    comment_idx = e.comment[idx]
    bad = rating <= 2
    good_text = _lookup(_GOOD_COMMENTS, np.clip(comment_idx, 0, len(_GOOD_COMMENTS) - 1))
    bad_text = _lookup(_BAD_COMMENTS, np.clip(comment_idx, 0, len(_BAD_COMMENTS) - 1))
    phone = _concat("，请回电", _phones(rng, n))
    rectify = e.rectify[idx]
    frame = pl.DataFrame(
        {
            "has_ref": has_ref,
            "case_id": case_id,
            "words": words,
            "digits": digits,
            "as_digit": as_digit,
            "good": good_text,
            "bad_text": bad_text,
            "phone": phone,
            "bad": bad,
            "with_phone": e.comment_phone[idx],
            "no_comment": comment_idx < 0,
            "rectify": _lookup(_RECTIFY, np.clip(rectify, 0, 3)),
            "no_rectify": rectify < 0,
        }
    )
    derived = frame.select(
        pl.when("has_ref").then("case_id").alias("办件编号"),
        pl.when("as_digit").then("digits").otherwise("words").alias("评价等级"),
        pl.when("no_comment")
        .then(None)
        .when("bad")
        .then(
            pl.when("with_phone").then(pl.col("bad_text") + pl.col("phone")).otherwise("bad_text")
        )
        .otherwise("good")
        .alias("评价内容"),
        pl.when(~pl.col("no_rectify")).then("rectify").alias("整改状态"),
    )
    cols = {
        "评价编号": eval_id,
        "乡镇(街道)": _lookup(TOWN_NAMES if town_as_name else TOWN_CODES, e.town[idx]),
        "评价部门": _lookup(_units(), e.dept[idx]),
        "评价渠道": _lookup(EVAL_CHANNELS, e.channel[idx]),
        "评价时间": _ts(e.rated[idx], style),
        "整改完成时间": _ts(e.rectified[idx], style),
    } | {c: derived[c] for c in derived.columns}
    return pl.DataFrame({h: cols[h] for h in _EVAL_HEADER})


def _write_evals(
    out_dir: Path,
    cal: _Calendar,
    n_days: int,
    e: _Evals,
    extracted: datetime,
    seed: int,
    advance: Callable[[str, float], None],
) -> tuple[list[Path], int]:
    stamp = extracted.strftime("%Y-%m-%d %H:%M:%S")
    day = cal.day_of(e.rated)
    seq = _rank_in_groups(day) + 1
    month_of = cal.month[day]
    files: list[Path] = []
    rows = 0
    for i, m in enumerate(range(int(cal.month[0]), int(cal.month[n_days - 1]) + 1)):
        year, month = divmod(m, 12)
        month += 1
        idx = np.flatnonzero(month_of == m)
        rng = _rng(seed, f"evaluations-file-{i}")
        style = _styles(rng, len(idx), "mixed" if i % 3 == 1 else "iso")
        df = _eval_frame(cal, e, seq, idx, rng, style, town_as_name=i % 2 == 1)
        if i == 2:
            ordinary = ~_planted_mask(e.town[idx], e.dept[idx])
            edits: list[dict] = [
                {"评价等级": "很好"},
                {"评价部门": None},
                {"乡镇(街道)": "桃花岛镇"},
                {"评价时间": f"{year}-02-30 10:00:00"},
            ]
            df, _ = _with_bad_rows(
                df, ordinary, edits, "评价编号", lambda v, j: f"{v[:-6]}9{j:05d}"
            )
        path = out_dir / f"evaluations_{year}-{month:02d}.csv"
        _write_text(path, f"{COUNTY_NAME}{year}年{month}月好差评明细表", stamp, df, "utf-8")
        files.append(path)
        rows += df.height
        advance(f"好差评 {year}-{month:02d}", df.height * _WORK["csv"])
    return files, rows


def _planted_mask(town: np.ndarray, dept: np.ndarray) -> np.ndarray:
    out = np.zeros(len(town), dtype=bool)
    for p in PLANTED:
        out |= (town == TOWN_CODES.index(p.town_code)) & (dept == DEPARTMENTS.index(p.dept_name))
    return out


_HOTLINE_HEADER = tuple(c.header for c in hotline_source.SOURCE.columns)


def _ticket_frame(
    cal: _Calendar,
    h: _Tickets,
    seq: np.ndarray,
    idx: np.ndarray,
    rng: np.random.Generator,
    style: np.ndarray | int,
) -> pl.DataFrame:
    n = len(idx)
    templates = tuple(text for t in _TOPICS for text in t[5])
    offsets = np.cumsum([0] + [len(t[5]) for t in _TOPICS])[:-1]
    topic = h.topic[idx]
    text = _lookup(templates, offsets[topic] + h.content[idx])
    pii = h.pii[idx]
    frame = pl.DataFrame(
        {
            "text": text,
            "again": h.repeat[idx],
            "pii": pii,
            "phone": _concat("，联系电话", _phones(rng, n)),
            "idno": _concat("，身份证号", _id_numbers(rng, h.received[idx])),
        }
    )
    content = frame.select(
        pl.concat_str(
            pl.when("again").then(pl.lit("再次来电：")).otherwise(pl.lit("")),
            "text",
            pl.when(pl.col("pii") == 1)
            .then("phone")
            .when(pl.col("pii") == 2)
            .then("idno")
            .otherwise(pl.lit("")),
        )
    ).to_series()
    received_day = cal.day_of(h.received[idx])
    resolved = h.resolved[idx]
    sat = h.satisfaction[idx]
    cols = {
        "工单编号": _concat("GD", cal.ymd.gather(received_day), _zfill(seq[idx], 6)),
        "来电时间": _ts(h.received[idx], style),
        "乡镇(街道)": _lookup(TOWN_NAMES, h.town[idx]),
        "承办单位": _lookup(_units(), h.unit[idx]),
        "诉求类型": _lookup(HOTLINE_TYPES, h.rtype[idx]),
        "一级分类": _lookup(tuple(t[0] for t in _TOPICS), topic),
        "办理时限": _ts(h.due[idx], style),
        "办结时间": _ts(h.completed[idx], style),
        "工单状态": _lookup(HOTLINE_STATUSES, h.status[idx]),
        "是否解决": _lookup(("否", "是"), np.clip(resolved, 0, 1)),
        "满意度": _lookup(("满意", "基本满意", "不满意", "未评价"), np.clip(sat, 0, 3)),
        "来电号码": _phone_strings(h.caller_prefix[idx], h.caller[idx]),
        "诉求内容": content,
    }
    df = pl.DataFrame({c: cols[c] for c in _HOTLINE_HEADER})
    return df.with_columns(
        pl.when(pl.Series(resolved >= 0)).then(pl.col("是否解决")).alias("是否解决"),
        pl.when(pl.Series(sat >= 0)).then(pl.col("满意度")).alias("满意度"),
    )


def _write_tickets(
    out_dir: Path,
    cal: _Calendar,
    n_days: int,
    h: _Tickets,
    extracted: datetime,
    seed: int,
    advance: Callable[[str, float], None],
) -> tuple[list[Path], int]:
    stamp = extracted.strftime("%Y-%m-%d %H:%M:%S")
    day = cal.day_of(h.received)
    seq = _rank_in_groups(day) + 1
    quarter_of = cal.month[day] // 3
    files: list[Path] = []
    rows = 0
    for i, q in enumerate(range(int(cal.month[0]) // 3, int(cal.month[n_days - 1]) // 3 + 1)):
        year, quarter = divmod(q, 4)
        quarter += 1
        idx = np.flatnonzero(quarter_of == q)
        rng = _rng(seed, f"hotline-file-{i}")
        df = _ticket_frame(cal, h, seq, idx, rng, _styles(rng, len(idx), "mixed"))
        if i == 1:
            ordinary = (h.status[idx] == 2) & (h.unit[idx] < len(DEPARTMENTS))
            swap = {
                "来电时间": lambda v: v["办理时限"],
                "办理时限": lambda v: v["来电时间"],
                "办结时间": None,
                "工单状态": "办理中",
                "是否解决": None,
                "满意度": None,
            }
            edits: list[dict] = [
                swap,
                dict(swap),
                {"来电时间": f"{year}-13-45 10:20:00"},
                {"诉求类型": "表扬"},
            ]
            df, _ = _with_bad_rows(
                df, ordinary, edits, "工单编号", lambda v, j: f"{v[:-6]}9{j:05d}"
            )
        path = out_dir / f"hotline_{year}Q{quarter}.csv"
        _write_text(
            path,
            f"{COUNTY_NAME}{year}年第{quarter}季度12345热线工单明细",
            stamp,
            df,
            "utf-8",
            separator="\t",
            bom=True,
        )
        files.append(path)
        rows += df.height
        advance(f"12345 {year}Q{quarter}", df.height * _WORK["csv"])
    return files, rows


def _write_reference(out_dir: Path) -> tuple[Path, Path, int]:
    towns = pl.DataFrame(
        {
            "乡镇代码": TOWN_CODES,
            "乡镇名称": TOWN_NAMES,
            "类型": [t.kind for t in _TOWNS],
            "网格行": [t.row for t in _TOWNS],
            "网格列": [t.col for t in _TOWNS],
        }
    )
    rows = [
        (d, t.code, "否" if (t.name, d) in _NOT_STATIONED else "是")
        for t in _TOWNS
        for d in DEPARTMENTS
    ]
    rows += [(d, None, "否") for d in COUNTY_DEPARTMENTS]
    depts = pl.DataFrame(rows, schema=["部门名称", "乡镇代码", "应进驻"], orient="row")
    towns_path, depts_path = out_dir / "towns.csv", out_dir / "departments.csv"
    towns.write_csv(towns_path)
    depts.write_csv(depts_path)
    return towns_path, depts_path, depts.height


# Relative cost of a row (for the progress fraction): generating it, writing it as CSV text,
# writing it into the .xlsx (xlsxwriter, cell by cell).
_WORK = {"core": 1.5, "csv": 2.0, "xlsx": 60.0}


class _Progress:
    """Calls progress(label, overall fraction done), the fraction by estimated work."""

    def __init__(self, callback: Callable[[str, float], None] | None):
        self.callback = callback
        self.total = 1.0
        self.done = 0.0

    def __call__(self, label: str, work: float) -> None:
        self.done += work
        if self.callback is not None:
            self.callback(label, min(self.done / self.total, 1.0) if self.total else 1.0)


_OUTPUT_PATTERNS = (
    "towns.csv",
    "departments.csv",
    "cases_*.csv",
    "cases_*.xlsx",
    "evaluations_*.csv",
    "hotline_*.csv",
)


def generate(
    out_dir: Path,
    seed: int = 7,
    scale: float = 1.0,
    end: date | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> DemoSummary:
    """Write the demo county's exports into `out_dir` (files of an earlier run there, by
    this generator's file names, are replaced) and say what was written.

    The data covers the 365 days ending on `end` (default today); the exports were taken at
    08:00 on `end`. `scale` multiplies the volume (1 = about 850,000 cases a year).
    """
    if not scale > 0:
        raise ValueError("scale must be positive")
    end = end or date.today()
    start = end - timedelta(days=364)
    extracted_at = datetime.combine(end, time(8, 0))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for pattern in _OUTPUT_PATTERNS:
        for old in out_dir.glob(pattern):
            old.unlink()

    n_days = 365
    cal = _Calendar(start, n_days + 120)  # room for deadlines and late completions
    extracted = cal.epoch0 + (n_days - 1) * _DAY + 8 * 3600
    report = _Progress(progress)
    report("准备", 0.0)
    cases = _cases_core(cal, n_days, extracted, scale, seed)
    evals = _evals_core(cal, n_days, cases, extracted, scale, seed)
    tickets = _tickets_core(cal, n_days, extracted, scale, seed)
    n_xlsx = int(np.isin(cal.month[cases.day], list(_xlsx_months(cal, n_days))).sum())
    core = _WORK["core"] * (len(cases) + len(evals) + len(tickets))
    report.total = core + _WORK["csv"] * (len(cases) - n_xlsx + len(evals) + len(tickets))
    report.total += _WORK["xlsx"] * n_xlsx
    report("生成", core)
    towns_path, depts_path, n_depts = _write_reference(out_dir)
    case_files, case_rows = _write_cases(out_dir, cal, n_days, cases, extracted_at, seed, report)
    eval_files, eval_rows = _write_evals(out_dir, cal, n_days, evals, extracted_at, seed, report)
    ticket_files, ticket_rows = _write_tickets(
        out_dir, cal, n_days, tickets, extracted_at, seed, report
    )
    report.done = report.total
    report("完成", 0.0)
    return DemoSummary(
        out_dir=out_dir,
        files=[towns_path, depts_path, *case_files, *eval_files, *ticket_files],
        counts={
            "cases": len(cases),
            "hotline": len(tickets),
            "evaluations": len(evals),
            "towns": len(_TOWNS),
            "departments": n_depts,
        },
        extracted_at=extracted_at,
        start=start,
        end=end,
        rows_written={"cases": case_rows, "hotline": ticket_rows, "evaluations": eval_rows},
    )
