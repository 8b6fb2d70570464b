"""The indicator registry: one declaration per figure, and what follows from it."""

from __future__ import annotations

import pytest

from dashboard.components.format import fmt, is_rate
from dashboard.domain import indicators
from dashboard.domain.indicators import BY_KEY, LISTED, REGISTRY, judge, select_sql


def test_each_figure_is_declared_once():
    keys = [i.key for i in REGISTRY]
    assert len(keys) == len(set(keys))
    # contract §7's list order: evaluation_rate follows rectify_rate
    assert LISTED.index("evaluation_rate") == LISTED.index("rectify_rate") + 1
    for i in REGISTRY:
        assert i.label and i.doc, i.key
        if i.kind == "rate" and i.source == "metrics":
            assert i.numerator and i.denominator, i.key
        if i.kind == "count" and i.source == "metrics":
            assert i.count, i.key


def test_the_docs_are_generated_from_the_registry():
    assert indicators.DOC.read_text(encoding="utf-8") == indicators.render_doc(), (
        "run: uv run python -m dashboard.domain.indicators"
    )


def test_the_metrics_sql_lines_come_from_the_declarations():
    sql = select_sql(["cases", "on_time_rate"])
    assert sql == (
        "coalesce(sum(cases), 0)::bigint as cases,\n"
        "    sum(on_time) / nullif(sum(completed), 0) as on_time_rate"
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("online_rate", 0.95, "green"),  # target 0.90
        ("online_rate", 0.87, "amber"),  # within the 0.05 margin
        ("online_rate", 0.50, "red"),
        ("online_rate", None, "none"),  # nothing to divide: no colour, never red
        ("overdue_open", 0, "green"),  # fewer is better: zero is green
        ("overdue_open", 3, "red"),
        ("cases", 10_000, "none"),  # a volume has no direction
        ("outside_system_depts", "社保", "none"),
    ],
)
def test_one_rule_colours_every_figure(pulse_env, key, value, expected):
    assert judge(key, value) == expected


def test_formats_follow_the_kind():
    assert is_rate("on_time_rate") and not is_rate("cases") and not is_rate("no_such_rate")
    assert fmt("on_time_rate", 0.9234) == "92.3%"
    assert fmt("cases", 12345) == "12,345"
    assert fmt("on_time_rate", None) == "—"
    assert BY_KEY["warning_open"].moment and not BY_KEY["cases"].moment
