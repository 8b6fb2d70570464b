"""Several counties in one instance (issue 18): the demo city, the counties table, the figures
and ranking by county, and a county official's towns — over a real store of three counties."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest

from dashboard.auth.access import Access, AccessDenied, acting_as, county_towns
from dashboard.domain import counties, ranking
from dashboard.domain.metrics import metrics
from dashboard.domain.trace import rows_behind
from dashboard.filters import Filters
from dashboard.store import Scope
from etl import demo
from etl.demo.city import demo_counties, generate_city
from tests.city.conftest import CITY_END, COUNTIES

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def _digests(folder) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_one_county_is_todays_demo_byte_for_byte(tmp_path):
    today = demo.generate(tmp_path / "today", seed=5, scale=0.01, end=CITY_END)
    one = generate_city(tmp_path / "one", counties=1, seed=5, scale=0.01, end=CITY_END)
    assert one.counties_file is None and len(one.counties) == 1
    assert _digests(today.out_dir) == _digests(one.out_dir)


def test_several_counties_are_distinct_and_deterministic(tmp_path):
    first = generate_city(tmp_path / "a", counties=3, seed=5, scale=0.01, end=CITY_END)
    again = generate_city(tmp_path / "b", counties=3, seed=5, scale=0.01, end=CITY_END)
    assert _digests(first.out_dir) == _digests(again.out_dir)
    codes = [c.code for c in first.counties]
    assert codes == list(COUNTIES) and len({c.name for c in first.counties}) == 3
    names = [n for c in first.counties for n in c.town_names]
    assert len(names) == len(set(names)) == 39  # a town may be named in a fact file
    for c in first.counties:
        assert all(t[:6] == c.code for t in c.town_codes)
    table = pl.read_csv(first.counties_file, schema_overrides={"县区代码": pl.String})
    assert table["县区代码"].to_list() == codes and set(table["所属市"]) == {"示范市"}
    # fewer counties after more: the other counties' folders go
    generate_city(tmp_path / "a", counties=1, seed=5, scale=0.01, end=CITY_END)
    assert not list((tmp_path / "a").glob("county-*"))
    assert not (tmp_path / "a" / "counties.csv").exists()
    with pytest.raises(ValueError):
        demo_counties(0, tmp_path)


def test_the_store_holds_three_counties(city):
    found = counties.every_county(city)
    assert found["county_code"].to_list() == list(COUNTIES)
    assert found["county_name"].to_list() == ["示范县", "临江县", "青山县"]
    assert counties.several(city) and counties.city_name(city) == "示范市"
    towns = city.sql("select town_code, county_code from town_counties", public=True)
    assert towns.height == 39
    assert towns.group_by("county_code").len()["len"].to_list() == [13, 13, 13]


def test_county_figures_add_up_to_the_city_and_to_their_towns(city):
    by_county = counties.metrics(city, *OCTOBER)
    whole = metrics(city, *OCTOBER, by="county", flags=False).row(0, named=True)
    towns = metrics(city, *OCTOBER, by="town", flags=False).with_columns(
        pl.col("town_code").str.slice(0, 6).alias("county_code")
    )
    for count in ("cases", "completed", "overdue_open", "evaluations", "hotline_tickets"):
        assert by_county[count].sum() == whole[count], count
        per_town = towns.group_by("county_code").agg(pl.col(count).sum()).sort("county_code")
        assert per_town[count].to_list() == by_county.sort("county_code")[count].to_list()
    # a rate is formed from the county's counts (not averaged over towns)
    row = by_county.filter(pl.col("county_code") == "339902").row(0, named=True)
    assert row["online_rate"] == pytest.approx(row["online_cases"] / row["cases"])
    assert row["county_name"] == "临江县"


def test_counties_rank_by_the_towns_rule(city):
    frame = counties.metrics(city, *OCTOBER)
    ranked = ranking.rank(frame, "online_rate", key="county_code")
    values = [x.row["online_rate"] for x in ranked]
    assert values == sorted(values, reverse=True) and [x.rank for x in ranked] == [1, 2, 3]
    assert all(x.board == "" for x in ranked)  # 3 counties: too few for 红黑榜 (> 6)


def test_a_county_filter_narrows_every_query(city):
    f = Filters.from_query("?period=custom&from=2026-10-01&to=2026-10-31&counties=339902")
    assert f.counties == ("339902",) and "counties=339902" in f.to_query()
    scope = f.scope()
    rows = rows_behind(city, "cases", *OCTOBER, scope=scope)
    assert rows.height > 0 and set(rows["town_code"].str.slice(0, 6)) == {"339902"}
    one = metrics(city, *OCTOBER, by="county", scope=scope, flags=False).row(0, named=True)
    assert one["cases"] == rows.height


def test_a_county_officials_towns_are_their_countys(city):
    every = city.every_town()
    mine = county_towns("county", ("339902",), every)
    assert mine and {t[:6] for t in mine} == {"339902"} and len(mine) == 13
    assert county_towns("county", COUNTIES, every) is None  # every county: every town
    assert county_towns("county", (), every) == frozenset()  # several counties: none until set
    assert county_towns("county", (), [t for t in every if t.startswith("339901")]) is None
    viewer = Access("lj", "county", mine)
    with acting_as(viewer):
        rows = rows_behind(city, "cases", *OCTOBER, scope=Scope(None, ("339901",)))
        assert rows.height == 0  # another county's rows: none, whatever is asked
        own = rows_behind(city, "cases", *OCTOBER)
        assert set(own["town_code"].str.slice(0, 6)) == {"339902"}
        assert counties.own(city) == ("339902",)
        # loads and rejects are not split by town: the whole instance's, not a county's
        with pytest.raises(AccessDenied):
            city.query("status__loads")
        # the city ranking is published (as in a 通报): every county's figures
        assert counties.metrics(city, *OCTOBER).height == 3
    with acting_as(Access("sfx", "county", county_towns("county", (), every))):
        assert rows_behind(city, "cases", *OCTOBER).height == 0


def test_counties_come_from_the_town_codes_when_no_file_names_them(
    pulse_env, reference_files, tmp_path
):
    from dashboard.store import Store
    from etl.load import load
    from tests.conftest import write_csv

    assert load(reference_files).exit_code == 0
    one = Store()
    assert not counties.several(one)
    assert counties.every_county(one)["county_name"].to_list() == ["示范县"]  # county.name
    assert counties.whole_label(one) == "全县"
    # a second county's towns, and a counties.csv naming one of them (a bad row rejected)
    towns = write_csv(
        tmp_path / "more_towns.csv",
        ["乡镇代码", "乡镇名称", "类型"],
        [["339902001000", "金山街道", "街道"]],
    )
    named = write_csv(
        tmp_path / "counties.csv",
        ["县区代码", "县区名称", "所属市"],
        [["339902", "临江县", "示范市"], ["3399", "坏代码县", ""]],
    )
    run = load([towns, named])
    report = next(r for r in run.reports if r.source == "counties")
    assert (report.inserted, report.rejected, report.reasons) == (1, 1, {"invalid_value": 1})
    two = Store()
    found = counties.every_county(two)
    assert found["county_code"].to_list() == ["339901", "339902"]
    assert found["county_name"].to_list() == ["县区339901", "临江县"]  # unnamed: by code
    assert counties.several(two) and counties.city_name(two) == "示范市"
    assert counties.whole_label(two) == "全市"
    assert counties.whole_label(two, ("339902",)) == "临江县"


def test_the_wall_and_the_pdf_get_the_county_level(city):
    from dashboard.snapshot.content import Request, gather
    from dashboard.wall import data as wall_data

    week = Request(date(2026, 11, 9), date(2026, 11, 15))
    report = gather(city, week)
    assert report.counties is not None and report.counties.height == 3
    assert report.counties["cases"].sum() == report.now["cases"]
    assert report.counties_before is not None
    town = gather(city, Request(week.start, week.end, "339902001000"))
    assert town.counties is None  # a town's report: no county ranking
    wall = wall_data._compute(city, "period=last_month")
    assert wall.level == "county" and [t["code"] for t in wall.towns] == list(COUNTIES)
    one = wall_data._compute(city, "period=last_month&counties=339902")
    assert one.level == "town" and len(one.towns) == 13
    assert {t["code"][:6] for t in one.towns} == {"339902"}
    config = wall_data.WallConfig.from_query({"counties": "339902"})
    assert "counties=339902" in config.query
