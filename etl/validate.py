"""Rows as text → typed rows for the store, or rejects with a reason code.

The staging query is generated from the source's declared columns (etl/sources), so the
contract is stated once. Every data row leaves with either a typed value for every column
or exactly one reason code (the first rule it breaks, in the order of REASONS) and a
Chinese detail naming the column and the value.
"""

from __future__ import annotations

from etl.sources import Column, Source
from etl.sources.evaluations import RATINGS

# Reason codes, in the order rules are checked. Kept stable: they are stored and reported.
REASONS: dict[str, str] = {
    "missing_required": "必填项为空",
    "bad_timestamp": "时间格式无法识别",
    "bad_number": "数字格式错误",
    "invalid_value": "取值不在允许范围内",
    "unknown_town": "乡镇不在乡镇名录(towns.csv)中",
    "negative_promised_days": "承诺时限为负数",
    "negative_paused_days": "特别程序天数为负数",
    "completed_before_accepted": "办结时间早于受理时间",
    "due_before_received": "办理时限或办结时间早于来电时间",
    "superseded_in_file": "同一编号在本文件后面再次出现且内容不同,以后者为准",
}

# Cells that mean "no value" (contract §1). In a required column they count as missing.
NULL_TOKENS = ("", "-", "/", "无", "null", "NULL", "Null", "－", "／")

TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
)

YES = ("是", "Y", "y", "yes", "Yes", "YES", "1", "true", "TRUE")
NO = ("否", "N", "n", "no", "No", "NO", "0", "false", "FALSE")


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


def _cell(col: Column) -> str:
    """The cell as text, 'no value' tokens turned into NULL."""
    q = f'"{col.name}"'
    tokens = ", ".join(_lit(t) for t in NULL_TOKENS)
    return f"case when trim({q}) in ({tokens}) then null else trim({q}) end"


def _aliased(col: Column, aliases: dict[str, dict[str, str]]) -> str:
    mapping = aliases.get(col.name, {})
    if not mapping:
        return f"c_{col.name}"
    keys = _list(mapping.keys())
    vals = _list(mapping.values())
    return f"coalesce(map_from_entries(list_zip({keys}, {vals}))[c_{col.name}], c_{col.name})"


def _typed(
    col: Column,
    aliases: dict[str, dict[str, str]],
    carried: frozenset[str] | None = None,
    plain: frozenset[str] = frozenset(),
) -> tuple[str, str | None, str | None]:
    """(typed expression, failure condition, failure reason) for one column."""
    c = f"c_{col.name}"
    if col.kind == "timestamp":
        expr = f"try_strptime({c}, {_list(TIMESTAMP_FORMATS)})::timestamp"
        return expr, f"{c} is not null and t_{col.name} is null", "bad_timestamp"
    if col.kind == "integer":
        expr = (
            f"case when regexp_full_match({c}, '-?[0-9]+(\\.0+)?') "
            f"then try_cast(try_cast({c} as double) as integer) end"
        )
        return expr, f"{c} is not null and t_{col.name} is null", "bad_number"
    if col.kind == "choice":
        v = _aliased(col, aliases)
        allowed = ", ".join(_lit(a) for a in col.allowed)
        if col.other is not None:  # any other text is kept as `other` (raw text aside)
            other = _lit(col.other)
            expr = (
                f"case when ({v}) in ({allowed}) then ({v}) when {c} is not null then {other} end"
            )
            return expr, None, None
        expr = f"case when ({v}) in ({allowed}) then ({v}) end"
        return expr, f"{c} is not null and t_{col.name} is null", "invalid_value"
    if col.kind == "rating":
        words = ", ".join(f"{_lit(k)}: {v}" for k, v in RATINGS.items())
        expr = (
            f"coalesce(map {{{words}}}[{c}], case when {c} in ('1','2','3','4','5') "
            f"then {c}::tinyint end)::tinyint"
        )
        return expr, f"{c} is not null and t_{col.name} is null", "invalid_value"
    if col.kind == "yesno":
        yes, no = ", ".join(map(_lit, YES)), ", ".join(map(_lit, NO))
        expr = f"case when {c} in ({yes}) then true when {c} in ({no}) then false end"
        return expr, f"{c} is not null and t_{col.name} is null", "invalid_value"
    if col.kind == "town":
        # one map of code-or-name -> code, built once per query (a scalar subquery)
        expr = f"(select town_map from town_lookup)[{c}]"
        return expr, f"{c} is not null and t_{col.name} is null", "unknown_town"
    if col.kind == "pii_hash":
        return f"pii_hash({c})", None, None
    if col.kind == "pii_name":
        return f"mask_name({c})", None, None
    if col.kind in ("text", "free_text"):
        masked = c if col.name in plain else f"mask_text({c})"
        if col.empty_is_no and carried is not None and col.name in carried:
            return f"coalesce({masked}, '')", None, None
        return masked, None, None
    return c, None, None  # id


def _detail(col: Column, reason: str) -> str:
    """The Chinese detail of a reject; the value it quotes is masked like every stored text."""
    label = col.header
    value = f"'「' || mask_text(c_{col.name}) || '」'"
    text = {
        "missing_required": f"'{label}为空'",
        "bad_timestamp": f"'{label} ' || {value} || ' 不是有效时间'",
        "bad_number": f"'{label} ' || {value} || ' 不是整数'",
        "invalid_value": f"'{label} ' || {value} || ' 不在允许取值内'",
        "unknown_town": f"'{label} ' || {value} || ' 不在乡镇名录中'",
    }[reason]
    return text


def raw_column(col: Column) -> str | None:
    """The extra staged column that keeps a choice's text when it is stored as `other`."""
    return f"{col.name}_raw" if col.other is not None else None


def staging_sql(
    source: Source,
    aliases: dict[str, dict[str, str]] | None = None,
    carried: frozenset[str] | None = None,
    plain: frozenset[str] = frozenset(),
) -> str:
    """SQL over the view `raw` (_row + one text column per declared column) giving
    _row, every typed column (but supplementary ones the file lacks), reason (NULL when
    valid) and detail.

    `carried`: the columns the file has a header for (None: all); an `empty_is_no` column
    the file carries stores an empty cell as ''. `plain`: text columns in which no value
    holds four digits in a row, so that masking would change nothing (load.py finds them
    with one vectorised scan, much cheaper than masking every value in SQL)."""
    aliases = aliases or {}
    # a supplementary column (contract §3a) the file lacks is NULL, with nothing to check
    absent = {
        c.name
        for c in source.columns
        if c.supplementary and carried is not None and c.name not in carried
    }
    cols = tuple(c for c in source.columns if c.name not in absent)
    cells = ",\n        ".join(f"{_cell(c)} as c_{c.name}" for c in cols)
    typed_parts, checks = [], []
    for c in cols:
        if c.required:
            checks.append(
                (f"c_{c.name} is null", "missing_required", _detail(c, "missing_required"))
            )
    by_reason: dict[str, list[tuple[str, str]]] = {}
    for c in cols:
        expr, fail, reason = _typed(c, aliases, carried, plain)
        typed_parts.append(f"{expr} as t_{c.name}")
        if raw_column(c):
            v = _aliased(c, aliases)
            allowed = ", ".join(_lit(a) for a in c.allowed)
            typed_parts.append(
                f"case when ({v}) not in ({allowed}) then mask_text(c_{c.name}) end"
                f" as t_{raw_column(c)}"
            )
        if fail:
            by_reason.setdefault(reason, []).append((fail, _detail(c, reason)))
    for reason in REASONS:
        for fail, detail in by_reason.get(reason, []):
            checks.append((fail, reason, detail))
    names = {c.name for c in cols}
    if source.name == "towns":
        checks.append(
            (
                "not regexp_full_match(t_town_code, '[0-9]{12}')",
                "invalid_value",
                "'乡镇代码「' || mask_text(t_town_code) || '」不是12位统计区划代码'",
            )
        )
    if source.name == "counties":
        checks.append(
            (
                "not regexp_full_match(t_county_code, '[0-9]{6}')",
                "invalid_value",
                "'县区代码「' || mask_text(t_county_code) || '」不是6位县级区划代码'",
            )
        )
    if "promised_days" in names:
        checks.append(
            (
                "t_promised_days < 0",
                "negative_promised_days",
                "'承诺时限 ' || t_promised_days || ' 为负数'",
            )
        )
    if "paused_days" in names:
        checks.append(
            (
                "t_paused_days < 0",
                "negative_paused_days",
                "'特别程序天数 ' || t_paused_days || ' 为负数'",
            )
        )
    if {"completed_at", "accepted_at"} <= names:
        checks.append(
            (
                "t_completed_at < t_accepted_at",
                "completed_before_accepted",
                "'办结时间 ' || t_completed_at || ' 早于受理时间 ' || t_accepted_at",
            )
        )
    if {"received_at", "due_at"} <= names:
        checks.append(
            (
                "t_due_at < t_received_at or t_completed_at < t_received_at",
                "due_before_received",
                "'办理时限或办结时间早于来电时间 ' || t_received_at",
            )
        )
    reason_case = "case " + " ".join(f"when {f} then '{r}'" for f, r, _ in checks) + " end"
    detail_case = "case " + " ".join(f"when {f} then {d}" for f, _, d in checks) + " end"
    typed = ",\n        ".join(typed_parts)
    # absent supplementary columns are left out: the insert leaves them NULL, and no row
    # carries ten empty columns through the load
    out_names = [n for c in cols for n in (c.name, raw_column(c)) if n]
    out_cols = ", ".join(f"t_{n} as {n}" for n in out_names)
    return f"""
with town_lookup as (
    select map_from_entries(list(distinct {{'k': k, 'v': town_code}})) as town_map
    from (
        select town_code as k, town_code from towns
        union all
        select town_name, min(town_code) from towns group by town_name
    )
),
cells as (
    select _row,
        {cells}
    from raw
),
typed as (
    select *,
        {typed}
    from cells
)
select _row, {out_cols},
    {reason_case} as reason,
    {detail_case} as detail
from typed
"""
