"""办件抽查: the monthly random audit of cases ("每月不定期抽查办件信息录入软件情况、服务项目
办理情况以及办件资料归档情况").

The sample: for a month, N cases per department (town × department; setting
audit_sample.per_dept, default 5) out of the cases accepted that month — the rows behind the
figure 办件量 (dashboard.trace, indicator `cases`). A department with fewer cases gives all of
them. The order is an HMAC-SHA256, keyed with the installation's secret (etl/privacy.py), of
the month and the case id: no random-number state, so the same month of the same
installation always gives the same sample, and nobody outside the installation can predict
it from the case numbers.

County staff draw the month's sample (it is then kept as drawn: cases loaded later do not
change it) and record each configured check (audit_sample.checks) as 合格 or 不合格 with a
note. Town officials see their own towns' sample and results. A 不合格 finding can open a
ledger item (dashboard/manage/ledger.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from dashboard.auth import appdb
from dashboard.auth.access import Access
from dashboard.manage.common import (
    ManageError,
    clean_text,
    has_windows,
    parse_month,
    require_manager,
    require_signed_in,
    town_clause,
)
from dashboard.store import COUNTY, Scope, Store
from etl import settings

PASS, FAIL, UNCHECKED = "合格", "不合格", "未查"
RESULTS = (PASS, FAIL)
SAMPLE_COLUMNS = (
    "case_id",
    "town_code",
    "dept_name",
    "window_name",
    "item_name",
    "channel",
    "accepted_at",
    "completed_at",
    "status",
    "position",
)


def checks() -> tuple[str, ...]:
    """The checks of every drawn case (setting audit_sample.checks)."""
    names = tuple(str(c).strip() for c in settings.get("audit_sample.checks") if str(c).strip())
    if not names:
        raise ValueError("audit_sample.checks is empty")
    return names


def per_dept_default() -> int:
    return max(1, int(settings.get("audit_sample.per_dept")))


def order_key(secret: bytes, month: str, case_id: str) -> str:
    """Where a case stands in its department's draw for the month (lowest first)."""
    return hmac.new(secret, f"{month}\x1f{case_id}".encode(), hashlib.sha256).hexdigest()


def sample(
    store: Store,
    month: str,
    per_dept: int | None = None,
    secret: bytes | None = None,
    scope: Scope = COUNTY,
) -> pl.DataFrame:
    """The month's sample as derived now: per department, its `per_dept` cases with the lowest
    order key (all of them when it has fewer), in SAMPLE_COLUMNS, ordered by town,
    department and position (1 = first drawn)."""
    from dashboard.domain.metrics import default_as_of
    from dashboard.domain.trace import rows_behind
    from etl.privacy import load_or_create_secret

    start, end = parse_month(month)
    n = per_dept_default() if per_dept is None else int(per_dept)
    if n < 1:
        raise ManageError("每个部门至少抽取 1 件")
    key = secret if secret is not None else load_or_create_secret()
    rows = rows_behind(store, "cases", start, end, as_of=default_as_of(store), scope=scope)
    if rows.is_empty():
        return _empty()
    keys = [order_key(key, month, cid) for cid in rows["case_id"].to_list()]
    frame = (
        rows.with_columns(pl.Series("order_key", keys, dtype=pl.String))
        .sort("town_code", "dept_name", "order_key")
        .with_columns((pl.int_range(pl.len()).over("town_code", "dept_name") + 1).alias("position"))
        .filter(pl.col("position") <= n)
    )
    windows = _windows(store, frame["case_id"].to_list(), scope)
    frame = frame.join(windows, on="case_id", how="left")
    return frame.select(SAMPLE_COLUMNS).with_columns(pl.col("position").cast(pl.Int64))


def _windows(store: Store, case_ids: list[str], scope: Scope) -> pl.DataFrame:
    if not case_ids or not has_windows(store):
        return pl.DataFrame(
            {"case_id": case_ids, "window_name": [None] * len(case_ids)},
            schema={"case_id": pl.String, "window_name": pl.String},
        )
    return store.sql(
        "select case_id, window_name from cases "
        "where list_contains($towns, town_code) and list_contains($ids, case_id)",
        {"ids": case_ids},
        scope=scope,
    )


def _empty() -> pl.DataFrame:
    schema = {c: pl.String for c in SAMPLE_COLUMNS}
    schema.update({"accepted_at": pl.Datetime, "completed_at": pl.Datetime, "position": pl.Int64})
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class DrawInfo:
    month: str
    cases: int
    departments: int
    drawn_at: str
    drawn_by: str


def draw_info(month: str) -> DrawInfo | None:
    """Whether (and when, by whom) the month's sample was drawn; None: not yet."""
    parse_month(month)
    row = (
        appdb.connect()
        .execute(
            "select count(*) as n, count(distinct town_code || '|' || dept_name) as depts, "
            "min(drawn_at) as drawn_at, min(drawn_by) as drawn_by "
            "from audit_draws where month = ?",
            (month,),
        )
        .fetchone()
    )
    if not row["n"]:
        return None
    return DrawInfo(month, row["n"], row["depts"], row["drawn_at"], row["drawn_by"])


def draw(store: Store, viewer: Access, month: str, per_dept: int | None = None) -> DrawInfo:
    """Draw and keep the month's sample (county staff, every town)."""
    require_manager(viewer, "抽取样本")
    if draw_info(month) is not None:
        raise ManageError("本月样本已抽取")
    frame = sample(store, month, per_dept)
    if frame.is_empty():
        raise ManageError("该月没有受理的办件")
    now = appdb.now()
    with appdb.transaction() as con:
        if con.execute("select 1 from audit_draws where month = ? limit 1", (month,)).fetchone():
            raise ManageError("本月样本已抽取")
        con.executemany(
            "insert into audit_draws (month, case_id, town_code, dept_name, window_name, "
            "item_name, channel, accepted_at, completed_at, status, position, drawn_at, "
            "drawn_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    month,
                    r["case_id"],
                    r["town_code"],
                    r["dept_name"],
                    r["window_name"],
                    r["item_name"],
                    r["channel"],
                    _text(r["accepted_at"]),
                    _text(r["completed_at"]),
                    r["status"],
                    r["position"],
                    now,
                    viewer.user or "",
                )
                for r in frame.iter_rows(named=True)
            ],
        )
    info = draw_info(month)
    assert info is not None
    return info


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def drawn(viewer: Access, month: str, towns: tuple[str, ...] = ()) -> list[dict]:
    """The kept sample of the month, the viewer's towns only (and `towns`, when given)."""
    import json

    require_signed_in(viewer)
    parse_month(month)
    clause, params = town_clause(viewer)
    where = ["month = ?", clause]
    values: list = [month, *params]
    if towns:
        where.append("town_code in (select value from json_each(?))")
        values.append(json.dumps(sorted(set(towns))))
    rows = (
        appdb.connect()
        .execute(
            f"select {', '.join(SAMPLE_COLUMNS)} from audit_draws where {' and '.join(where)} "
            "order by town_code, dept_name, position",
            values,
        )
        .fetchall()
    )
    return [dict(r) for r in rows]


def results(viewer: Access, month: str) -> dict[tuple[str, str], dict]:
    """(case_id, check) → {result, note, checked_by, checked_at}, for the viewer's towns."""
    require_signed_in(viewer)
    clause, params = town_clause(viewer, "d.town_code")
    rows = (
        appdb.connect()
        .execute(
            "select c.case_id, c.check_name, c.result, c.note, c.checked_by, c.checked_at "
            "from audit_checks c join audit_draws d on d.month = c.month and d.case_id = c.case_id "
            f"where c.month = ? and {clause}",
            [month, *params],
        )
        .fetchall()
    )
    return {(r["case_id"], r["check_name"]): dict(r) for r in rows}


def record(viewer: Access, month: str, case_id: str, outcomes: dict[str, tuple[str, str]]) -> int:
    """Record checks of one drawn case: check → (合格 | 不合格 | 未查 or '' to clear, note).
    A 不合格 needs a note saying what was wrong. Returns how many checks were written."""
    require_manager(viewer, "记录抽查结果")
    known = checks()
    row = (
        appdb.connect()
        .execute("select 1 from audit_draws where month = ? and case_id = ?", (month, case_id))
        .fetchone()
    )
    if row is None:
        raise ManageError("该办件不在本月样本中")
    now, written = appdb.now(), 0
    with appdb.transaction() as con:
        for name, (result, note) in outcomes.items():
            if name not in known:
                raise ManageError(f"未知的抽查项目:{name[:20]}")
            note = clean_text(note, "说明", required=False)
            if result in ("", UNCHECKED):
                con.execute(
                    "delete from audit_checks where month = ? and case_id = ? and check_name = ?",
                    (month, case_id, name),
                )
                continue
            if result not in RESULTS:
                raise ManageError("抽查结果应为 合格 或 不合格")
            if result == FAIL and not note:
                raise ManageError(f"“{name}”不合格,请说明问题")
            con.execute(
                "insert into audit_checks (month, case_id, check_name, result, note, "
                "checked_by, checked_at) values (?, ?, ?, ?, ?, ?, ?) "
                "on conflict (month, case_id, check_name) do update set result = "
                "excluded.result, note = excluded.note, checked_by = excluded.checked_by, "
                "checked_at = excluded.checked_at",
                (month, case_id, name, result, note, viewer.user or "", now),
            )
            written += 1
    return written


def summaries(
    rows: list[dict], found: dict[tuple[str, str], dict]
) -> tuple[list[dict], list[dict]]:
    """Per department and per town: drawn cases, cases fully checked, cases with a 不合格,
    不合格 findings, and per check the 合格 count."""
    names = checks()

    def empty(keys: dict) -> dict:
        return {
            **keys,
            "drawn": 0,
            "checked": 0,
            "failed_cases": 0,
            "findings": 0,
            **{f"pass:{n}": 0 for n in names},
        }

    by_dept: dict[tuple, dict] = {}
    by_town: dict[str, dict] = {}
    for r in rows:
        dept = by_dept.setdefault(
            (r["town_code"], r["dept_name"]),
            empty({"town_code": r["town_code"], "dept_name": r["dept_name"]}),
        )
        town = by_town.setdefault(r["town_code"], empty({"town_code": r["town_code"]}))
        outcomes = [found.get((r["case_id"], n)) for n in names]
        fails = sum(1 for o in outcomes if o and o["result"] == FAIL)
        for agg in (dept, town):
            agg["drawn"] += 1
            agg["checked"] += all(outcomes)
            agg["failed_cases"] += fails > 0
            agg["findings"] += fails
            for n, o in zip(names, outcomes, strict=True):
                agg[f"pass:{n}"] += bool(o and o["result"] == PASS)
    return list(by_dept.values()), list(by_town.values())


def export_rows(
    rows: list[dict], found: dict[tuple[str, str], dict], town_names: dict[str, str]
) -> list[dict]:
    """One record per drawn case with every check's result and note (CSV, the CLI)."""
    out = []
    for r in rows:
        record_ = {
            "乡镇": town_names.get(r["town_code"], r["town_code"]),
            "部门": r["dept_name"],
            "受理窗口": r.get("window_name") or "",
            "序号": r["position"],
            "办件编号": r["case_id"],
            "事项名称": r["item_name"] or "",
            "申报方式": r["channel"] or "",
            "受理时间": _text(r["accepted_at"]) or "",
            "办结时间": _text(r["completed_at"]) or "",
            "办件状态": r["status"] or "",
        }
        by, at = "", ""
        for name in checks():
            o = found.get((r["case_id"], name))
            record_[name] = o["result"] if o else ""
            record_[f"{name}说明"] = o["note"] if o else ""
            if o:
                by, at = o["checked_by"], max(at, o["checked_at"])
        record_["抽查人"] = by
        record_["抽查时间"] = at
        out.append(record_)
    return out
