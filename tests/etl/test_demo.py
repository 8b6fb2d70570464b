"""The demo county generator: files in the contract's formats, realistic shape, planted
ground truth (体外循环 departments, bad rows), deterministic output."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest

from etl import demo
from etl.sources import ALL_SOURCES, normalize_header

END = date(2026, 11, 22)
SCALE = 0.02
ONLINE = ("网上办理", "掌上办理")
BY_NAME = {s.name: s for s in ALL_SOURCES}


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> demo.DemoSummary:
    calls: list[tuple[str, float]] = []
    out = tmp_path_factory.mktemp("demo")
    summary = demo.generate(
        out, seed=7, scale=SCALE, end=END, progress=lambda label, f: calls.append((label, f))
    )
    summary.progress_calls = calls  # type: ignore[attr-defined]
    return summary


# --------------------------------------------------------------------------- reading back


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gbk"), "gbk"


def _read_text(path: Path) -> pl.DataFrame:
    text, _ = _decode(path.read_bytes())
    lines = text.splitlines(keepends=True)
    sep = "\t" if "\t" in lines[3] else ","
    df = pl.read_csv(io.StringIO("".join(lines[3:])), separator=sep, infer_schema=False)
    return df.rename({c: normalize_header(c) for c in df.columns})


def _read_xlsx(path: Path) -> tuple[list[list], pl.DataFrame]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = [normalize_header(h) for h in rows[3]]
    data = {
        h: [None if r[i] == "" else str(r[i]).removesuffix(".0") for r in rows[4:]]
        for i, h in enumerate(header)
    }
    return rows, pl.DataFrame(data, schema=dict.fromkeys(header, pl.String))


def _ts(col: str) -> pl.Expr:
    c = pl.col(col)
    return pl.coalesce(
        c.str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=False),
        c.str.strptime(pl.Datetime, "%Y/%m/%d %H:%M:%S", strict=False),
        c.str.strptime(pl.Datetime, "%Y年%m月%d日 %H:%M", strict=False),
    )


def _files(summary: demo.DemoSummary, prefix: str) -> list[Path]:
    return [p for p in summary.files if p.name.startswith(prefix)]


@pytest.fixture(scope="module")
def towns(county) -> pl.DataFrame:
    return pl.read_csv(county.out_dir / "towns.csv", infer_schema=False)


@pytest.fixture(scope="module")
def departments(county) -> pl.DataFrame:
    return pl.read_csv(county.out_dir / "departments.csv", infer_schema=False)


def _with_town_code(df: pl.DataFrame, towns: pl.DataFrame) -> pl.DataFrame:
    by_name = dict(zip(towns["乡镇名称"], towns["乡镇代码"], strict=True))
    return df.with_columns(town=pl.col("乡镇(街道)").replace(by_name))


@pytest.fixture(scope="module")
def cases(county, towns) -> pl.DataFrame:
    frames = [_read_text(p) for p in _files(county, "cases_") if p.suffix == ".csv"]
    frames += [_read_xlsx(p)[1] for p in _files(county, "cases_") if p.suffix == ".xlsx"]
    df = _with_town_code(pl.concat(frames), towns)
    return df.with_columns(
        acc=_ts("受理时间"),
        done=_ts("办结时间"),
        rec=_ts("录入时间"),
        days=pl.col("承诺时限").cast(pl.Int64, strict=False),
    ).with_columns(
        lag_s=(pl.col("rec") - pl.col("acc")).dt.total_seconds(),
        close_s=(pl.col("done") - pl.col("acc")).dt.total_seconds(),
    )


@pytest.fixture(scope="module")
def evaluations(county, towns) -> pl.DataFrame:
    df = pl.concat([_read_text(p) for p in _files(county, "evaluations_")])
    return _with_town_code(df, towns)


@pytest.fixture(scope="module")
def tickets(county, towns) -> pl.DataFrame:
    df = pl.concat([_read_text(p) for p in _files(county, "hotline_")])
    return _with_town_code(df, towns)


def _dept(df: pl.DataFrame, planted: demo.Planted, column: str = "受理部门") -> pl.DataFrame:
    return df.filter((pl.col("town") == planted.town_code) & (pl.col(column) == planted.dept_name))


def _planted(signal: str) -> demo.Planted:
    return next(p for p in demo.PLANTED if p.signal == signal)


def _planted_pairs() -> set[tuple[str, str]]:
    return {(p.town_code, p.dept_name) for p in demo.PLANTED}


def _ordinary(df: pl.DataFrame, column: str = "受理部门") -> pl.DataFrame:
    planted = pl.struct("town", column).is_in([{"town": t, column: d} for t, d in _planted_pairs()])
    return df.filter(~planted)


# --------------------------------------------------------------------------- files


def test_files_written_with_title_rows_headers_and_encodings(county):
    names = [p.name for p in county.files]
    assert names[:2] == ["towns.csv", "departments.csv"]
    case_files = _files(county, "cases_")
    assert len(case_files) == 13  # the 365 days ending 2026-11-22 touch 13 calendar months
    assert [p.suffix for p in case_files] == [".csv"] * 12 + [".xlsx"]
    assert len(_files(county, "evaluations_")) == 13
    assert [p.name for p in _files(county, "hotline_")] == [
        f"hotline_{q}.csv" for q in ("2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4")
    ]
    assert all(p.exists() and p.parent == county.out_dir for p in county.files)

    encodings = set()
    for path in county.files:
        if path.suffix == ".xlsx" or path.name in names[:2]:
            continue
        text, encoding = _decode(path.read_bytes())
        lines = text.splitlines()
        source = BY_NAME[path.name.split("_")[0]]
        assert re.fullmatch(r"示范县\d{4}年(\d{1,2}月|第\d季度).+明细表?", lines[0]), lines[0]
        assert lines[1] == "导出时间：2026-11-22 08:00:00"
        assert lines[2] == ""
        sep = "\t" if path.name.startswith("hotline_") else ","
        header = [normalize_header(h) for h in lines[3].split(sep)]
        assert header == [normalize_header(c.header) for c in source.columns]
        encodings.add((path.name.split("_")[0], encoding))
    assert encodings == {
        ("cases", "gbk"),
        ("cases", "utf-8"),
        ("evaluations", "utf-8"),
        ("hotline", "utf-8-sig"),
    }
    # GBK case files really are GBK (not decodable as UTF-8) and use full-width brackets
    gbk = case_files[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert "乡镇（街道）" in gbk.decode("gbk")


def test_xlsx_month_has_merged_title_and_datetime_cells(county):
    (path,) = [p for p in county.files if p.suffix == ".xlsx"]
    assert path.name == "cases_2026-11.xlsx"
    rows, df = _read_xlsx(path)
    assert rows[0][0] == "示范县2026年11月办件明细表"
    assert rows[1][0] == "导出时间：2026-11-22 08:00:00"
    assert all(v == "" for v in rows[2])
    assert [normalize_header(h) for h in rows[3]] == [
        normalize_header(c.header) for c in BY_NAME["cases"].columns
    ]
    accepted = [r[6] for r in rows[4:]]
    assert all(isinstance(v, datetime) and v.microsecond == 0 for v in accepted)
    assert min(accepted) >= datetime(2026, 11, 1)
    assert max(accepted) < county.extracted_at
    assert df.height > 500
    import zipfile

    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<mergeCell ref="A1:N1"/>' in sheet


def test_reference_files(towns, departments):
    assert towns.columns == ["乡镇代码", "乡镇名称", "类型", "网格行", "网格列"]
    assert towns.height == 13
    assert towns["乡镇代码"].n_unique() == 13 and towns["乡镇名称"].n_unique() == 13
    assert all(re.fullmatch(r"339901\d{3}000", c) for c in towns["乡镇代码"])
    assert set(towns["类型"]) == {"乡", "镇", "街道"}
    for name, kind in towns.select("乡镇名称", "类型").iter_rows():
        assert name.endswith(kind)
    cells = set(zip(towns["网格行"].cast(int), towns["网格列"].cast(int), strict=True))
    assert len(cells) == 13
    assert {r for r, _ in cells} == {0, 1, 2, 3} and {c for _, c in cells} == {0, 1, 2, 3, 4}

    assert departments.columns == ["部门名称", "乡镇代码", "应进驻"]
    assert set(departments["应进驻"]) == {"是", "否"}
    town_rows = departments.filter(pl.col("乡镇代码").is_not_null())
    assert set(town_rows["乡镇代码"]) == set(towns["乡镇代码"])
    assert set(town_rows["部门名称"]) == set(demo.DEPARTMENTS)
    assert 3 <= (town_rows["应进驻"] == "否").sum() <= 10
    county_rows = departments.filter(pl.col("乡镇代码").is_null())
    assert county_rows.height >= 2


# --------------------------------------------------------------------------- determinism, scale


def test_same_inputs_give_byte_identical_files(tmp_path):
    a = demo.generate(tmp_path / "a", seed=3, scale=0.01, end=date(2026, 6, 30))
    b = demo.generate(tmp_path / "b", seed=3, scale=0.01, end=date(2026, 6, 30))
    assert [p.name for p in a.files] == [p.name for p in b.files]
    for pa, pb in zip(a.files, b.files, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert a.counts == b.counts
    c = demo.generate(tmp_path / "c", seed=4, scale=0.01, end=date(2026, 6, 30))
    assert (tmp_path / "c" / "cases_2026-03.csv").read_bytes() != (
        tmp_path / "a" / "cases_2026-03.csv"
    ).read_bytes()
    assert c.files[-1].name == "hotline_2026Q2.csv"


def test_volume_is_proportional_to_scale(county, tmp_path):
    small = demo.generate(tmp_path / "small", scale=SCALE / 2, end=END)
    for key, per_year in (("cases", 850_000), ("hotline", 60_000)):
        assert county.counts[key] == pytest.approx(per_year * SCALE, rel=0.08), key
        assert county.counts[key] / small.counts[key] == pytest.approx(2.0, rel=0.12), key
    assert county.counts["evaluations"] == pytest.approx(0.8 * county.counts["cases"], rel=0.1)
    assert county.counts["towns"] == small.counts["towns"] == 13
    assert county.counts["departments"] == 13 * len(demo.DEPARTMENTS) + 2


def test_default_end_is_today_and_data_ends_at_extraction(tmp_path):
    summary = demo.generate(tmp_path, scale=0.002)
    assert summary.end == date.today()
    assert summary.start == date.today() - timedelta(days=364)
    assert summary.extracted_at == datetime.combine(date.today(), time(8))


def test_progress_reports_overall_fraction(county):
    calls = county.progress_calls
    fractions = [f for _, f in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert len(calls) > 20 and all(isinstance(label, str) and label for label, _ in calls)


def test_rejects_invalid_scale(tmp_path):
    with pytest.raises(ValueError):
        demo.generate(tmp_path, scale=0)


# --------------------------------------------------------------------------- shape of the data


def test_cases_cover_the_year_up_to_the_extraction(county, cases):
    valid = cases.filter(pl.col("acc").is_not_null())
    assert valid["acc"].min().date() == county.start
    assert valid["acc"].max() < county.extracted_at
    assert valid["rec"].max() <= county.extracted_at
    assert valid["done"].max() <= county.extracted_at
    # all three timestamp forms occur
    text = pl.concat([cases["受理时间"].drop_nulls()])
    assert text.str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").any()
    assert text.str.contains(r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}$").any()
    assert text.str.contains(r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$").any()
    # every text timestamp of a valid row parses
    ok = cases.filter(pl.col("受理时间").str.contains("-13-45").not_())
    assert ok["acc"].null_count() == 0


def test_online_rate_spreads_across_towns(cases):
    rates = (
        cases.filter(pl.col("acc").is_not_null())
        .group_by("town")
        .agg(n=pl.len(), online=pl.col("申报方式").is_in(ONLINE).mean())
        .filter(pl.col("n") > 100)
    )
    assert rates.height == 13
    assert 0.10 <= rates["online"].min() <= 0.22
    assert 0.88 <= rates["online"].max() <= 0.96


def test_weekly_rhythm(cases):
    import chinese_calendar

    valid = cases.filter(pl.col("acc").is_not_null())
    days = valid["acc"].dt.date().unique().to_list()
    workday = {d: chinese_calendar.is_workday(d) for d in days}
    valid = valid.with_columns(
        workday=pl.col("acc").dt.date().replace_strict(workday, return_dtype=pl.Boolean),
        window=pl.col("申报方式") == "窗口办理",
    )
    window = valid.filter("window")
    assert window.filter(~pl.col("workday")).height < 0.002 * window.height
    hours = window["acc"].dt.hour() + window["acc"].dt.minute() / 60
    assert hours.min() >= 8.5 and hours.max() < 17.5
    online_off = valid.filter(pl.col("申报方式").is_in(ONLINE) & ~pl.col("workday")).height
    assert online_off > 0.02 * valid.filter(pl.col("申报方式").is_in(ONLINE)).height


def test_items_statuses_and_deadlines(cases):
    valid = cases.filter(pl.col("acc").is_not_null() & pl.col("days").is_not_null())
    items = valid.group_by("事项编码").agg(pl.col("事项名称").n_unique(), pl.col("days").first())
    assert items.height >= 20
    assert items["事项名称"].max() == 1
    assert set(items["days"]) >= {0, 5, 10, 20}
    status = valid["办件状态"].value_counts()
    share = dict(zip(status["办件状态"], status["count"] / valid.height, strict=True))
    assert share["办结"] > 0.95
    assert 0.001 < share["在办"] < 0.03
    assert 0 < share["不予受理"] < 0.02 and 0 < share["撤回"] < 0.02
    done = valid.filter(pl.col("办件状态") == "办结")
    assert done["done"].null_count() == 0
    open_cases = valid.filter(pl.col("办件状态") == "在办")
    assert open_cases["done"].null_count() == open_cases.height
    # instant items (即办) close within the day, most within the hour
    ordinary = _ordinary(done)
    instant = ordinary.filter(pl.col("days") == 0)
    same_day = (instant["done"].dt.date() == instant["acc"].dt.date()).mean()
    assert 0.97 < same_day < 1.0
    # ordinary departments never close an item with a deadline within minutes
    assert ordinary.filter((pl.col("days") >= 5) & pl.col("close_s").is_between(0, 3600)).is_empty()
    # ordinary departments enter cases within minutes of acceptance
    assert ordinary["lag_s"].filter(ordinary["lag_s"] >= 0).max() < 30 * 60


def test_personal_data_fields(cases):
    valid = cases.filter(pl.col("acc").is_not_null())
    ids = valid["证件号码"].drop_nulls()
    assert ids.str.contains(r"^\d{17}[\dX]$").all()
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    for number in ids.sample(500, seed=1):
        total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
        assert number[17] == "10X98765432"[total % 11]
    assert valid["联系电话"].str.contains(r"^1[3-9]\d{9}$").all()
    names = valid["申请人"].drop_nulls()
    assert names.str.len_chars().is_between(2, 4).all()
    compound = names.str.contains("^(欧阳|司马|诸葛|上官|慕容|司徒|皇甫)").mean()
    assert 0.003 < compound < 0.03
    assert 0 < valid["申请人"].null_count() < 0.03 * valid.height


def test_evaluations_shape(county, evaluations, cases):
    ratings = evaluations["评价等级"]
    assert ratings.is_in(list(demo.RATING_WORDS[1:])).mean() > 0.85
    assert ratings.is_in(["1", "2", "3", "4", "5"]).any()
    score = ratings.replace_strict(
        {w: i for i, w in enumerate(demo.RATING_WORDS) if w} | {str(i): i for i in range(1, 6)},
        default=None,
        return_dtype=pl.Int64,
    )
    e = evaluations.with_columns(score=score).filter(pl.col("score").is_not_null())
    by_town = e.group_by("town").agg(sat=(pl.col("score") >= 3).mean(), n=pl.len())
    by_town = by_town.filter(pl.col("n") > 100)
    assert by_town.height == 13
    assert by_town["sat"].min() > 0.88 and by_town["sat"].max() < 1.0
    assert by_town["sat"].max() - by_town["sat"].min() > 0.04
    bad = e.filter(pl.col("score") <= 2)
    rect = bad["整改状态"].value_counts()
    share = dict(zip(rect["整改状态"], rect["count"] / bad.height, strict=True))
    assert share["已整改"] > 0.75 and share.get("整改中", 0) > 0 and share.get("未整改", 0) > 0
    assert bad.filter(pl.col("整改状态") == "已整改")["整改完成时间"].null_count() == 0
    assert set(evaluations["评价渠道"].drop_nulls()) == set(demo.EVAL_CHANNELS)
    # about 80% of completed cases are evaluated, after completion
    done = cases.filter(pl.col("办件状态") == "办结").unique("办件编号")
    named = set(evaluations["办件编号"].drop_nulls())
    rate = done["办件编号"].is_in(list(named)).mean()
    assert 0.7 < rate < 0.9
    joined = e.with_columns(rated=_ts("评价时间")).join(
        done.select("办件编号", "done"), on="办件编号"
    )
    assert (joined["rated"] >= joined["done"].dt.truncate("1m")).all()
    assert evaluations["评价内容"].drop_nulls().str.contains(r"1[3-9]\d{9}").any()


def test_hotline_shape(tickets):
    assert set(tickets["诉求类型"]) >= set(demo.HOTLINE_TYPES)
    assert tickets["一级分类"].n_unique() >= 6
    t = tickets.with_columns(received=_ts("来电时间"), due=_ts("办理时限")).filter(
        pl.col("received").is_not_null() & (pl.col("due") > pl.col("received"))
    )
    gap = (t["due"] - t["received"]).dt.total_days()
    assert gap.min() >= 1 and gap.max() <= 7
    sat = t["满意度"].value_counts()
    share = dict(zip(sat["满意度"], sat["count"] / t.height, strict=True))
    assert share["满意"] > 0.6
    # repeat callers: the same number several times within 30 days
    repeats = (
        t.sort("received")
        .group_by("来电号码")
        .agg(n=pl.len(), span=(pl.col("received").max() - pl.col("received").min()))
        .filter(pl.col("n") >= 2)
    )
    assert repeats.height >= 10
    assert (repeats["span"] <= timedelta(days=30)).all()
    content = t["诉求内容"]
    assert content.str.contains(r"1[3-9]\d{9}").any()
    assert content.str.contains(r"\d{17}[\dX]").any()


# --------------------------------------------------------------------------- planted


def test_value_lists_follow_the_contract():
    from etl.sources import cases, evaluations, hotline

    assert demo.CASE_CHANNELS == cases.CHANNELS
    assert demo.CASE_STATUSES == cases.STATUSES
    assert demo.EVAL_CHANNELS == evaluations.CHANNELS
    assert set(demo.RATING_WORDS[1:]) == set(evaluations.RATINGS)
    assert all(evaluations.RATINGS[w] == i for i, w in enumerate(demo.RATING_WORDS) if w)
    assert demo.HOTLINE_TYPES == hotline.REQUEST_TYPES
    assert demo.HOTLINE_STATUSES == hotline.STATUSES


def test_planted_list():
    assert 6 <= len({(p.town_code, p.dept_name) for p in demo.PLANTED}) <= 7
    signals = {p.signal for p in demo.PLANTED}
    assert signals == {
        "late_entry",
        "batch_entry",
        "instant_closure",
        "missing_case_refs",
        "evals_without_cases",
        "stationed_silent",
    }
    assert all(
        p.town_code in demo.TOWN_CODES and p.dept_name in demo.DEPARTMENTS for p in demo.PLANTED
    )


def test_planted_stationed_silent(cases, evaluations, departments):
    p = _planted("stationed_silent")
    row = departments.filter(
        (pl.col("乡镇代码") == p.town_code) & (pl.col("部门名称") == p.dept_name)
    )
    assert row["应进驻"].to_list() == ["是"]
    assert _dept(cases, p).is_empty()
    assert _dept(evaluations, p, "评价部门").is_empty()
    # no other stationed department is silent
    counts = cases.group_by("town", "受理部门").len()
    stationed = departments.filter(pl.col("应进驻") == "是").join(
        counts, left_on=["乡镇代码", "部门名称"], right_on=["town", "受理部门"], how="left"
    )
    silent = stationed.filter(pl.col("len").is_null())
    assert silent.select("乡镇代码", "部门名称").rows() == [(p.town_code, p.dept_name)]


def test_planted_late_entry(cases):
    for p in (q for q in demo.PLANTED if q.signal == "late_entry"):
        own = _dept(cases, p)
        assert own.height > 30
        late = (own["lag_s"] >= 2 * 86_400).mean()
        assert late > 0.75, p
        assert own["lag_s"].max() <= 25 * 86_400  # 10 working days around a long holiday
    # no ordinary department enters a case later than the same hour
    assert _ordinary(cases)["lag_s"].max() < 3600


def test_planted_batch_entry(cases):
    p = _planted("batch_entry")
    own = _dept(cases, p)
    assert own.height > 30
    # entered late afternoon, a few seconds apart, on few days
    hours = own["rec"].dt.hour()
    assert ((hours == 16) | (hours == 17)).mean() > 0.95
    assert own["rec"].dt.date().n_unique() < own.height / 2
    assert (own["lag_s"] >= 2 * 86_400).all()


def test_planted_instant_closure(cases):
    p = _planted("instant_closure")
    own = _dept(cases, p).filter((pl.col("days") >= 5) & (pl.col("办件状态") == "办结"))
    assert own.height > 20
    quick = own["close_s"].is_between(0, 4 * 60)
    assert quick.mean() > 0.8
    others = _ordinary(cases).filter(pl.col("days") >= 5)
    assert not others["close_s"].is_between(0, 4 * 60).any()


def test_planted_missing_case_refs(cases, evaluations):
    p = _planted("missing_case_refs")
    known = set(cases["办件编号"].drop_nulls())
    e = evaluations.with_columns(
        missing=pl.col("办件编号").is_not_null() & ~pl.col("办件编号").is_in(list(known))
    )
    own = _dept(e, p, "评价部门")
    assert own["missing"].mean() > 0.4
    assert own["办件编号"].drop_nulls().str.contains(r"^339901\d{16}$").all()
    assert _ordinary(e, "评价部门")["missing"].sum() == 0


def test_planted_evals_without_cases(cases, evaluations):
    p = _planted("evals_without_cases")
    n_cases = _dept(cases, p).height
    own = _dept(evaluations, p, "评价部门")
    assert 1 <= n_cases <= 5
    assert own.height > 10 * n_cases
    assert (own["评价渠道"] == "评价器").mean() > 0.95
    # ordinary departments: evaluations about 80% of their cases
    counts = _ordinary(cases).group_by("town", "受理部门").len().filter(pl.col("len") > 40)
    evals = _ordinary(evaluations, "评价部门").group_by("town", "评价部门").len()
    ratio = counts.join(evals, left_on=["town", "受理部门"], right_on=["town", "评价部门"])
    ratio = ratio["len_right"] / ratio["len"]
    assert ratio.max() < 1.1


# --------------------------------------------------------------------------- bad rows


def test_planted_bad_rows_are_counted(county):
    by_source = demo.PLANTED_BAD_ROWS_BY_SOURCE
    for code, n in demo.PLANTED_BAD_ROWS.items():
        assert n == sum(b.get(code, 0) for b in by_source.values())
    assert set(demo.PLANTED_BAD_ROWS) == {
        "missing_required",
        "bad_timestamp",
        "bad_number",
        "invalid_value",
        "unknown_town",
        "negative_promised_days",
        "completed_before_accepted",
        "due_before_received",
    }
    for source in ("cases", "hotline", "evaluations"):
        extra = (
            sum(by_source[source].values())
            + demo.PLANTED_DUPLICATES[source]
            + demo.PLANTED_UPDATES[source]
        )
        assert county.rows_written[source] == county.counts[source] + extra, source


def test_bad_rows_in_case_files(county, cases, towns):
    known_towns = set(towns["乡镇代码"])
    assert (~cases["town"].is_in(list(known_towns))).sum() == 2
    assert cases["受理时间"].str.contains("-13-45").sum() == 1
    assert cases["录入时间"].str.contains("-02-30").sum() == 1
    assert (cases["承诺时限"] == "-1").sum() == 1
    assert (cases["承诺时限"] == "五").sum() == 1
    assert (~cases["申报方式"].is_in(list(demo.CASE_CHANNELS))).sum() == 1
    assert (~cases["办件状态"].is_in(list(demo.CASE_STATUSES))).sum() == 1
    assert cases["事项编码"].null_count() == 1 and cases["受理部门"].null_count() == 1
    assert (cases["close_s"] < 0).sum() == 2
    # two rows repeated byte for byte; three cases first open, then completed in a later file
    raw = cases.select(normalize_header(c.header) for c in BY_NAME["cases"].columns)
    assert raw.height - raw.unique().height == 2
    versions = raw.filter(pl.col("办件编号").is_duplicated()).unique()
    updated = versions.group_by("办件编号").agg(pl.col("办件状态").sort())
    updated = updated.filter(pl.col("办件状态").list.len() == 2)
    assert updated.height == 3
    assert updated["办件状态"].to_list() == [["办结", "在办"]] * 3
    assert cases["办件编号"].n_unique() == county.counts["cases"] + 12


def test_bad_rows_in_hotline_and_evaluation_files(tickets, evaluations, towns):
    t = tickets.with_columns(received=_ts("来电时间"), due=_ts("办理时限"))
    assert (t["due"] < t["received"]).sum() == 2
    assert tickets["来电时间"].str.contains("-13-45").sum() == 1
    assert (~tickets["诉求类型"].is_in(list(demo.HOTLINE_TYPES))).sum() == 1
    assert tickets.height - tickets.unique().height == 1
    words = [*demo.RATING_WORDS[1:], "1", "2", "3", "4", "5"]
    assert (~evaluations["评价等级"].is_in(words)).sum() == 1
    assert evaluations["评价部门"].null_count() == 1
    assert (~evaluations["town"].is_in(list(towns["乡镇代码"]))).sum() == 1
    assert evaluations["评价时间"].str.contains("-02-30").sum() == 1
    assert evaluations.height - evaluations.unique().height == 1
