"""etl.demo.export: the files in the contract's formats, title rows and encodings, the
xlsx month, the reference files; deterministic output, volume by scale, progress."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import polars as pl
import pytest

from etl import demo
from etl.demo.county import (
    UPGRADE_FILE,
    VENDOR_EXTRA,
    VENDOR_FILE,
    VENDOR_HEADERS,
    VENDOR_MAP_NAME,
)
from etl.sources import normalize_header
from tests.etl.demo.helpers import (
    BY_NAME,
    END,
    SCALE,
    _decode,
    _files,
    _read_xlsx,
)


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
    vendor = [*(normalize_header(h) for h in VENDOR_HEADERS.values()), VENDOR_EXTRA[0]]
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
        contract = [normalize_header(c.header) for c in source.columns]
        if source.name != "cases":
            assert header == contract
        elif case_files.index(path) == VENDOR_FILE:  # the second vendor's style
            assert header == vendor
        elif case_files.index(path) >= UPGRADE_FILE:  # the §3a columns from then on
            assert header == contract
        else:
            assert header == [h for h, c in zip(contract, source.columns, strict=True)
                              if not c.supplementary]  # fmt: skip
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
    assert [normalize_header(h) for h in rows[3]] == [  # §3a columns included
        normalize_header(c.header) for c in BY_NAME["cases"].columns
    ]
    paused = df["特别程序天数"].drop_nulls()
    assert paused.len() > 0 and (paused.cast(pl.Int64) > 0).all()  # number cells
    accepted = [r[6] for r in rows[4:]]
    assert all(isinstance(v, datetime) and v.microsecond == 0 for v in accepted)
    assert min(accepted) >= datetime(2026, 11, 1)
    assert max(accepted) < county.extracted_at
    assert df.height > 500
    import zipfile

    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<mergeCell ref="A1:W1"/>' in sheet


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


def test_same_inputs_give_byte_identical_files(tmp_path):
    a = demo.generate(tmp_path / "a", seed=3, scale=0.01, end=date(2026, 6, 30))
    b = demo.generate(tmp_path / "b", seed=3, scale=0.01, end=date(2026, 6, 30))
    assert [p.name for p in a.files] == [p.name for p in b.files]
    for pa, pb in zip(a.files, b.files, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert a.counts == b.counts
    assert a.column_maps.read_bytes() == b.column_maps.read_bytes()
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


def test_the_vendor_file_loads_through_the_demos_column_map(county):
    """One month in a second vendor's header style, read through columns.toml beside the
    exports (the demo's configuration), with no code change."""
    import tomllib

    from etl.read import read_file
    from etl.sources import cases

    assert county.column_maps == county.out_dir / "columns.toml"
    (table,) = tomllib.loads(county.column_maps.read_text(encoding="utf-8"))["columns"]["maps"]
    assert table["source"] == "cases" and table["name"] == VENDOR_MAP_NAME
    names = {c.header: c.name for c in cases.SOURCE.columns}
    assert table["headers"] == {v: names[h] for h, v in VENDOR_HEADERS.items()}
    vendor = _files(county, "cases_")[VENDOR_FILE]
    result = read_file(vendor)
    assert (result.source.name, result.column_map) == ("cases", VENDOR_MAP_NAME)
    assert result.unmapped == [VENDOR_EXTRA[0]]  # reported, not loaded
    assert result.carried == {c.name for c in cases.SOURCE.columns}
    assert result.frame.height > 500
    assert set(result.frame["onsite_completed"].drop_nulls()) <= {"Y", "N"}
