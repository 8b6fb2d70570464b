"""The planted problems: departments that handle cases outside the platform (体外循环), and
the bad, repeated and updated rows a correct loader must reject or count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from etl.demo.county import COUNTY_CODE, DEPARTMENTS, TOWN_CODES, _code


@dataclass(frozen=True)
class Planted:
    """A department planted as handling cases outside the platform (体外循环)."""

    town_code: str
    dept_name: str
    signal: str  # late_entry | batch_entry | instant_closure | missing_case_refs |
    #              evals_without_cases | stationed_silent


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


def _planted_mask(town: np.ndarray, dept: np.ndarray) -> np.ndarray:
    out = np.zeros(len(town), dtype=bool)
    for p in PLANTED:
        out |= (town == TOWN_CODES.index(p.town_code)) & (dept == DEPARTMENTS.index(p.dept_name))
    return out


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


def _bad_case_id(case_id: str, i: int) -> str:
    return f"{case_id[:-5]}9{i:04d}"


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


def _plant_eval_rows(df: pl.DataFrame, ordinary: np.ndarray, year: int) -> pl.DataFrame:
    """好差评 file 2: invalid_value (评价等级), missing_required (评价部门), unknown_town,
    bad_timestamp, and one repeated row."""
    edits: list[dict] = [
        {"评价等级": "很好"},
        {"评价部门": None},
        {"乡镇(街道)": "桃花岛镇"},
        {"评价时间": f"{year}-02-30 10:00:00"},
    ]
    out, _ = _with_bad_rows(df, ordinary, edits, "评价编号", lambda v, j: f"{v[:-6]}9{j:05d}")
    return out


def _plant_ticket_rows(df: pl.DataFrame, ordinary: np.ndarray, year: int) -> pl.DataFrame:
    """12345 file 1: due_before_received ×2, bad_timestamp, invalid_value (诉求类型), and one
    repeated row."""
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
    out, _ = _with_bad_rows(df, ordinary, edits, "工单编号", lambda v, j: f"{v[:-6]}9{j:05d}")
    return out
