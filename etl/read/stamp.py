"""The export time an export states above its header row (its extraction stamp)."""

from __future__ import annotations

import datetime as dt
import re

_STAMP_KEYWORDS = (
    "导出时间",
    "导出日期",
    "导出于",
    "数据截至",
    "数据截止",
    "截止时间",
    "截止日期",
    "截至时间",
    "截至日期",
    "截至",
    "截止",
    "生成时间",
    "制表时间",
    "打印时间",
    "下载时间",
    "提取时间",
    "抽取时间",
    "exported at",
    "export time",
    "exported",
    "extracted at",
    "extracted",
    "generated at",
    "as of",
)
_STAMP = re.compile(
    r"(?:" + "|".join(re.escape(k) for k in _STAMP_KEYWORDS) + r")"
    r"[^\d]{0,12}?"
    r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[T\s]*(?P<H>\d{1,2})\s*(?:"
    r"[:：]\s*(?P<M>\d{1,2})(?:\s*[:：]\s*(?P<S>\d{1,2}))?"  # 08:00 or 08:00:00
    r"|[时点]\s*(?P<M2>\d{1,2})\s*分(?:\s*(?P<S2>\d{1,2})\s*秒)?"  # 08时00分(30秒)
    r"))?",
    re.IGNORECASE,
)


def extraction_stamp(title_lines: list[str]) -> dt.datetime | None:
    """The export time an export states above its header, e.g. '导出时间：2026-11-22 08:00:00'
    or '数据截至 2026年11月22日 08:00'; None if no title line states one.

    Only a date after a keyword counts (导出时间, 数据截至, 截止, 生成时间, exported, as of …),
    so a title such as 'XX县2026年10月办件明细表' or a period '统计时间：…' is not taken for it.
    A date without a time means 00:00:00 (contract §1).
    """
    for line in title_lines:
        for m in _STAMP.finditer(line):
            try:
                return dt.datetime(
                    int(m["y"]),
                    int(m["m"]),
                    int(m["d"]),
                    int(m["H"] or 0),
                    int(m["M"] or m["M2"] or 0),
                    int(m["S"] or m["S2"] or 0),
                )
            except ValueError:
                continue
    return None
