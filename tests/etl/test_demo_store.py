"""The demo county loaded into a real store: accounting, personal data, and the rollups
giving exactly the raw definitions' numbers."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.domain.metrics import metrics
from dashboard.store import Store
from etl import demo
from tests.conftest import DEMO_END, use_environment

END = DEMO_END
MOBILE = re.compile(rb"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_NUMBER = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


@pytest.fixture(scope="module")
def demo_store(demo_county):
    """The tests' demo county (tests/conftest.py): its summary, its load and its store."""
    with pytest.MonkeyPatch.context() as mp:
        use_environment(mp, demo_county.environment())
        yield demo_county.summary, demo_county.run, Store()


def test_every_row_is_accounted_for(demo_store):
    summary, run, store = demo_store
    assert run.exit_code == 0
    for r in run.reports:
        assert r.rows_read == r.inserted + r.updated + r.duplicate + r.rejected, r
    reasons: dict[str, int] = {}
    for r in run.reports:
        for k, v in r.reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    assert reasons == demo.PLANTED_BAD_ROWS
    assert sum(r.updated for r in run.reports) == sum(demo.PLANTED_UPDATES.values())
    assert (
        store.sql("select count(*) as n from cases", whole_county=True)["n"][0]
        == summary.counts["cases"]
    )
    assert store.sql("select count(*) as n from rejects", whole_county=True)["n"][0] == sum(
        reasons.values()
    )


def test_no_personal_data_in_clear_anywhere_in_the_store(demo_store):
    summary, _, store = demo_store
    exports = b"".join(p.read_bytes() for p in summary.files if p.suffix == ".csv")
    phones, ids = set(MOBILE.findall(exports)), set(ID_NUMBER.findall(exports))
    assert len(phones) > 1000 and len(ids) > 1000  # the test can fail
    assert all(_valid_id(n) for n in list(ids)[:100])
    raw = store.generation.read_bytes()
    # binary pages hold digit-like byte runs by chance ('2333…'): look for the numbers the
    # exports really contained, and for any well-formed ID number (valid check digit)
    assert not phones & set(MOBILE.findall(raw))
    assert not ids & set(ID_NUMBER.findall(raw))
    assert not [n for n in ID_NUMBER.findall(raw) if _valid_id(n)]
    # compressed pages could hide a number from a byte scan: read every text column too
    columns = store.sql(
        "select table_name, column_name from information_schema.columns "
        "where data_type in ('VARCHAR', 'JSON') and table_schema = 'main'",
        whole_county=True,
    )
    for table, column in columns.iter_rows():
        hits = store.sql(
            f'select count(*) as n from "{table}" where regexp_matches("{column}"::varchar, '
            r"'(^|[^0-9])(1[3-9][0-9]{9}|[0-9]{17}[0-9Xx])([^0-9]|$)')",
            whole_county=True,
        )["n"][0]
        assert hits == 0, (table, column)
    names = store.sql(
        "select applicant_masked from cases where applicant_masked is not null limit 1000",
        whole_county=True,
    )["applicant_masked"]
    assert names.str.contains(r"\*").all()


def _valid_id(number: bytes) -> bool:
    """GB 11643 check digit and a plausible birth date."""
    text = number.decode().upper()
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(text, weights, strict=False)) % 11]
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return check == text[17] and 1900 < born.year < 2030


def _periods(n: int) -> list[tuple[date, date]]:
    rng = random.Random(5)
    out = [(END - timedelta(days=364), END), (date(2026, 10, 1), date(2026, 10, 31))]
    while len(out) < n:
        start = END - timedelta(days=rng.randrange(0, 360))
        out.append((start, start + timedelta(days=rng.randrange(0, 120))))
    return out


@pytest.mark.parametrize(("start", "end"), _periods(12))
def test_rollups_equal_raw_definitions(demo_store, start, end):
    _, _, store = demo_store
    for by in ("town", "dept"):
        fast = metrics(store, start, end, by=by)
        raw = metrics(store, start, end, by=by, raw=True)
        assert_frame_equal(fast, raw, check_exact=False, rel_tol=1e-12)
    assert fast["cases"].sum() > 0 or start > END


def test_town_figures_equal_the_sum_of_their_departments(demo_store):
    _, _, store = demo_store
    start, end = END - timedelta(days=90), END
    towns = metrics(store, start, end, by="town")
    depts = metrics(store, start, end, by="dept")
    counts = [c for c, t in towns.schema.items() if t == pl.Int64 and c != "town_code"]
    # a count whose column a town's files lack is 无数据 (null) for the town and its departments
    summed = (
        depts.group_by("town_code")
        .agg(
            pl.when(pl.col(c).is_null().all()).then(None).otherwise(pl.col(c).sum()).alias(c)
            for c in counts
        )
        .sort("town_code")
    )
    assert_frame_equal(
        towns.select("town_code", *counts).sort("town_code"), summed, check_dtypes=False
    )
    assert towns["cases"].sum() > 1000


def test_monthly_buckets_add_up_to_the_period(demo_store):
    _, _, store = demo_store
    start, end = date(2026, 1, 1), date(2026, 10, 31)
    whole = metrics(store, start, end, by="county")
    months = metrics(store, start, end, by="county", bucket="month")
    assert months.height == 10 and months["period_start"].min() == start
    for col in (
        "cases",
        "online_cases",
        "completed",
        "evaluations",
        "bad_reviews",
        "hotline_tickets",
        "overdue_open",
    ):
        assert months[col].sum() == whole[col][0], col


def test_rows_behind_every_figure_count_exactly_that_figure(demo_store):
    from dashboard.domain.trace import TRACES, rows_behind

    _, _, store = demo_store
    start, end = date(2026, 10, 1), date(2026, 11, 20)
    towns = metrics(store, start, end, by="town")
    for town in towns.head(4).iter_rows(named=True):
        for indicator in TRACES:
            rows = rows_behind(store, indicator, start, end, town=town["town_code"])
            figure = town[indicator]
            if indicator.endswith("_rate"):
                if figure is None:  # an empty rate: no rows under the line either
                    assert rows.height == 0, indicator
                else:
                    assert rows["counted"].sum() / rows.height == pytest.approx(figure), indicator
            else:
                assert rows.height == figure, (indicator, town["town_name"])


def test_count_behind_equals_the_rows_it_counts(demo_store):
    from dashboard.domain.trace import count_behind, rows_behind

    _, _, store = demo_store
    start, end = date(2026, 6, 1), date(2026, 11, 20)
    for indicator in ("cases", "on_time_rate", "bad_reviews", "hotline_satisfaction_rate"):
        rows = rows_behind(store, indicator, start, end, depts=("社保", "民政"))
        total, counted = count_behind(store, indicator, start, end, depts=("社保", "民政"))
        assert total == rows.height > 0
        assert counted == (int(rows["counted"].sum()) if "counted" in rows.columns else None)
        assert set(rows["dept_name"]) <= {"社保", "民政"}


COUNTS_SQL = """
select * from {macro}($date_from, $date_to, $as_of, ['网上办理', '掌上办理'], 1, 3, 10)
order by town_code, dept_name, period_start
"""


@pytest.mark.parametrize(("start", "end"), _periods(6))
def test_rollups_equal_raw_definitions_for_every_count(demo_store, start, end):
    """indicator_counts (rollups) = indicator_counts_raw (flags over the facts), every count
    column, the §3a ones and their "known" denominators included."""
    summary, _, store = demo_store
    params = {"date_from": start, "date_to": end, "as_of": summary.extracted_at}
    fast = store.sql(COUNTS_SQL.format(macro="indicator_counts"), params, whole_county=True)
    raw = store.sql(COUNTS_SQL.format(macro="indicator_counts_raw"), params, whole_county=True)
    assert {"bundle_known", "cross_province_cases", "early_completed"} <= set(fast.columns)
    assert_frame_equal(fast, raw)


def test_demo_optional_columns_some_towns_have_no_data(demo_store):
    """The demo county carries the §3a columns from its upgrade month on, window figures for
    some towns only: the other towns' "known" counts are 0 (无数据), and a month before the
    upgrade has none anywhere."""
    from etl.demo.county import ATTRIBUTE_TOWNS

    summary, _, store = demo_store
    month = (date(2026, 10, 1), date(2026, 10, 31))
    params = {"date_from": month[0], "date_to": month[1], "as_of": summary.extracted_at}
    by_town = store.sql(
        "select t.town_name, sum(c.onsite_known)::int as onsite_known,"
        " sum(c.window_type_known)::int as window_type_known,"
        " sum(c.cross_province_known)::int as cross_province_known,"
        " sum(c.bundle_known)::int as bundle_known, sum(c.cases)::int as cases"
        f" from ({COUNTS_SQL.format(macro='indicator_counts')}) c join towns t using (town_code)"
        " group by all",
        params,
        whole_county=True,
    )
    for r in by_town.iter_rows(named=True):
        recorded = r["town_name"] in ATTRIBUTE_TOWNS
        for known in ("onsite_known", "window_type_known", "cross_province_known"):
            assert (r[known] > 0) == recorded, (r["town_name"], known)
        assert r["bundle_known"] == r["cases"]  # a platform column: every town, every case
    early = {"date_from": date(2026, 1, 1), "date_to": date(2026, 1, 31), "as_of": params["as_of"]}
    before = store.sql(
        "select sum(bundle_known + cross_province_known + onsite_known + window_type_known)"
        f"::int as n from ({COUNTS_SQL.format(macro='indicator_counts')})",
        early,
        whole_county=True,
    )
    assert before["n"][0] == 0


def test_demo_paused_cases_are_on_time_by_the_law(demo_store):
    """Cases whose 特别程序 days move the deadline past their completion: overdue by the
    promise alone, on time by the stored deadline, so not in 超期办结."""
    _, _, store = demo_store
    moved = store.sql(
        """
        select count(*) as n,
            count(*) filter (where f.is_overdue_completed) as overdue
        from case_flags(timestamp '2026-11-20 08:00', [], 1) f
        join calendar_days a on a.day = f.day
        join calendar_days w on w.is_workday and w.workday_seq = a.workday_seq + f.promised_days
        where f.paused_days > 0 and f.promised_days > 0 and f.is_completed
            and f.completed_at > w.day + interval '23:59:59'
        """,
        whole_county=True,
    )
    assert moved["n"][0] > 0 and moved["overdue"][0] == 0
