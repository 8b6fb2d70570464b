"""Finding the header row: which source a row of cells is the header of, and which cell each
declared column is read from (contract §1: headers as exported, spaces and full-width
parentheses do not matter, English store names accepted)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from etl.read.base import HEAD_ROWS, FileRefused
from etl.sources import Column, Source, normalize_header
from etl.sources.maps import ColumnMap


@dataclass
class _Match:
    source: Source
    index: int  # position of the header row in the scanned row list
    line: int  # 1-based first line of the header row
    end_line: int  # 1-based last line of the header row (differs for multi-line cells)
    cells: list[str]  # header cells as text
    positions: dict[str, int]  # Column.name → cell index
    via: dict[int, str] = field(default_factory=dict)  # cell index → VIA key
    column_map: ColumnMap | None = None  # the map that recognised the file, if any


@dataclass
class _NearMiss:
    source: Source
    line: int
    missing: list[Column]
    matched: int


# How a header cell was matched (ReadResult.headers, `pulse inspect`).
VIA = {
    "header": "契约表头 / contract header",
    "name": "英文列名 / store name",
    "alias": "常见别名 / alias",
    "map": "列映射 / column map",
    "ignored": "列映射：不导入 / column map: not loaded",
}


def _map_columns(
    source: Source, cells: list[str], column_map: ColumnMap | None = None
) -> tuple[dict[str, int], dict[int, str]]:
    """(Column.name → index of the header cell it is read from, cell index → how).

    A column map's headers are matched first (a map may take a cell that carries another
    column's contract header), then the columns' Chinese headers and store names, then
    aliases (so an alias never takes a cell that is some column's own header); of several
    equal cells the leftmost is used and the others stay unmapped.
    """
    normalized = [normalize_header(c) for c in cells]
    used: dict[int, str] = {}
    positions: dict[str, int] = {}

    if column_map is not None:
        for i, key in enumerate(normalized):
            target = column_map.headers.get(key) if key else None
            if target == "":
                used[i] = "ignored"
            elif target and target not in positions:
                positions[target] = i
                used[i] = "map"

    def take(col: Column, keys: Iterable[str], via: str) -> None:
        wanted = {k for k in (normalize_header(key) for key in keys) if k}
        for i, key in enumerate(normalized):
            if key in wanted and i not in used:
                positions[col.name] = i
                used[i] = via
                return

    for col in source.columns:
        if col.name not in positions:
            take(col, (col.header,), "header")
        if col.name not in positions:
            take(col, (col.name,), "name")
    for col in source.columns:
        if col.name not in positions and col.aliases:
            take(col, col.aliases, "alias")
    return positions, used


def _find_header(
    rows: Iterable[tuple[int, int, list[str]]],
    sources: Sequence[Source],
    maps: Sequence[ColumnMap] = (),
) -> tuple[_Match | None, _NearMiss | None]:
    """The first row holding all required headers of a source (under the contract's
    headers or one of the source's column maps), or the best near miss."""
    best_miss: _NearMiss | None = None
    for index, (line, end_line, cells) in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        full: list[tuple[tuple[int, int, int], _Match]] = []
        for source in sources:
            required = source.required_headers
            candidates = [None, *(m for m in maps if m.source == source.name)]
            for order, column_map in enumerate(candidates):
                positions, via = _map_columns(source, cells, column_map)
                missing = [c for c in required if c.name not in positions]
                if not missing:
                    # several sources on one row: the one with the most required headers
                    # wins; of a source's maps, the one placing most cells, then the first
                    rank = (len(required), len(via), -order)
                    match = _Match(source, index, line, end_line, cells, positions, via, column_map)
                    full.append((rank, match))
                    continue
                matched = len(required) - len(missing)
                if matched >= 2 and 2 * matched > len(required):
                    ratio = matched / len(required)
                    if best_miss is None or ratio > best_miss.matched / (
                        best_miss.matched + len(best_miss.missing)
                    ):
                        best_miss = _NearMiss(source, line, missing, matched)
        if full:
            return max(full, key=lambda rm: rm[0])[1], None
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
            f"（若表头名称不同，可用 pulse inspect {name} 生成列映射）"
            f" / {name}: row {miss.line} looks like the header of source "
            f"'{miss.source.name}' but lacks required column(s): {en} (if its headers are "
            f"named otherwise, `pulse inspect {name}` suggests a column map)",
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
        f"（可用 pulse inspect {name} 查看表头如何对应并生成列映射）"
        f" / cannot recognise the source of {name}: none of the first {HEAD_ROWS} rows "
        f"holds all required headers of one source ({names}); headers seen: "
        f"{' | '.join(shown) if shown else '(none)'} (`pulse inspect {name}` shows how its "
        f"headers map and suggests a column map)",
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


def _unmapped(match: _Match) -> list[str]:
    """Header cells nothing maps (and no map ignores on purpose): reported, never loaded."""
    return [c.strip() for i, c in enumerate(match.cells) if i not in match.via and c.strip()]


def _headers(match: _Match) -> list[tuple[str, str | None, str | None]]:
    """(header cell, store name or None, VIA key or None) for every non-empty header cell."""
    by_cell = {i: name for name, i in match.positions.items()}
    return [
        (c.strip(), by_cell.get(i), match.via.get(i))
        for i, c in enumerate(match.cells)
        if c.strip()
    ]


def _result_fields(match: _Match) -> dict:
    """What a reader's ReadResult says about the header row."""
    return {
        "column_map": match.column_map.name if match.column_map else None,
        "unmapped": _unmapped(match),
        "carried": frozenset(match.positions),
        "headers": _headers(match),
    }
