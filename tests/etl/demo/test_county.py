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


def test_optional_values_follow_the_contract():
    """Contract §3a: the demo's 事项类型 are the listed ones, or other text (stored as 其他
    with the text kept: the demo has two such), its themes and villages are text."""
    from etl.demo.county import _BUNDLES, _ITEM_TYPES, _ITEMS, ATTRIBUTE_TOWNS, village_names
    from etl.sources import cases

    types = set(_ITEM_TYPES.values())
    assert types - set(cases.ITEM_TYPES) == {"行政备案", "其他权力事项"}
    assert set(_ITEM_TYPES) == {it.code for it in _ITEMS}
    assert set(_BUNDLES) <= set(_ITEM_TYPES)
    assert 0 < len(ATTRIBUTE_TOWNS) < len(demo.TOWN_NAMES)  # some towns: 无数据 elsewhere
    assert set(ATTRIBUTE_TOWNS) <= set(demo.TOWN_NAMES)
    for town in range(len(demo.TOWN_NAMES)):
        names = village_names(town)
        assert len(set(names)) == len(names) and all(n.endswith(("村", "社区")) for n in names)
