"""办件查询's query module on a tiny store: the grid's sort and filter models become SQL over
whitelisted columns with bound values, and exports are complete and formula-safe."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from dashboard import case_explorer as explorer
from dashboard.case_explorer import BadRequest, CaseQuery, TooManyRows
from dashboard.filters import Filters
from dashboard.store import Store
from etl.load import load
from tests.conftest import CASE_HEADER, DEPARTMENTS, TOWNS, case_row, write_csv

AS_OF = datetime(2026, 11, 20, 8, 0)
NOVEMBER = Filters(period="custom", date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
QINGSHI = "339901101000"
TOWNS_HEADER = ["乡镇代码", "乡镇名称", "类型", "网格行", "网格列"]
DEPTS_HEADER = ["部门名称", "乡镇代码", "应进驻"]
FORMULAS = {
    "F1": '=HYPERLINK("http://example.invalid","点我")',
    "F2": "+SUM(1,2)",
    "F3": "-2+3",
    "F4": "@cmd",
}


def row(case_id: str, accepted: str, **over: str) -> list[str]:
    values = {"受理时间": accepted, "录入时间": accepted, "办结时间": "2026-11-28 10:00:00"}
    return case_row(case_id, **{**values, **over})


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    """One store for the module: every test only reads it."""
    tmp_path = tmp_path_factory.mktemp("explorer")
    rows = [
        row(f"C{i:02d}", f"2026-11-{2 + i:02d} 09:{i:02d}:00", 承诺时限=str(i % 7))
        for i in range(20)
    ]
    rows += [
        row("Q1", "2026-11-05 10:00:00", **{"乡镇(街道)": "青石镇"}),
        row("Q2", "2026-11-06 10:00:00", **{"乡镇(街道)": "青石镇", "申报方式": "网上办理"}),
        row("M1", "2026-11-10 11:00:00", 受理部门="民政", 申报方式="掌上办理"),
        row("OCT", "2026-10-31 23:59:59"),
        row("OPEN", "2026-11-18 08:00:00", 办结时间="", 办件状态="在办"),
        row("N1", "2026-11-19 09:00:00", 申请人="=1+1", 事项名称="养老保险"),
    ]
    rows += [row(k, "2026-11-19 10:00:00", 事项名称=v) for k, v in FORMULAS.items()]
    files = [
        write_csv(tmp_path / "towns.csv", TOWNS_HEADER, [list(t) for t in TOWNS]),
        write_csv(tmp_path / "departments.csv", DEPTS_HEADER, [list(d) for d in DEPARTMENTS]),
        write_csv(tmp_path / "cases.csv", CASE_HEADER, rows),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_DATA_DIR", str(tmp_path / "data"))
        mp.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
        mp.delenv("PULSE_STORE", raising=False)
        mp.delenv("PULSE_SECRET_FILE", raising=False)
        run = load(files)
        assert run.exit_code == 0 and all(r.rejected == 0 for r in run.reports), run.reports
        return Store()


def ids(store, query, start=0, end=1000) -> list[str]:
    return [r["case_id"] for r in explorer.page(store, query, start, end)]


def build(filters=NOVEMBER, sort=None, flt=None) -> CaseQuery:
    return CaseQuery.build(filters, AS_OF, sort, flt)


def test_shell_filters_period_towns_depts_channel(store):
    everything = build()
    assert explorer.count(store, everything) == 29  # OCT is accepted in October
    assert "OCT" not in ids(store, everything)
    towns = Filters(NOVEMBER.period, NOVEMBER.date_from, NOVEMBER.date_to, towns=(QINGSHI,))
    assert sorted(ids(store, build(towns))) == ["Q1", "Q2"]
    depts = Filters(NOVEMBER.period, NOVEMBER.date_from, NOVEMBER.date_to, depts=("民政",))
    assert ids(store, build(depts)) == ["M1"]
    online = Filters(NOVEMBER.period, NOVEMBER.date_from, NOVEMBER.date_to, channel="网上办理")
    assert ids(store, build(online)) == ["Q2"]
    october = Filters("custom", date(2026, 10, 1), date(2026, 10, 31))
    assert ids(store, build(october)) == ["OCT"]


def test_default_sort_is_newest_first_and_pages_are_stable(store):
    query = build()
    first = explorer.page(store, query, 0, 1)[0]
    assert first["case_id"] == "C19"  # accepted 2026-11-21 09:19, the newest
    assert first["accepted_at"] == "2026-11-21 09:19:00"  # text, as the grid shows it
    assert ids(store, query, 1, 6) == ["C18", "F1", "F2", "F3", "F4"]  # ties by case_id
    pages = ids(store, query, 0, 10) + ids(store, query, 10, 20) + ids(store, query, 20, 30)
    assert len(set(pages)) == 29 and pages == ids(store, query)


def test_sort_by_any_whitelisted_column(store):
    oldest = ids(store, build(sort=[{"colId": "accepted_at", "sort": "asc"}]))
    assert oldest[0] == "C00"
    by_town = explorer.page(store, build(sort=[{"colId": "town_name", "sort": "desc"}]), 0, 2)
    assert [r["town_name"] for r in by_town] == ["青石镇", "青石镇"]
    with pytest.raises(BadRequest):  # a sort without a direction is refused
        build(sort=[{"colId": "promised_days", "sort": "desc"}, {"colId": "case_id"}])


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"item_name": {"filterType": "text", "type": "contains", "filter": "HYPER"}}, {"F1"}),
        ({"item_name": {"filterType": "text", "type": "equals", "filter": "养老保险"}}, {"N1"}),
        ({"case_id": {"filterType": "text", "type": "startsWith", "filter": "q"}}, {"Q1", "Q2"}),
        ({"case_id": {"filterType": "text", "type": "endsWith", "filter": "EN"}}, {"OPEN"}),
        ({"dept_name": {"filterType": "text", "type": "notEqual", "filter": "社保"}}, {"M1"}),
        ({"town_name": {"filterType": "text", "type": "equals", "filter": "青石镇"}}, {"Q1", "Q2"}),
        ({"completed_at": {"filterType": "date", "type": "blank"}}, {"OPEN"}),
        (
            {"accepted_at": {"filterType": "date", "type": "equals", "dateFrom": "2026-11-05"}},
            {"C03", "Q1"},
        ),
        (
            {
                "accepted_at": {
                    "filterType": "date",
                    "type": "inRange",
                    "dateFrom": "2026-11-18 00:00:00",
                    "dateTo": "2026-11-19 00:00:00",
                }
            },
            {"C16", "OPEN", "C17", "N1", *FORMULAS},
        ),
        (
            {"promised_days": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 6}},
            {"C06", "C13"},
        ),
        (
            {
                "promised_days": {
                    "filterType": "number",
                    "type": "inRange",
                    "filter": 3,
                    "filterTo": 4,
                }
            },
            {"C03", "C04", "C10", "C11", "C17", "C18"},
        ),
        (
            {
                "case_id": {
                    "filterType": "text",
                    "operator": "OR",
                    "conditions": [
                        {"filterType": "text", "type": "equals", "filter": "M1"},
                        {"filterType": "text", "type": "equals", "filter": "Q2"},
                    ],
                },
                "channel": {"filterType": "text", "type": "contains", "filter": "网上"},
            },
            {"Q2"},
        ),
    ],
)
def test_grid_filters(store, model, expected):
    query = build(flt=model)
    assert set(ids(store, query)) == expected
    assert explorer.count(store, query) == len(expected)


@pytest.mark.parametrize(
    ("sort", "model"),
    [
        ([{"colId": "case_id; drop table cases", "sort": "asc"}], None),
        ([{"colId": "accepted_at", "sort": "asc; drop table cases"}], None),
        ("accepted_at", None),
        (None, {"row_hash": {"filterType": "text", "type": "equals", "filter": "x"}}),
        (None, {"case_id) or (1=1": {"filterType": "text", "type": "equals", "filter": "x"}}),
        (None, {"case_id": {"filterType": "text", "type": "regexp", "filter": ".*"}}),
        (None, {"case_id": {"filterType": "number", "type": "equals", "filter": 1}}),
        (None, {"promised_days": {"filterType": "number", "type": "equals", "filter": "1 or 1"}}),
        (None, {"accepted_at": {"filterType": "date", "type": "equals", "dateFrom": "1=1"}}),
        (None, {"case_id": {"filterType": "text", "type": "equals", "filter": None}}),
        (None, {"case_id": {"operator": "XOR", "conditions": [{"type": "blank"}]}}),
        (None, ["case_id"]),
    ],
)
def test_anything_outside_the_whitelist_is_refused(store, sort, model):
    with pytest.raises(BadRequest):
        explorer.count(store, build(sort=sort, flt=model))
    assert explorer.count(store, build()) == 29


def test_typed_values_are_bound_never_spliced(store):
    sneaky = "x' or '1'='1"
    query = build(flt={"case_id": {"filterType": "text", "type": "contains", "filter": sneaky}})
    assert explorer.count(store, query) == 0
    sql, params = query.page_sql(0, 10)
    assert sneaky not in sql and sneaky in params.values()
    assert explorer.count(store, build()) == 29  # the table is still there


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张*", "张*"),
        ("a=b", "a=b"),
        ("", ""),
        (-1, -1),
        (None, None),
    ],
)
def test_neutralise(value, shown):
    assert explorer.neutralise(value) == shown


def test_csv_export_has_every_row_a_bom_and_no_live_formulas(store):
    body = b"".join(explorer.export_csv(store, build(), max_rows=1000))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 29
    assert list(rows[0]) == [c.label for c in explorer.COLUMNS]
    by_id = {r["办件编号"]: r for r in rows}
    for case_id, item in FORMULAS.items():
        assert by_id[case_id]["事项名称"] == "'" + item
    assert by_id["N1"]["申请人(已脱敏)"] == "'=***"  # masked as stored, then neutralised
    assert by_id["C01"]["申请人(已脱敏)"] == "张*"
    assert by_id["C01"]["证件号码(哈希)"] and "330102" not in body.decode("utf-8-sig")
    assert "13812345678" not in body.decode("utf-8-sig")
    for row in rows:
        for value in row.values():
            assert not value.startswith(explorer.FORMULA_PREFIXES), value


def test_csv_export_follows_the_grid_filters_and_sort(store):
    query = build(
        sort=[{"colId": "case_id", "sort": "desc"}],
        flt={"case_id": {"filterType": "text", "type": "startsWith", "filter": "F"}},
    )
    body = b"".join(explorer.export_csv(store, query, max_rows=1000)).decode("utf-8-sig")
    assert [r["办件编号"] for r in csv.DictReader(io.StringIO(body))] == ["F4", "F3", "F2", "F1"]


def test_xlsx_export_writes_text_not_formulas(store, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    target = tmp_path / "cases.xlsx"
    with target.open("wb") as fh:
        assert explorer.export_xlsx(store, build(), fh, max_rows=1000) == 29
    sheet = openpyxl.load_workbook(target).active
    header = [c.value for c in sheet[1]]
    assert header == [c.label for c in explorer.COLUMNS]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)}
    assert len(rows) == 29
    assert rows["F1"]["事项名称"] == "'" + FORMULAS["F1"]
    assert rows["N1"]["申请人(已脱敏)"] == "'=***"
    assert rows["C01"]["受理时间"] == datetime(2026, 11, 3, 9, 1)  # a real date cell
    assert rows["C01"]["承诺时限(工作日)"] == 1
    for row in sheet.iter_rows(2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_export_limit_is_checked_before_the_first_byte(store, tmp_path):
    with pytest.raises(TooManyRows) as e:
        explorer.export_csv(store, build(), max_rows=28)
    assert (e.value.rows, e.value.limit) == (29, 28)
    with (tmp_path / "x.xlsx").open("wb") as fh, pytest.raises(TooManyRows):
        explorer.export_xlsx(store, build(), fh, max_rows=28)
    assert explorer.export_max_rows() == 1_000_000  # the default, below Excel's sheet limit
