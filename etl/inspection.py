"""`pulse inspect FILE`: how a file's headers map onto the contract, and a column map to paste.

For a file a source recognises (by the contract's headers or a configured column map) it
lists which column each header becomes and how, what is missing and what is unmapped. For a
file none recognises it finds the row and source the file most likely holds, matches what it
can and guesses the rest from the headers other vendors use (`Column.hints` in etl/sources)
and from how alike two headers are; the guesses make a suggested map in the shape
`pulse.toml` and a folder's `columns.toml` take. Nothing is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from etl import privacy
from etl.read import HEAD_ROWS, FileRefused, head_rows, read_header
from etl.read.header import VIA, _map_columns
from etl.sources import ALL_SOURCES, Column, Source, normalize_header
from etl.sources.maps import ColumnMap, maps_for

SURE, GUESS = "hint", "guess"  # how a suggestion was found: a known header, or likeness
_MIN_LIKENESS = 0.5


@dataclass
class HeaderLine:
    header: str  # as in the file (numbers masked)
    column: str | None = None  # store name it becomes
    label: str | None = None  # the contract's Chinese header of that column
    via: str | None = None  # header | name | alias | map | ignored (VIA), None: unmapped
    suggested: str | None = None  # for an unmapped header: the column it probably is
    suggested_label: str | None = None
    confidence: str | None = None  # SURE | GUESS


@dataclass
class Inspection:
    file: str
    recognised: bool
    source: str | None = None
    source_label: str | None = None
    column_map: str | None = None  # the configured map that recognised it
    header_row: int | None = None
    headers: list[HeaderLine] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)  # store names
    absent_optional: list[str] = field(default_factory=list)  # store names
    unmapped: list[str] = field(default_factory=list)
    suggested_map: str | None = None  # TOML text, None when no map is needed
    message: str | None = None  # why the loader would refuse the file

    def as_json(self) -> dict:
        return asdict(self)


def inspect_file(path: Path | str, maps: Sequence[ColumnMap] | None = None) -> Inspection:
    path = Path(path)
    maps = maps_for(path) if maps is None else list(maps)
    try:
        result = read_header(path, maps=maps)
    except FileRefused as refused:
        report = Inspection(str(path), False, message=privacy.mask_text(str(refused)))
        if refused.reason_code in ("unknown_source", "missing_header"):
            _explain_unrecognised(report, path, maps)
        return report
    source = result.source
    report = Inspection(
        str(path),
        True,
        source=source.name,
        source_label=source.label,
        column_map=result.column_map,
        header_row=result.header_row,
        unmapped=[privacy.mask_text(h) for h in result.unmapped],
    )
    cells = [h for h, _, _ in result.headers]
    taken = {i for i, (_, column, via) in enumerate(result.headers) if column or via}
    suggestions = _suggest(source, cells, taken, set(result.carried))
    for i, (header, column, via) in enumerate(result.headers):
        report.headers.append(_line(source, header, column, via, suggestions.get(i)))
    report.absent_optional = [
        c.name for c in source.columns if not c.required and c.name not in result.carried
    ]
    used = next((m for m in maps if m.name == result.column_map and m.source == source.name), None)
    if report.unmapped:
        report.suggested_map = _suggested_map(source, report.headers, path, used, [])
    return report


def _explain_unrecognised(report: Inspection, path: Path, maps: Sequence[ColumnMap]) -> None:
    """The row and source a file most likely holds, what matches, and the guesses."""
    try:
        rows = head_rows(path)
    except FileRefused:
        return
    best = None
    for line, _, cells in rows[: HEAD_ROWS * 3]:
        if not any(c.strip() for c in cells):
            continue
        for source in ALL_SOURCES:
            for column_map in (None, *(m for m in maps if m.source == source.name)):
                positions, via = _map_columns(source, cells, column_map)
                suggestions = _suggest(source, cells, set(via), set(positions))
                found = set(positions) | {s[0] for s in suggestions.values()}
                required = [c.name for c in source.required_headers]
                score = (
                    sum(1 for n in required if n in found) / len(required),
                    len(positions),
                    len(suggestions),
                )
                if best is None or score > best[0]:
                    best = (score, line, cells, source, positions, via, suggestions, column_map)
    if best is None or best[0][0] < 0.5:
        return  # nothing here looks like a source's header
    _, line, cells, source, positions, via, suggestions, column_map = best
    report.source, report.source_label, report.header_row = source.name, source.label, line
    by_cell = {i: name for name, i in positions.items()}
    for i, cell in enumerate(cells):
        if cell.strip():
            report.headers.append(
                _line(source, cell.strip(), by_cell.get(i), via.get(i), suggestions.get(i))
            )
    found = set(positions) | {s[0] for s in suggestions.values()}
    report.missing_required = [c.name for c in source.required_headers if c.name not in found]
    report.absent_optional = [
        c.name for c in source.columns if not c.required and c.name not in found
    ]
    report.unmapped = [
        h.header for h in report.headers if h.column is None and h.via is None and not h.suggested
    ]
    report.suggested_map = _suggested_map(
        source, report.headers, path, column_map, report.missing_required
    )


def _line(
    source: Source,
    header: str,
    column: str | None,
    via: str | None,
    suggestion: tuple[str, str] | None,
) -> HeaderLine:
    labels = {c.name: c.header for c in source.columns}
    line = HeaderLine(privacy.mask_text(header), column, labels.get(column or ""), via)
    if column is None and via is None and suggestion:
        line.suggested, line.confidence = suggestion
        line.suggested_label = labels[line.suggested]
    return line


def _suggest(
    source: Source, cells: list[str], taken: set[int], assigned: set[str]
) -> dict[int, tuple[str, str]]:
    """Cell index → (store name, SURE | GUESS) for header cells nothing matched: a header
    other vendors use for the column first, else the most alike column's header."""
    scored: list[tuple[float, int, str]] = []
    for i, cell in enumerate(cells):
        key = normalize_header(cell)
        if not key or i in taken:
            continue
        for col in source.columns:
            if col.name in assigned:
                continue
            if key in {normalize_header(h) for h in col.hints}:
                scored.append((2.0, i, col.name))
                continue
            likeness = max(_likeness(key, normalize_header(n)) for n in _names(col))
            if likeness >= _MIN_LIKENESS:
                scored.append((likeness, i, col.name))
    out: dict[int, tuple[str, str]] = {}
    used: set[str] = set()
    for score, i, name in sorted(scored, key=lambda s: (-s[0], s[1])):
        if i not in out and name not in used:
            out[i] = (name, SURE if score >= 2.0 else GUESS)
            used.add(name)
    return out


def _names(col: Column) -> tuple[str, ...]:
    return (col.header, col.name, *col.aliases, *col.hints)


def _likeness(a: str, b: str) -> float:
    """Dice coefficient of the two headers' character pairs, or of their characters (short
    Chinese headers share few pairs: 受理单位 / 受理部门), whichever is higher."""
    if not a or not b:
        return 0.0

    def dice(x: list[str], y: list[str]) -> float:
        if not x or not y:
            return 0.0
        common = sum(min(x.count(g), y.count(g)) for g in set(x))
        return 2 * common / (len(x) + len(y))

    pairs = dice(
        [a[i : i + 2] for i in range(len(a) - 1)], [b[i : i + 2] for i in range(len(b) - 1)]
    )
    return max(pairs, dice(list(a), list(b)))


def _suggested_map(
    source: Source,
    headers: list[HeaderLine],
    path: Path,
    existing: ColumnMap | None,
    missing: list[str],
) -> str:
    """A [[columns.maps]] table for the file, to paste into pulse.toml or a folder's
    columns.toml: the existing map's entries, the suggestions, and the unknown headers as
    comments to fill in."""
    labels = {c.name: c.header for c in source.columns}
    name = existing.name if existing else path.stem
    out = [
        "# 建议的列映射：逐行核对后粘贴到 pulse.toml 或导出文件夹的 columns.toml",
        "# suggested column map: check each line, paste into pulse.toml or the folder's",
        "# columns.toml (docs/column-maps.zh.md)",
        "[[columns.maps]]",
        f"source = {_quote(source.name)}",
        f"name = {_quote(name)}",
        "[columns.maps.headers]",
    ]
    for h in headers:
        if h.via == "map" and h.column:
            out.append(f"{_quote(h.header)} = {_quote(h.column)}  # {labels[h.column]}")
        elif h.via == "ignored":
            out.append(f'{_quote(h.header)} = ""  # 不导入 / not loaded')
        elif h.column is None and h.suggested:
            note = "请核对 / please check" if h.confidence == GUESS else ""
            out.append(
                f"{_quote(h.header)} = {_quote(h.suggested)}  # {labels[h.suggested]}"
                + (f"  {note}" if note else "")
            )
    for h in headers:
        if h.column is None and h.via is None and not h.suggested:
            out.append(
                f'# {_quote(h.header)} = ""  # 未识别 unknown: 填列名 column, 或 or "" 不导入'
            )
    for name_ in missing:
        out.append(f"# 仍缺少必需列 / still missing required: {labels[name_]} ({name_})")
    return "\n".join(out) + "\n"


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def via_text(via: str | None) -> str:
    return VIA.get(via or "", "未映射 / unmapped")


# --------------------------------------------------------------------------- printing


def print_inspection(report: Inspection, console) -> None:
    """`pulse inspect` as a table, Chinese then English (a rich Console)."""
    from rich.markup import escape
    from rich.table import Table

    name = escape(Path(report.file).name)
    console.print(f"文件 / file: {name}")
    if report.recognised:
        via = f"，经列映射「{report.column_map}」/ through column map '{report.column_map}'"
        console.print(
            f"来源 / source: {report.source_label} {report.source}"
            + (via if report.column_map else "")
            + f"；表头在第 {report.header_row} 行 / header on row {report.header_row}"
        )
    elif report.source:
        console.print(
            f"[red]未识别[/red] / not recognised: 第 {report.header_row} 行看起来像"
            f"{report.source_label}表头 / row {report.header_row} looks like the header of "
            f"{report.source}"
        )
    else:
        console.print(f"[red]未识别[/red] / not recognised: {escape(report.message or '')}")
        return
    table = Table()
    for title in ("表头 header", "对应列 column", "契约表头 contract header", "方式 how"):
        table.add_column(title)
    for h in report.headers:
        if h.column or h.via == "ignored":
            table.add_row(escape(h.header), h.column or "—", h.label or "—", via_text(h.via))
        elif h.suggested:
            how = "建议 / suggested" if h.confidence == SURE else "建议，请核对 / guess, check"
            table.add_row(
                escape(h.header), f"[yellow]{h.suggested}?[/yellow]", h.suggested_label or "", how
            )
        else:
            table.add_row(escape(h.header), "—", "—", "[yellow]未映射 / unmapped[/yellow]")
    console.print(table)
    labels = {c.name: c.header for s in ALL_SOURCES if s.name == report.source for c in s.columns}
    if report.missing_required:
        missing = "、".join(f"{labels[n]}（{n}）" for n in report.missing_required)
        console.print(f"[red]缺少必需列 / missing required[/red]: {missing}")
    if report.absent_optional:
        absent = "、".join(f"{labels[n]}（{n}）" for n in report.absent_optional)
        console.print(f"未提供的可选列 / optional columns absent: {absent}")
    if report.unmapped:
        console.print(
            "未映射的列（不会导入）/ unmapped headers (not loaded): "
            + escape("、".join(report.unmapped))
        )
    if report.suggested_map:
        console.print()  # as it is, never wrapped: it is pasted into a TOML file
        console.print(report.suggested_map, markup=False, highlight=False, soft_wrap=True)
    elif report.recognised:
        console.print("不需要新的列映射 / no column map needed")


def print_load_notes(reports, console) -> None:
    """Below `pulse load`'s table: the column map each file was recognised through and the
    headers nothing maps (reported, never dropped without a word)."""
    from rich.markup import escape

    for r in reports:
        name = escape(Path(r.file).name)
        if r.column_map:
            console.print(
                f"{name}: 经列映射「{escape(r.column_map)}」识别 / recognised through column map"
            )
        if r.unmapped:
            console.print(
                f"[yellow]{name}: 未映射的列（未导入）/ unmapped headers (not loaded)[/yellow]: "
                + escape("、".join(r.unmapped)),
                highlight=False,
            )
