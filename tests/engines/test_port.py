"""The port of the mart SQL to other engines (dashboard/engines/port.py): no Java needed."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest
import sqlglot

from dashboard.domain import indicators
from dashboard.engines import port

VALUES = {
    "date_from": date(2026, 11, 1),
    "date_to": date(2026, 11, 20),
    "as_of": datetime(2026, 11, 20, 8),
    "online_channels": ["网上办理", "掌上办理"],
    "horizon": 1,
    "satisfied_rating": 3,
    "rectify_days": 10,
}


def test_statements_split_on_semicolons_outside_comments_and_strings():
    text = "-- a; comment\nselect 'a;b' as x;\n/* c; */ select 2;\n"
    assert port.statements(text) == ["select 'a;b' as x", "select 2"]


def test_every_definition_is_read_from_the_mart_files():
    defs = port.definitions()
    assert {"case_flags", "eval_flags", "ticket_flags", "indicator_counts"} <= set(defs.macros)
    assert {"outside_case_flags", "outside_eval_flags", "outside_system_signals"} <= set(
        defs.macros
    )
    rollups = [t for t, _ in defs.rollups]
    assert rollups[:2] == ["agg_cases_daily", "open_cases"]
    # 体外循环: the flags once (a temp table in the loader), then the rollups built from them
    assert rollups.index("outside_case_flags_now") < rollups.index("agg_outside_cases")
    assert {"outside_cases_raw", "outside_evals_raw"} == {v for v, _ in defs.views}
    flags = defs.macros["case_flags"]
    assert flags.params == ("as_of", "online_channels", "horizon", "src")
    assert flags.defaults["src"].name == "cases"


def test_the_expanded_figures_query_is_spark_sql_without_duckdb_forms():
    tree = port.expand(port.figures_query("town"), VALUES)
    spark = port.render(tree, "spark")
    for duckdb_only in ("BY NAME", "QUERY_TABLE", "CASE_FLAGS(", "INDICATOR_COUNTS(", "[]"):
        assert duckdb_only not in spark.upper()
    sqlglot.parse_one(spark, read="spark")  # it parses back as Spark SQL
    # the formulas come from the registry: every rate is numerator / nullif(denominator)
    for key in port.FIGURES:
        i = indicators.get(key)
        if i.is_rate:
            assert f"SUM({i.numerator}) / NULLIF(SUM({i.denominator}), 0) AS {key}" in spark


def test_a_changed_flag_in_the_mart_sql_changes_the_spark_sql():
    """One source: the Spark text is made from etl/sql/flags/01_records.sql (and the scalar
    rules of flags/00_rules.sql), not kept beside it."""
    defs = port.definitions()
    body = defs.macros["case_flags"].body.sql("duckdb")
    assert "deadline_at" in body
    spark = port.render(port.expand(port.figures_query("town"), VALUES), "spark")
    assert "c.completed_at <= c.deadline_at AS is_on_time" in spark
    # a scalar rule is inlined: is_bad(rating) is rating <= 2 in the Spark text
    assert "IS_BAD(" not in spark.upper() and "PERIOD_START(" not in spark.upper()
    assert set(defs.scalars) >= {"is_bad", "is_satisfied", "period_start", "end_of_day"}


def test_union_by_name_becomes_explicit_columns_with_the_same_rows():
    sql = (
        "select 1 as a, 2 as b union all by name select 3 as b "
        "union all by name select 4 as c, 5 as a"
    )
    tree = sqlglot.parse_one(sql, read="duckdb")
    shared = port.render(tree, "duckdb")
    assert "BY NAME" not in shared.upper()
    con = duckdb.connect()
    expected = sorted(con.sql(sql).fetchall(), key=str)
    assert sorted(con.sql(shared).fetchall(), key=str) == expected


def test_an_interval_without_unit_becomes_seconds():
    sql = "select date '2026-11-20' + interval '23:59:59' as t"
    shared = port.render(sqlglot.parse_one(sql, read="duckdb"), "duckdb")
    con = duckdb.connect()
    assert con.execute(shared).fetchall() == con.execute(sql).fetchall()


def test_two_calls_of_one_macro_get_ctes_of_their_own():
    sql = (
        "select count(*) from case_flags(as_of, online_channels, horizon) a, "
        "case_flags(as_of, online_channels, horizon, src := 'open_cases') b"
    )
    tree = port.expand(sqlglot.parse_one(sql, read="duckdb"), VALUES)
    names = [c.alias for c in tree.find_all(sqlglot.exp.CTE)]
    assert len(names) == 2 and len(set(names)) == 2
    assert port.tables(tree) == {"calendar_days", "cases", "open_cases"}


def test_the_outside_system_signals_are_spark_sql_without_duckdb_forms():
    values = {**VALUES, **dict.fromkeys(port.signal_arguments(), 1)}
    spark = port.render(port.expand(port.signals_query(), values), "spark")
    rollups = dict(port.rollup_statements("spark"))
    for text in (spark, rollups["outside_case_flags_now"], rollups["outside_eval_flags_now"]):
        for duckdb_only in ("BY NAME", "EXCLUDE", "EXCEPT", "OUTSIDE_IS_", "EPOCH(", "QUERY_TABLE"):
            assert duckdb_only not in text.upper(), duckdb_only
        sqlglot.parse_one(text, read="spark")
    # the rules are inlined from flags/02_outside_system.sql: is_late is entry_lag > 1
    assert "COALESCE(c.entry_lag > 1, FALSE)" in spark


def test_star_exclude_becomes_the_columns_named_with_the_same_rows():
    sql = (
        "with d as (select 1 as a, 2 as b, 3 as c), j as (select *, 4 as e from d) "
        "select 'x' as s, * exclude (a, e) from j "
        "union all by name select 'y' as s, j.* exclude (b) from j"
    )
    shared = port.render(sqlglot.parse_one(sql, read="duckdb"), "duckdb")
    assert "EXCLUDE" not in shared.upper()
    con = duckdb.connect()
    assert sorted(con.sql(shared).fetchall(), key=str) == sorted(con.sql(sql).fetchall(), key=str)


def test_spark_gets_seconds_between_timestamps_and_doubles_for_decimals():
    sql = (
        "select floor(epoch(b - a) / 60) as minutes, n / (2 * 48.0) as pace "
        "from (select timestamp '2026-11-20 08:00:00' as a, "
        "timestamp '2026-11-20 09:30:59' as b, 7 as n)"
    )
    tree = sqlglot.parse_one(sql, read="duckdb")
    spark = port.render(tree, "spark")
    assert "UNIX_TIMESTAMP" not in spark and "UNIX_MICROS(CAST(b AS TIMESTAMP))" in spark
    assert "CAST(48.0 AS DOUBLE)" in spark
    # DuckDB keeps its own forms, with the same answer as the original
    con = duckdb.connect()
    assert con.sql(port.render(tree, "duckdb")).fetchall() == con.sql(sql).fetchall()


def test_an_inlined_cte_named_like_its_alias_keeps_the_columns_reading_it():
    """`from c join p on p.k = c.k`, c a CTE of a macro: renamed c_N, still called c."""
    tree = port.expand(sqlglot.parse_one("select * from outside_system_signals(d0, d1)"), {})
    sql = tree.sql("duckdb")
    assert "JOIN pace_" in sql and " AS c " in sql


PAGE_VALUES = {**VALUES, "depts": [], "window_days": 30, "caller": "", "towns": ["339901001000"]}


def test_every_page_figure_is_formed_by_one_query_file_of_the_product():
    """The registry's figures formed by page queries (source="query") are read from the
    dashboard/queries file the page runs, found by the column it names."""
    assert set(port.PAGE_FIGURES) == {
        "hotline_resolution_rate",
        "hotline_repeat_callers",
        "hotline_repeat_calls",
    }
    assert port.page_query_of("hotline_resolution_rate") == "hotline__resolution"
    assert port.page_query_of("hotline_repeat_calls") == "hotline__repeat_count"
    assert port.page_query_of("hotline_repeat_callers") == "hotline__repeat_count"


def test_a_page_query_is_spark_sql_with_its_parameters_as_literals():
    for name in ("hotline__resolution", "hotline__repeat_count"):
        scopes = {"339901001000": ["339901001000"], "339901": ["339901001000", "339901002000"]}
        spark = port.render(port.page_query_scopes(name, PAGE_VALUES, scopes), "spark")
        parsed = sqlglot.parse_one(spark, read="spark")  # Spark SQL, no parameter left
        assert not list(parsed.find_all(sqlglot.exp.Placeholder, sqlglot.exp.Parameter))
        for duckdb_only in ("LIST_CONTAINS", "LENGTH(", "TO_DAYS", "REPEAT_CALLS("):
            assert duckdb_only not in spark.upper(), (name, duckdb_only)
        assert "ARRAY('339901001000', '339901002000')" in spark
    # repeat_calls() of etl/sql/rollups/01_daily.sql inlined, its window in days for Spark
    repeat = port.render(port.page_query("hotline__repeat_count", PAGE_VALUES), "spark")
    assert "FROM hotline_previous_calls" in repeat
    assert "MAKE_DT_INTERVAL(CAST(30 AS INT))" in repeat
    with pytest.raises(ValueError, match=r"\$window_days"):
        port.page_query(
            "hotline__repeat_count", {k: v for k, v in PAGE_VALUES.items() if k != "window_days"}
        )


def test_the_page_query_with_literals_gives_the_rows_of_the_bound_query():
    """The port's literals bind the parameters as the Store's `$x` binding does (DuckDB)."""
    from dashboard.store import query_text

    con = duckdb.connect()
    con.execute(
        """
        create table hotline_tickets as select * from (values
            ('t1', '339901001000', 'd', timestamp '2026-11-02 09:00', true),
            ('t2', '339901001000', 'd', timestamp '2026-11-03 09:00', false),
            ('t3', '339901001000', 'd', timestamp '2026-11-04 09:00', null),
            ('t4', '339901002000', 'd', timestamp '2026-11-04 09:00', true),
            ('t5', '339901001000', 'd', timestamp '2026-10-04 09:00', true)
        ) t(ticket_id, town_code, dept_name, received_at, resolved);
        create table towns as select * from (values
            ('339901001000', '甲镇'), ('339901002000', '乙镇')) t(town_code, town_name);
        """
    )
    params = {k: PAGE_VALUES[k] for k in ("date_from", "date_to", "towns", "depts")}
    bound = con.execute(query_text("hotline__resolution")[0], params).fetchall()
    ported = con.sql(
        port.render(port.page_query("hotline__resolution", PAGE_VALUES), "duckdb")
    ).fetchall()
    assert bound == ported == [("339901001000", "甲镇", 3, 2, 1, 0.5)]
    con.close()


def test_list_length_and_days_are_spelled_for_spark():
    tree = sqlglot.parse_one(
        "select len(cast([] as varchar[])) = 0, length(name), t - to_days(3) from x",
        read="duckdb",
    )
    spark = port.render(tree, "spark")
    assert spark.startswith("SELECT SIZE(CAST(") and "LENGTH(CAST" not in spark
    assert "LENGTH(name)" in spark  # text stays text
    assert "t - MAKE_DT_INTERVAL(3)" in spark
