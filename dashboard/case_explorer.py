"""办件查询: the grid's sort and filter models turned into one parameterised SQL over `cases`,
and the export of every filtered row to CSV or Excel, safe against formula injection.

The grid (AG Grid's infinite row model) asks for one block of rows at a time with its sort
and filter models; the browser never holds more than a few blocks. Only the columns in
COLUMNS can be sorted or filtered, only the operators below are understood, and every value
a user typed is a bound parameter: no text from the browser is ever spliced into SQL.
Personal data leaves the store as stored — masked names and keyed hashes, never numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any, Literal

from dashboard import errors, exports, labels
from dashboard.domain import indicators
from dashboard.filters import Filters
from dashboard.store import COUNTY, Scope, Store
from etl import settings

Kind = Literal["text", "number", "date"]

MAX_CONDITIONS = 4  # conditions per column filter
TIME_FORMAT = exports.TIME_FORMAT
FORMULA_PREFIXES = exports.FORMULA_PREFIXES
neutralise = exports.neutralise


@dataclass(frozen=True)
class Column:
    field: str  # the grid's colId
    sql: str  # expression over cases `c` and towns `t`
    kind: Kind
    in_grid: bool = True  # False: export only

    @property
    def label(self) -> str:
        return labels.CASE_FIELDS[self.field]


COLUMNS: tuple[Column, ...] = (
    Column("case_id", "c.case_id", "text"),
    Column("town_name", "t.town_name", "text"),
    Column("dept_name", "c.dept_name", "text"),
    Column("item_code", "c.item_code", "text"),
    Column("item_name", "c.item_name", "text"),
    Column("channel", "c.channel", "text"),
    Column("status", "c.status", "text"),
    Column("accepted_at", "c.accepted_at", "date"),
    Column("promised_days", "c.promised_days", "number"),
    Column("deadline_at", "c.deadline_at", "date"),
    Column("completed_at", "c.completed_at", "date"),
    Column("recorded_at", "c.recorded_at", "date"),
    Column("applicant_masked", "c.applicant_masked", "text"),
    Column("town_code", "c.town_code", "text", in_grid=False),
    Column("id_number_hash", "c.id_number_hash", "text", in_grid=False),
    Column("phone_hash", "c.phone_hash", "text", in_grid=False),
)
BY_FIELD = {c.field: c for c in COLUMNS}
GRID_COLUMNS = tuple(c for c in COLUMNS if c.in_grid)
DEFAULT_SORT = (("accepted_at", "desc"),)
# the states 办件查询 can filter on: figures of the registry (their flags), and 即办件
FLAG_LABELS = {
    "overdue_open": "超期未办结",
    "warning_open": "超时预警",
    "overdue_completed": "超期办结",
    "instant": "即办件",
}

TEXT_OPS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith")
NUMBER_OPS = (
    "equals",
    "notEqual",
    "lessThan",
    "lessThanOrEqual",
    "greaterThan",
    "greaterThanOrEqual",
    "inRange",
)
DATE_OPS = ("equals", "notEqual", "lessThan", "greaterThan", "inRange")
BLANK_OPS = ("blank", "notBlank")
OPERATORS: dict[Kind, tuple[str, ...]] = {
    "text": TEXT_OPS + BLANK_OPS,
    "number": NUMBER_OPS + BLANK_OPS,
    "date": DATE_OPS + BLANK_OPS,
}
_COMPARE = {
    "equals": "=",
    "lessThan": "<",
    "lessThanOrEqual": "<=",
    "greaterThan": ">",
    "greaterThanOrEqual": ">=",
}


class BadRequest(errors.BadRequest):
    """A sort or filter the explorer does not offer (unknown column, operator or value)."""


class TooManyRows(RuntimeError):
    """The filtered rows exceed the export limit."""

    def __init__(self, rows: int, limit: int):
        super().__init__(f"{rows:,} rows exceed the export limit of {limit:,}")
        self.rows, self.limit = rows, limit


def export_max_rows() -> int:
    """The configured export limit (setting `export.max_rows`)."""
    return int(settings.get("export.max_rows"))


@dataclass
class _Params:
    values: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


@dataclass(frozen=True)
class CaseQuery:
    """The rows the explorer shows: the shell's filters (period by acceptance time, towns,
    departments, channel), a state (超期未办结 …: the very flags the figures count) and the
    grid's sort and filter models, validated."""

    date_from: date
    date_to: date  # inclusive
    scope: Scope = COUNTY
    depts: tuple[str, ...] = ()
    channel: str = ""
    sort: tuple[tuple[str, str], ...] = DEFAULT_SORT
    filters: tuple[tuple[str, dict], ...] = ()
    flag: str = ""  # one of FLAG_LABELS, "" for every case
    as_of: datetime | None = None  # the moment the open-case states are judged at

    @classmethod
    def build(
        cls,
        filters: Filters,
        as_of: datetime,
        sort_model: list[dict] | None = None,
        filter_model: dict | None = None,
    ) -> CaseQuery:
        period = filters.resolve(as_of)
        flag = filters.extra.get("flag", "")
        if flag and flag not in FLAG_LABELS:
            raise BadRequest("未知的办件状态筛选")
        return cls(
            date_from=period.start,
            date_to=period.end,
            scope=filters.scope(),
            depts=tuple(filters.depts),
            channel=filters.channel,
            sort=_sort(sort_model),
            filters=_filters(filter_model),
            flag=flag,
            as_of=as_of,
        )

    def _where(self, params: _Params) -> str:
        start = datetime.combine(self.date_from, datetime.min.time())
        end = datetime.combine(self.date_to + timedelta(days=1), datetime.min.time())
        where = [
            f"c.accepted_at >= {params.bind(start)}",
            f"c.accepted_at < {params.bind(end)}",
            "list_contains($towns, c.town_code)",  # bound by the Store: the viewer's towns
        ]
        if self.depts:
            where.append(f"list_contains({params.bind(list(self.depts))}, c.dept_name)")
        if self.channel:
            where.append(f"c.channel = {params.bind(self.channel)}")
        if self.flag:
            where.append(self._flag_condition(params))
        for name, model in self.filters:
            where.append(_condition(BY_FIELD[name], model, params))
        return " and ".join(where)

    def _flag_condition(self, params: _Params) -> str:
        """The cases of a state, by the very flags the figures count
        (etl/sql/flags/01_records.sql)."""
        if self.flag == "instant":
            return "c.promised_days = 0"  # 即办件 (contract §3)
        flags = indicators.get(self.flag).trace
        call = (
            flags.flags.replace("$as_of", params.bind(self.as_of))
            .replace(
                "$online_channels", params.bind(list(settings.get("indicators.online_channels")))
            )
            .replace(
                "$horizon", params.bind(int(settings.get("indicators.warning_horizon_workdays")))
            )
        )
        return f"c.case_id in (select case_id from {call} where {flags.rows})"

    def _order(self) -> str:
        keys = [f"{BY_FIELD[f].sql} {d} nulls last" for f, d in self.sort]
        return ", ".join([*keys, "c.case_id"])

    def _towns_join(self) -> str:
        """The towns join, where a sort or filter on the town's name needs it."""
        used = {f for f, _ in self.sort} | {f for f, _ in self.filters}
        return " left join towns t on t.town_code = c.town_code" if "town_name" in used else ""

    def page_sql(self, start: int, end: int) -> tuple[str, dict]:
        """One block of grid rows [start, end), timestamps as text.

        The block is found on the sort keys and case ids alone, and only its rows are then
        read whole (joined back on case_id, which both store formats have — a Parquet
        view has no row ids): sorting a year of cases never carries their text columns along.
        """
        params = _Params()
        select = ", ".join(
            f"strftime({c.sql}, '{TIME_FORMAT}') as {c.field}"
            if c.kind == "date"
            else f"{c.sql} as {c.field}"
            for c in GRID_COLUMNS
        )
        keys = ", ".join(f"{BY_FIELD[f].sql} as s{i}" for i, (f, _) in enumerate(self.sort))
        order = ", ".join(f"s{i} {d} nulls last" for i, (_, d) in enumerate(self.sort))
        again = ", ".join(f"block.s{i} {d} nulls last" for i, (_, d) in enumerate(self.sort))
        limit = params.bind(max(0, min(int(end) - int(start), 1000)))
        offset = params.bind(max(0, int(start)))
        sql = (
            f"with block as (select {keys}, c.case_id as tie "
            f"from cases c{self._towns_join()} where {self._where(params)} "
            f"order by {order}, tie limit {limit} offset {offset}) "
            f"select {select} from block join cases c on c.case_id = block.tie "
            f"left join towns t on t.town_code = c.town_code "
            f"order by {again}, block.tie"
        )
        return sql, params.values

    def count_sql(self) -> tuple[str, dict]:
        params = _Params()
        sql = f"select count(*) as n from cases c{self._towns_join()} where {self._where(params)}"
        return sql, params.values

    def export_sql(self) -> tuple[str, dict]:
        params = _Params()
        select = ", ".join(f"{c.sql} as {c.field}" for c in COLUMNS)
        sql = (
            f"select {select} from cases c left join towns t on t.town_code = c.town_code "
            f"where {self._where(params)} order by {self._order()}"
        )
        return sql, params.values


def _sort(model: list[dict] | None) -> tuple[tuple[str, str], ...]:
    if not model:
        return DEFAULT_SORT
    if not isinstance(model, list):
        raise BadRequest("排序参数无效")
    keys = []
    for item in model[:3]:
        column = item.get("colId") if isinstance(item, dict) else None
        direction = item.get("sort") if isinstance(item, dict) else None
        if (
            not isinstance(column, str)
            or column not in BY_FIELD
            or direction not in ("asc", "desc")
        ):
            raise BadRequest(f"不能按 {str(column)[:40]} 排序")
        keys.append((column, direction))
    return tuple(keys)


def _filters(model: dict | None) -> tuple[tuple[str, dict], ...]:
    if not model:
        return ()
    if not isinstance(model, dict):
        raise BadRequest("筛选参数无效")
    if len(model) > len(BY_FIELD):
        raise BadRequest("筛选参数无效")
    for name in model:
        if name not in BY_FIELD:
            raise BadRequest(f"不能按 {str(name)[:40]} 筛选")
    return tuple(sorted(model.items()))


def _condition(column: Column, model: dict, params: _Params) -> str:
    """One column's filter as SQL: a condition, or several joined by AND/OR."""
    if not isinstance(model, dict):
        raise BadRequest(f"{column.label} 的筛选条件无效")
    if "conditions" in model:
        parts = model["conditions"]
        operator = model.get("operator", "AND")
        joiner = {"AND": " and ", "OR": " or "}.get(operator if isinstance(operator, str) else "")
        if not isinstance(parts, list) or not parts or len(parts) > MAX_CONDITIONS or not joiner:
            raise BadRequest(f"{column.label} 的组合筛选条件无效")
        return "(" + joiner.join(_condition(column, p, params) for p in parts) + ")"
    kind = model.get("filterType", column.kind)
    op = model.get("type")
    if kind != column.kind or op not in OPERATORS[column.kind]:
        raise BadRequest(f"{column.label} 不支持这种筛选方式")
    x = column.sql
    if op == "blank":
        return f"({x} is null or {x}::varchar = '')" if kind == "text" else f"{x} is null"
    if op == "notBlank":
        return f"({x} is not null and {x}::varchar <> '')" if kind == "text" else f"{x} is not null"
    if kind == "text":
        return _text(x, op, _text_value(model.get("filter")), params)
    if kind == "number":
        return _number(x, op, model, params)
    return _date(x, op, model, params)


def _text_value(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadRequest("文本筛选需要填写内容")
    return str(value)[:200]


def _text(x: str, op: str, value: str, params: _Params) -> str:
    p = params.bind(value.lower())
    return {
        "contains": f"contains(lower({x}), {p})",
        "notContains": f"not contains(lower(coalesce({x}, '')), {p})",
        "equals": f"lower({x}) = {p}",
        "notEqual": f"lower({x}) is distinct from {p}",
        "startsWith": f"starts_with(lower({x}), {p})",
        "endsWith": f"suffix(lower({x}), {p})",
    }[op]


def _number_value(value: Any) -> float:
    if isinstance(value, bool):
        raise BadRequest("数字筛选需要填写数字")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"不是数字:{str(value)[:40]}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise BadRequest(f"不是数字:{str(value)[:40]}")
    return number


def _number(x: str, op: str, model: dict, params: _Params) -> str:
    value = params.bind(_number_value(model.get("filter")))
    if op == "inRange":
        upper = params.bind(_number_value(model.get("filterTo")))
        return f"{x} between {value} and {upper}"
    if op == "notEqual":
        return f"{x} is distinct from {value}"
    return f"{x} {_COMPARE[op]} {value}"


def _day(value: Any) -> datetime:
    """AG Grid sends dates as 'YYYY-MM-DD hh:mm:ss'; the filters work on whole days."""
    if not isinstance(value, str):
        raise BadRequest("日期筛选需要填写日期")
    try:
        return datetime.combine(date.fromisoformat(value.strip()[:10]), datetime.min.time())
    except ValueError:
        raise BadRequest(f"不是日期:{str(value)[:40]}") from None


def _date(x: str, op: str, model: dict, params: _Params) -> str:
    day = _day(model.get("dateFrom"))
    if op == "inRange":  # both days included (the grid is set to inRangeInclusive)
        last = _day(model.get("dateTo"))
        first, last = min(day, last), max(day, last)
        return f"({x} >= {params.bind(first)} and {x} < {params.bind(last + timedelta(1))})"
    start, end = params.bind(day), params.bind(day + timedelta(days=1))
    return {
        "equals": f"({x} >= {start} and {x} < {end})",
        "notEqual": f"({x} is null or {x} < {start} or {x} >= {end})",
        "lessThan": f"{x} < {start}",
        "greaterThan": f"{x} >= {end}",
    }[op]


# --------------------------------------------------------------------------- reading


def count(store: Store, query: CaseQuery) -> int:
    """How many rows match (the Store keeps the answer for the generation and viewer)."""
    sql, params = query.count_sql()
    return int(store.sql(sql, params, scope=query.scope)["n"][0])


MAX_ROW = 100_000_000  # no county has more cases; beyond it a request is malformed
MAX_BLOCK = 1000  # rows one block request may ask for


def block_bounds(start: Any, end: Any) -> tuple[int, int]:
    """A grid's block request [startRow, endRow) checked: whole numbers, in range, at most
    MAX_BLOCK rows. Anything else is a 400, not a 500."""
    bounds = []
    for value in (start, end):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value != int(value)
        ):
            raise BadRequest("分页参数无效")
        bounds.append(int(value))
    first, last = bounds
    if not 0 <= first <= last <= MAX_ROW:
        raise BadRequest("分页参数超出范围")
    return first, min(last, first + MAX_BLOCK)


def page(store: Store, query: CaseQuery, start: int, end: int) -> list[dict]:
    """The grid rows [start, end) as JSON-ready dicts."""
    start, end = block_bounds(start, end)
    sql, params = query.page_sql(start, end)
    return store.sql(sql, params, scope=query.scope).to_dicts()


# --------------------------------------------------------------------------- export


def batches(store: Store, query: CaseQuery, max_rows: int | None = None) -> exports.Batches:
    """Every filtered row, batch by batch; TooManyRows at once when over the limit."""
    most = export_max_rows() if max_rows is None else max_rows
    rows = count(store, query)
    if rows > most:
        raise TooManyRows(rows, most)
    sql, params = query.export_sql()
    return exports.stream(store, sql, params, query.scope)


def export_csv(
    store: Store, query: CaseQuery, max_rows: int | None = None, signature: str | None = None
) -> Iterator[bytes]:
    """Every filtered row as CSV (dashboard/exports.py): formulas neutralised, the
    signature last. Raises TooManyRows before the first byte."""
    rows = batches(store, query, max_rows)
    first = next(rows, None)  # opens the stream now, not halfway through a download
    return exports.csv_chunks([c.label for c in COLUMNS], exports.chained(first, rows), signature)


def export_xlsx(
    store: Store,
    query: CaseQuery,
    target: IO[bytes],
    max_rows: int | None = None,
    signature: str | None = None,
) -> int:
    """Every filtered row into an .xlsx (dashboard/exports.py). Returns the data rows."""
    wide = [i for i, c in enumerate(COLUMNS) if c.kind == "date"]
    return exports.xlsx_write(
        target, [c.label for c in COLUMNS], batches(store, query, max_rows), signature, "办件", wide
    )
