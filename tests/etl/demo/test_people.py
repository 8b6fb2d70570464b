"""etl.demo.people: personal data as platforms export it (valid ID check digits, mobiles,
names)."""

from __future__ import annotations

import polars as pl


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
