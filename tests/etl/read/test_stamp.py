"""etl.read.stamp: the export time stated above the header."""

from __future__ import annotations

import datetime as dt

import pytest

from etl.read import extraction_stamp


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["导出时间：2026-11-22 08:00:00"], dt.datetime(2026, 11, 22, 8, 0, 0)),
        (["数据截至 2026年11月22日 08:00"], dt.datetime(2026, 11, 22, 8, 0)),
        (["示范县办件表", "导出时间: 2026/11/3 9:15:22"], dt.datetime(2026, 11, 3, 9, 15, 22)),
        (["截止日期：2026-11-22"], dt.datetime(2026, 11, 22)),
        (["生成时间 2026年11月22日08时30分15秒"], dt.datetime(2026, 11, 22, 8, 30, 15)),
        (["数据截止（北京时间）：2026.11.22 18:05"], dt.datetime(2026, 11, 22, 18, 5)),
        (["Exported at 2026-11-22T08:00:00"], dt.datetime(2026, 11, 22, 8, 0)),
        (["导出时间：2026-11-22 08:00 共 12 条"], dt.datetime(2026, 11, 22, 8, 0)),
        (["XX县2026年10月办件明细表"], None),
        (["统计时间：2026-10-01 至 2026-10-31"], None),
        (["导出时间：2026-13-45", "截至2026-11-21 17:00"], dt.datetime(2026, 11, 21, 17, 0)),
        ([], None),
    ],
)
def test_extraction_stamp(lines: list[str], expected: dt.datetime | None) -> None:
    assert extraction_stamp(lines) == expected
