"""etl.demo.county: the county's value lists are the contract's."""

from __future__ import annotations

from etl import demo


def test_value_lists_follow_the_contract():
    from etl.sources import cases, evaluations, hotline

    assert demo.CASE_CHANNELS == cases.CHANNELS
    assert demo.CASE_STATUSES == cases.STATUSES
    assert demo.EVAL_CHANNELS == evaluations.CHANNELS
    assert set(demo.RATING_WORDS[1:]) == set(evaluations.RATINGS)
    assert all(evaluations.RATINGS[w] == i for i, w in enumerate(demo.RATING_WORDS) if w)
    assert demo.HOTLINE_TYPES == hotline.REQUEST_TYPES
    assert demo.HOTLINE_STATUSES == hotline.STATUSES
