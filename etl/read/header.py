"""Finding the header row: which source a row of cells is the header of, and which cell each
declared column is read from (contract §1: headers as exported, spaces and full-width
parentheses do not matter, English store names accepted)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from etl.read.base import HEAD_ROWS, FileRefused
from etl.sources import Column, Source, normalize_header


@dataclass
class _Match:
    source: Source
    index: int  # position of the header row in the scanned row list
    line: int  # 1-based first line of the header row
    end_line: int  # 1-based last line of the header row (differs for multi-line cells)
    cells: list[str]  # header cells as text
    positions: dict[str, int]  # Column.name → cell index


@dataclass
class _NearMiss:
    source: Source
    line: int
    missing: list[Column]
    matched: int


def _map_columns(source: Source, cells: list[str]) -> dict[str, int]:
    """Column.name → index of the header cell it is read from.

    A cell is matched by the column's Chinese header or store name first, by an alias only
    after that (so an alias never takes a cell that is some column's own header); of several
    equal cells the leftmost is used and the others are extra columns.
    """
    normalized = [normalize_header(c) for c in cells]
    used: set[int] = set()
    positions: dict[str, int] = {}

    def take(col: Column, keys: Iterable[str]) -> None:
        wanted = {k for k in (normalize_header(key) for key in keys) if k}
        for i, key in enumerate(normalized):
            if key in wanted and i not in used:
                positions[col.name] = i
                used.add(i)
                return

    for col in source.columns:
        take(col, (col.header, col.name))
    for col in source.columns:
        if col.name not in positions and col.aliases:
            take(col, col.aliases)
    return positions


def _find_header(
    rows: Iterable[tuple[int, int, list[str]]], sources: Sequence[Source]
) -> tuple[_Match | None, _NearMiss | None]:
    """The first row holding all required headers of a source, or the best near miss."""
    best_miss: _NearMiss | None = None
    for index, (line, end_line, cells) in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        full: list[tuple[Source, dict[str, int]]] = []
        for source in sources:
            positions = _map_columns(source, cells)
            required = source.required_headers
            missing = [c for c in required if c.name not in positions]
            if not missing:
                full.append((source, positions))
                continue
            matched = len(required) - len(missing)
            if matched >= 2 and 2 * matched > len(required):
                ratio = matched / len(required)
                if best_miss is None or ratio > best_miss.matched / (
                    best_miss.matched + len(best_miss.missing)
                ):
                    best_miss = _NearMiss(source, line, missing, matched)
        if full:
            # several sources on one row: the one with the most required headers wins
            source, positions = max(full, key=lambda sp: len(sp[0].required_headers))
            return _Match(source, index, line, end_line, cells, positions), None
    return None, best_miss


def _refuse_no_header(
    path: Path,
    sources: Sequence[Source],
    miss: _NearMiss | None,
    seen: list[str],
) -> FileRefused:
    name = path.name
    if miss is not None:
        zh = "、".join(c.header for c in miss.missing)
        en = ", ".join(f"{c.header} ({c.name})" for c in miss.missing)
        return FileRefused(
            path,
            "missing_header",
            f"文件 {name} 第 {miss.line} 行像是{miss.source.label}表头，但缺少必需的列：{zh}"
            f" / {name}: row {miss.line} looks like the header of source "
            f"'{miss.source.name}' but lacks required column(s): {en}",
        )
    shown = [c for c in (s.strip() for s in seen) if c][:20]
    seen_text = "、".join(shown) if shown else "（无）"
    labels = "、".join(s.label for s in sources)
    names = ", ".join(s.name for s in sources)
    return FileRefused(
        path,
        "unknown_source",
        f"文件 {name} 无法识别数据来源：前 {HEAD_ROWS} 行中没有任何一行"
        f"包含某一来源（{labels}）的全部必需表头；看到的表头：{seen_text}"
        f" / cannot recognise the source of {name}: none of the first {HEAD_ROWS} rows "
        f"holds all required headers of one source ({names}); headers seen: "
        f"{' | '.join(shown) if shown else '(none)'}",
    )


def _widest(rows: Iterable[tuple[int, int, list[str]]]) -> list[str]:
    """The non-empty row with the most non-empty cells: what the header probably was."""
    best: list[str] = []
    best_n = 0
    for _, _, cells in rows:
        n = sum(1 for c in cells if c.strip())
        if n > best_n:
            best, best_n = cells, n
    return best


def _title_lines(rows: Iterable[tuple[int, int, list[str]]]) -> list[str]:
    out = []
    for _, _, cells in rows:
        text = " ".join(c.strip() for c in cells if c and c.strip())
        if text:
            out.append(text)
    return out


def _extra_columns(match: _Match) -> list[str]:
    used = set(match.positions.values())
    return [c.strip() for i, c in enumerate(match.cells) if i not in used and c.strip()]
