"""Entry points: what kind of file this is (by content; the extension only gates), then
the reader for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from etl.read import excel, text
from etl.read.base import (
    _BOM,
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    FileRefused,
    ReadResult,
    _empty_message,
)
from etl.read.excel import _read_excel
from etl.read.text import _read_text
from etl.sources import ALL_SOURCES, Source
from etl.sources.maps import ColumnMap, maps_for

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_file(
    path: Path | str,
    sources: Sequence[Source] = ALL_SOURCES,
    maps: Sequence[ColumnMap] | None = None,
) -> ReadResult:
    """Read one file; raise FileRefused when it cannot be read as a whole.

    `maps`: the column maps that may recognise it (None: pulse.toml's and a map file in
    the file's folder, etl.sources.maps.maps_for)."""
    path = Path(path)
    kind = _kind(path)
    maps = maps_for(path) if maps is None else maps
    if kind == "excel":
        return _read_excel(path, sources, maps=maps)
    return _read_text(path, sources, maps=maps)


def read_header(
    path: Path | str,
    sources: Sequence[Source] = ALL_SOURCES,
    maps: Sequence[ColumnMap] | None = None,
) -> ReadResult:
    """What the header row says (source, map, columns, unmapped headers) with an empty
    frame: reads only the first rows of a CSV (an Excel sheet is loaded whole by calamine).
    Raises FileRefused for what it sees wrong there; a file whose header reads fine can
    still be refused by read_file (a bad byte further down)."""
    path = Path(path)
    kind = _kind(path)
    maps = maps_for(path) if maps is None else maps
    if kind == "excel":
        return _read_excel(path, sources, sniff=True, maps=maps)
    return _read_text(path, sources, sniff=True, maps=maps)


def sniff_source(
    path: Path | str,
    sources: Sequence[Source] = ALL_SOURCES,
    maps: Sequence[ColumnMap] | None = None,
) -> Source:
    """The source a file holds, from its header row alone (see read_header)."""
    return read_header(path, sources, maps).source


def head_rows(path: Path | str) -> list[tuple[int, int, list[str]]]:
    """The first rows of a file as text cells, whatever they hold: (first line, last line,
    cells). For `pulse inspect`, which explains a file no source recognises."""
    path = Path(path)
    if _kind(path) == "excel":
        return excel.head_rows(path)
    return text.head_rows(path)


def _kind(path: Path) -> str:
    """'excel' or 'text', by content (the extension only gates); refuses what is neither."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES + EXCEL_SUFFIXES:
        raise FileRefused(
            path,
            "unsupported_format",
            f"文件 {name} 的格式不受支持（只接受 CSV、TXT、TSV 或 Excel .xlsx/.xls）"
            f" / unsupported format of {name}: only CSV/TXT/TSV or Excel .xlsx/.xls files "
            f"are read (got '{suffix or 'no extension'}')",
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise FileRefused(
            path,
            "unreadable",
            f"文件 {name} 无法打开（{exc.strerror or exc}） / cannot open {name}: "
            f"{exc.strerror or exc}",
        ) from exc
    if size == 0:
        raise FileRefused(path, "empty", _empty_message(name))

    if magic.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return "excel"
    if _looks_like_markup(magic):
        raise FileRefused(
            path,
            "unsupported_format",
            f"文件 {name} 是网页（HTML/XML）文件，不是 Excel 或 CSV，"
            f"请另存为 .xlsx 或 .csv 后再导入"
            f" / {name} is an HTML/XML page, not Excel or CSV: save it as .xlsx or .csv first",
        )
    if suffix in (".xlsx", ".xlsm"):
        raise FileRefused(
            path,
            "unsupported_format",
            f"文件 {name} 不是有效的 Excel 工作簿 / {name} is not a valid Excel workbook",
        )
    # a text file, possibly an '.xls' that is really tab-separated text (common in exports)
    return "text"


def _looks_like_markup(magic: bytes) -> bool:
    head = magic.removeprefix(_BOM).lstrip()
    return head[:1] == b"<"
