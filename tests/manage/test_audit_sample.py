"""办件抽查: the sample is reproducible (same month and installation: same cases, in another
process too), covers every department that has cases (all of a small one's), changes with
the month and the secret; drawing keeps it; checks are county staff's, and a town official
reads only their own towns'."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from dashboard.auth.access import AccessDenied
from tests.manage.conftest import TOWN, viewer

pytestmark = pytest.mark.slow

MONTH = "2026-10"


def _population(store, month: str = MONTH) -> pl.DataFrame:
    from dashboard.domain.trace import rows_behind
    from dashboard.manage.common import parse_month

    start, end = parse_month(month)
    return rows_behind(store, "cases", start, end)


def test_the_sample_is_reproducible_and_covers_every_department(clean):
    from dashboard.manage import audit_sample

    store = clean.store()
    first = audit_sample.sample(store, MONTH)
    again = audit_sample.sample(store, MONTH)
    assert first.equals(again)
    cases = _population(store).group_by("town_code", "dept_name").agg(pl.len().alias("n"))
    drawn = first.group_by("town_code", "dept_name").agg(pl.len().alias("drawn"))
    both = cases.join(drawn, on=["town_code", "dept_name"], how="left")
    assert both["drawn"].null_count() == 0  # every department that has cases
    assert both.select((pl.col("drawn") == pl.min_horizontal("n", pl.lit(5))).all()).item()
    assert (both["n"] < 5).any() and (both["n"] > 5).any()  # both kinds occur in the demo
    # positions 1..k within each department, each case at most once
    assert first["case_id"].n_unique() == first.height
    assert (
        first.group_by("town_code", "dept_name").agg(pl.col("position").max())["position"].max()
        == 5
    )
    # another process, the same installation: the same sample
    done = clean.pulse("audit-sample", "--month", MONTH, "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = [(r["乡镇"], r["部门"], r["办件编号"]) for r in json.loads(done.stdout)]
    names = dict(store.sql("select town_code, town_name from towns", public=True).iter_rows())
    assert printed == [
        (names[r["town_code"]], r["dept_name"], r["case_id"]) for r in first.iter_rows(named=True)
    ]


def test_the_order_depends_on_the_month_the_secret_and_nothing_else(clean):
    from dashboard.manage import audit_sample

    store = clean.store()
    october = audit_sample.sample(store, MONTH, per_dept=2)
    other_key = audit_sample.sample(store, MONTH, per_dept=2, secret=b"another installation")
    assert set(october["case_id"]) != set(other_key["case_id"])
    # the same case keeps its order key within the month; a month has its own order
    key = audit_sample.order_key(b"k", MONTH, "C1")
    assert (
        key
        == audit_sample.order_key(b"k", MONTH, "C1")
        != audit_sample.order_key(b"k", "2026-09", "C1")
    )
    three = audit_sample.sample(store, MONTH, per_dept=3)
    two = three.filter(pl.col("position") <= 2)
    assert two.equals(october)  # N=2 is the first two of N=3: one order per department


def test_drawing_keeps_the_sample_and_only_county_staff_record_checks(clean):
    from dashboard.manage import audit_sample
    from dashboard.manage.common import ManageError

    store = clean.store()
    with pytest.raises(AccessDenied):
        audit_sample.draw(store, viewer("town"), MONTH)
    info = audit_sample.draw(store, viewer("county"), MONTH)
    derived = audit_sample.sample(store, MONTH)
    assert (info.cases, info.drawn_by) == (derived.height, "county")
    with pytest.raises(ManageError, match="已抽取"):
        audit_sample.draw(store, viewer("county"), MONTH)
    kept = audit_sample.drawn(viewer("county"), MONTH)
    assert [r["case_id"] for r in kept] == derived["case_id"].to_list()
    mine = audit_sample.drawn(viewer("town"), MONTH)
    assert mine and {r["town_code"] for r in mine} == {TOWN}

    case = next(r for r in kept if r["town_code"] == TOWN)
    checks = audit_sample.checks()
    assert checks == ("录入及时规范", "材料归档完整", "办理合规")
    outcome = {checks[0]: ("合格", ""), checks[1]: ("不合格", "缺少申请表原件")}
    with pytest.raises(AccessDenied):
        audit_sample.record(viewer("town"), MONTH, case["case_id"], outcome)
    with pytest.raises(ManageError, match="请说明"):
        audit_sample.record(viewer("county"), MONTH, case["case_id"], {checks[2]: ("不合格", "")})
    with pytest.raises(ManageError, match="不在本月样本"):
        audit_sample.record(viewer("county"), MONTH, "NOT-A-CASE", outcome)
    assert audit_sample.record(viewer("admin"), MONTH, case["case_id"], outcome) == 2
    found = audit_sample.results(viewer("town"), MONTH)
    assert found[(case["case_id"], checks[1])]["note"] == "缺少申请表原件"
    assert audit_sample.results(viewer("town2"), MONTH) == {}  # another town's official
    by_dept, by_town = audit_sample.summaries(kept, audit_sample.results(viewer("county"), MONTH))
    town_row = next(t for t in by_town if t["town_code"] == TOWN)
    assert (town_row["failed_cases"], town_row["findings"], town_row["checked"]) == (1, 1, 0)
    assert town_row[f"pass:{checks[0]}"] == 1
    assert sum(t["drawn"] for t in by_town) == len(kept) == sum(d["drawn"] for d in by_dept)
    # clearing a check
    audit_sample.record(viewer("county"), MONTH, case["case_id"], {checks[1]: ("未查", "")})
    assert (case["case_id"], checks[1]) not in audit_sample.results(viewer("county"), MONTH)
    # the export carries every check with its note
    rows = audit_sample.export_rows(mine, audit_sample.results(viewer("town"), MONTH), {})
    first = next(r for r in rows if r["办件编号"] == case["case_id"])
    assert first[checks[0]] == "合格" and first["抽查人"] == "admin"


def test_cases_loaded_after_the_draw_do_not_change_it(clean):
    """A drawn month stays as drawn (an audit is of the cases it named)."""
    from dashboard.auth import appdb
    from dashboard.manage import audit_sample

    store = clean.store()
    audit_sample.draw(store, viewer("county"), "2026-09", per_dept=1)
    before = audit_sample.drawn(viewer("county"), "2026-09")
    with appdb.transaction() as con:  # as if the data had changed: the kept rows are read
        con.execute("update audit_draws set item_name = '(已变更)' where month = '2026-09'")
    after = audit_sample.drawn(viewer("county"), "2026-09")
    assert [r["case_id"] for r in after] == [r["case_id"] for r in before]
    assert {r["item_name"] for r in after} == {"(已变更)"}
    assert audit_sample.draw_info("2026-09").cases == len(before)
    assert {r["position"] for r in before} == {1}


def test_a_month_without_cases_and_a_bad_month(clean):
    from dashboard.manage import audit_sample
    from dashboard.manage.common import ManageError

    assert audit_sample.sample(clean.store(), "2031-01").is_empty()
    for bad in ("2026-13", "26-10", "2026/10", "", "2026-10-01"):
        with pytest.raises(ManageError):
            audit_sample.sample(clean.store(), bad)
    with pytest.raises(ManageError, match="没有受理的办件"):
        audit_sample.draw(clean.store(), viewer("county"), "2031-01")
    assert _population(clean.store())["accepted_at"].min().date() >= date(2026, 10, 1)
