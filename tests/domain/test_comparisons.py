"""Fair comparisons (dashboard/domain/comparisons.py): one rule for every 较上期."""

from __future__ import annotations

from datetime import date, datetime

from dashboard.domain import comparisons, periods


def test_a_running_period_is_compared_with_the_same_elapsed_span():
    as_of = datetime(2026, 11, 10, 9, 0)  # the 10th: this month is running
    spans = comparisons.spans(periods.named("this_month", as_of.date()), as_of)
    assert spans.running and spans.label == "较上月同期"
    assert (spans.current.start, spans.current.end) == (date(2026, 11, 1), date(2026, 11, 10))
    assert (spans.previous.start, spans.previous.end) == (date(2026, 10, 1), date(2026, 10, 10))
    monday = datetime(2026, 11, 23, 8, 0)  # 8 hours of Monday against a Monday, not a week
    week = comparisons.spans(periods.named("this_week", monday.date()), monday)
    assert (week.previous.start, week.previous.end) == (date(2026, 11, 16), date(2026, 11, 16))
    assert week.label == "较上周同期"


def test_a_complete_period_is_compared_whole():
    as_of = datetime(2026, 11, 10, 9, 0)
    spans = comparisons.spans(periods.named("last_month", as_of.date()), as_of)
    assert not spans.running and spans.label == "较上月"
    assert (spans.previous.start, spans.previous.end) == (date(2026, 9, 1), date(2026, 9, 30))


def test_counts_at_a_moment_are_not_compared(pulse_env):
    moved = comparisons.change("overdue_open", 720, 0)
    assert moved.kind == "moment" and moved.better is None and "+" not in moved.text


def test_no_data_before_is_said_not_computed(pulse_env):
    moved = comparisons.change("cases", 842_043, 0, previous_has_data=False)
    assert moved.text == "上期无数据" and moved.better is None


def test_rates_move_in_points_with_a_dead_band(pulse_env):
    assert comparisons.change("satisfaction_rate", 0.9801, 0.98004).text == "持平"
    flat = comparisons.change("satisfaction_rate", 0.9801, 0.98004)
    assert flat.better is None and flat.arrow == ""
    up = comparisons.change("satisfaction_rate", 0.985, 0.975)
    assert (up.text, up.better, up.arrow) == ("+1.0个百分点", True, "▲")
    worse = comparisons.change("overdue_completed", 30, 20)
    assert (worse.text, worse.better) == ("+10 (+50%)", False)
    volume = comparisons.change("cases", 120, 100)
    assert volume.better is None  # a volume has no better direction: no colour
