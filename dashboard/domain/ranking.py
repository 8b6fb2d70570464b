"""红黑榜: the one rule for ranking towns on a figure, used by the overview, the wall and the
PDF (and the 通报).

- Towns are ordered best first by the figure's direction (domain/indicators.py `better`):
  higher first for rates, fewer first for counts where fewer is better; a plain volume
  (办件量) most first. Ties go by town code, so the order never depends on the query.
- A town without a value (a rate with nothing to divide), or without any activity in the
  period (no case, evaluation or ticket: its zero overdue cases are no achievement), is
  listed last, unranked. A period with no data ranks nobody.
- Boards: only for figures with a direction, and only when more than 2 × BOARD_SIZE towns
  have a value; then the first BOARD_SIZE are 红榜 and the last BOARD_SIZE 黑榜.
- Hard targets (setting `ranking.hard_targets`, default 超期未办结): a town that misses one
  (`indicators.judge` is not green: a count where fewer is better above 0, a rate below its
  target) is never on 红榜, whatever figure it is ranked by. Its place is not passed down to
  the next town: 红榜 lists the towns among the first BOARD_SIZE that meet every hard target,
  so it may be shorter than BOARD_SIZE, or empty. Its rank and 黑榜 are unchanged.
- Rank changes (升降) compare with the same ranking of the previous period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.domain import comparisons, indicators
from etl import settings

BOARD_SIZE = 3  # towns on each of 红榜 and 黑榜
RED, BLACK = "红榜", "黑榜"


@dataclass(frozen=True)
class Ranked:
    rank: int | None  # 1 = best; None: no value, not ranked
    board: str  # 红榜 | 黑榜 | ""
    row: dict[str, Any]
    previous_rank: int | None = None

    @property
    def change(self) -> int | None:
        """Places gained since the previous period (positive = up), or None."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def has_boards(key: str) -> bool:
    """Praise and shame only where a direction is better; a volume is most and fewest."""
    found = indicators.BY_KEY.get(key)
    return found is not None and found.better is not None


def hard_targets() -> tuple[str, ...]:
    """The indicators every town on 红榜 must meet (setting `ranking.hard_targets`)."""
    keys = tuple(str(k) for k in settings.get("ranking.hard_targets") or ())
    for key in keys:
        indicators.get(key)  # an unknown key is a configuration error, said at once
    return keys


def missed(row: dict[str, Any], targets: tuple[str, ...] | None = None) -> list[str]:
    """The hard targets a town's row misses (its figures for the same period). A row
    without the figure cannot show that it meets it: that counts as missed."""
    out = []
    for key in hard_targets() if targets is None else targets:
        value = row.get(key)
        if value is None or indicators.judge(key, value) != "green":
            out.append(key)
    return out


def rule_text() -> str:
    """The hard-target part of the rule in Chinese, for a note beside a board ("" if none):
    有超期未办结的乡镇不上红榜."""
    parts = []
    for key in hard_targets():
        i = indicators.get(key)
        parts.append(f"有{i.label}" if i.better == "lower" else f"{i.label}未达标")
    return f"{'或'.join(parts)}的乡镇不上红榜" if parts else ""


def board_text() -> str:
    """The whole board rule in one Chinese sentence, for a note beside a ranking."""
    rule = (
        f"前 {BOARD_SIZE} 名为红榜、后 {BOARD_SIZE} 名为黑榜"
        f"(有数据的乡镇多于 {2 * BOARD_SIZE} 个时)"
    )
    hard = rule_text()
    return f"{rule};{hard},红榜可能不足 {BOARD_SIZE} 个" if hard else rule


def _rows(data: pl.DataFrame | Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(data.iter_rows(named=True)) if isinstance(data, pl.DataFrame) else list(data)


def ranked_on(row: dict[str, Any], by: str) -> bool:
    """Whether a row takes part in a ranking on `by`: it has a value and some activity."""
    return row.get(by) is not None and comparisons.has_data(row)


def _ordered(rows: list[dict[str, Any]], by: str, key: str) -> list[dict[str, Any]]:
    lower = indicators.BY_KEY.get(by) is not None and indicators.BY_KEY[by].better == "lower"
    valued = [r for r in rows if ranked_on(r, by)]
    valued.sort(key=lambda r: (r[by] if lower else -r[by], str(r.get(key))))
    rest = [r for r in rows if not ranked_on(r, by)]
    return valued + sorted(rest, key=lambda r: str(r.get(key)))


def rank(
    data: pl.DataFrame | Iterable[dict[str, Any]],
    by: str,
    before: pl.DataFrame | Iterable[dict[str, Any]] | None = None,
    key: str = "town_code",
) -> list[Ranked]:
    """Every row (town), best first, with its rank, board and previous rank."""
    rows = _ordered(_rows(data), by, key)
    valued = sum(1 for r in rows if ranked_on(r, by))
    eligible = has_boards(by) and valued > 2 * BOARD_SIZE
    targets = hard_targets()
    old: dict[Any, int] = {}
    if before is not None:
        previous = [r for r in _ordered(_rows(before), by, key) if ranked_on(r, by)]
        old = {r[key]: i + 1 for i, r in enumerate(previous)}
    out = []
    for i, r in enumerate(rows):
        if not ranked_on(r, by):
            out.append(Ranked(None, "", r, old.get(r.get(key))))
            continue
        board = ""
        if eligible and i < BOARD_SIZE:
            board = "" if missed(r, targets) else RED
        elif eligible and i >= valued - BOARD_SIZE:
            board = BLACK
        out.append(Ranked(i + 1, board, r, old.get(r.get(key))))
    return out


def change_text(ranked: Ranked) -> str:
    """升降 as shown: ↑2, ↓1, 持平, or empty when there is no previous rank."""
    if ranked.change is None:
        return ""
    if ranked.change == 0:
        return "持平"
    return f"{'↑' if ranked.change > 0 else '↓'}{abs(ranked.change)}"


def boards(ranked: list[Ranked]) -> tuple[list[Ranked], list[Ranked]]:
    """(红榜 best first, 黑榜 worst last) of a ranking."""
    return [r for r in ranked if r.board == RED], [r for r in ranked if r.board == BLACK]
