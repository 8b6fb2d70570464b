"""Read one export file (CSV or Excel) into a frame of text cells, keyed by the source it holds.

The source is recognised from the header row only (never from the file name): the first of
the first ~30 rows that carries every required header of one source (contract §1). Values
are cell text, stripped, empty → null; nothing else is interpreted here — validation does
that. Every data row keeps `_row`, its 1-based row/line number in the file as a spreadsheet
or text editor shows it, so a rejected row can be found again.

CSV is parsed by polars (no Python loop per row), piece by piece as it is decoded. Its
encoding is found by decoding: a UTF-8 BOM means UTF-8; otherwise the whole file must be
strict UTF-8, else strict GB18030 (a superset of GBK, transcoded to UTF-8 on the way).
Excel files are read with python-calamine, from the first sheet that has a header row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import math
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl
import python_calamine

from etl.sources import ALL_SOURCES, Column, Source, normalize_header

_T = TypeVar("_T")

REASONS = (
    "unreadable",
    "undecodable",
    "unknown_source",
    "missing_header",
    "empty",
    "unsupported_format",
)

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")

HEAD_ROWS = 30  # non-empty rows scanned for the header row
_HEAD_MAX_LINES = 300  # ... within at most this many physical lines
_HEAD_MAX_BYTES = 4 << 20
_CHUNK = 16 << 20  # bytes decoded, then parsed, at a time
_MAX_RECORD_LINES = 200  # a record spanning more lines has an unclosed quote (Python path)
_BATCH_ROWS = 50_000  # rows converted per batch on the Python paths (Excel, odd CSV)

_BOM = codecs.BOM_UTF8
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileRefused(Exception):
    """A file that cannot be read as a whole.

    `str(exc)` is a Chinese + English message that names the file and what is wrong;
    `reason_code` is one of REASONS.
    """

    def __init__(self, path: Path | str, reason_code: str, message: str):
        if reason_code not in REASONS:
            raise ValueError(f"unknown reason code {reason_code!r}")
        super().__init__(message)
        self.path = Path(path)
        self.reason_code = reason_code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class ReadResult:
    path: Path
    source: Source
    encoding: str  # 'utf-8' | 'utf-8-sig' | 'gb18030' | 'xlsx' (any Excel workbook)
    delimiter: str | None  # ',' or '\t' for CSV, None for Excel
    header_row: int  # 1-based row (line) number of the header row in the file
    title_lines: list[str]  # non-empty rows above the header, cells joined by a space
    frame: pl.DataFrame  # `_row` (Int64) then one String column per Column.name
    extra_columns: list[str]  # headers in the file the source does not declare (ignored)


# --------------------------------------------------------------------------- entry point


def read_file(path: Path | str, sources: Sequence[Source] = ALL_SOURCES) -> ReadResult:
    """Read one file; raise FileRefused when it cannot be read as a whole."""
    path = Path(path)
    if _kind(path) == "excel":
        return _read_excel(path, sources)
    return _read_text(path, sources)


def sniff_source(path: Path | str, sources: Sequence[Source] = ALL_SOURCES) -> Source:
    """The source a file holds, from its header row alone (reads only the first rows of a
    CSV; an Excel sheet is loaded whole by calamine). Raises FileRefused for what it sees
    wrong there; a file that sniffs fine can still be refused by read_file (a bad byte
    further down)."""
    path = Path(path)
    if _kind(path) == "excel":
        return _read_excel(path, sources, sniff=True).source
    return _read_text(path, sources, sniff=True).source


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


def _empty_message(name: str) -> str:
    return f"文件 {name} 是空的，没有任何内容 / {name} is empty"


# --------------------------------------------------------------------------- header matching


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


# --------------------------------------------------------------------------- frame shaping


def _cell(i: int) -> str:
    return f"c{i}"


def _shape(raw: pl.DataFrame, width: int, match: _Match, source: Source) -> pl.DataFrame:
    """`raw` holds `_row` and text cells c0..c{width-1}: strip, null empties, drop empty rows,
    then name and order the columns as the source declares them.

    A row counts as empty when every cell under the header is empty, declared or not: a row
    with text only under an undeclared header is kept (validation rejects it, so no row with
    content is lost from the accounting).
    """
    cells = [_cell(i) for i in range(width)]
    stripped = raw.select(
        pl.col("_row").cast(pl.Int64),
        *[pl.col(c).str.strip_chars().replace("", None) for c in cells],
    )
    del raw
    if cells:
        keep = stripped.select(pl.any_horizontal(pl.col(c).is_not_null() for c in cells))
        mask = keep.to_series()
        if not mask.all():
            stripped = stripped.filter(mask)
    out = [pl.col("_row")]
    for col in source.columns:
        idx = match.positions.get(col.name)
        if idx is None or idx >= width:
            out.append(pl.lit(None, dtype=pl.String).alias(col.name))
        else:
            out.append(pl.col(_cell(idx)).alias(col.name))
    return stripped.select(out)


# --------------------------------------------------------------------------- CSV
#
# The file is decoded in chunks (strict, so the first bad byte is found wherever it is) into
# UTF-8 bytes, cut into pieces at record boundaries and each piece parsed by polars and
# shaped at once, so memory stays near the size of the result. A record boundary is a '\n'
# with an even number of '"' before it (in RFC 4180 text a quote inside a quoted cell is
# doubled, so quote parity tells whether a position is inside a quoted cell).


class _BadBytes(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset
        self.in_head = False  # raised before the header row was found


class _PolarsRefused(Exception):
    """polars cannot parse a piece (bad quoting): read the file with Python's csv module."""


def _read_text(path: Path, sources: Sequence[Source], sniff: bool = False) -> ReadResult:
    with path.open("rb") as fh:
        has_bom = fh.read(len(_BOM)) == _BOM
    # GBK is decoded as GB18030, its superset
    encodings = ("utf-8-sig",) if has_bom else ("utf-8", "gb18030")
    failures: list[tuple[int, str]] = []
    utf8_head_ok = False
    for encoding in encodings:
        try:
            return _read_text_as(path, sources, encoding, sniff)
        except _BadBytes as exc:
            failures.append((exc.offset, encoding))
            utf8_head_ok = not exc.in_head
        except FileRefused as exc:
            if utf8_head_ok and exc.reason_code in ("unknown_source", "missing_header"):
                # UTF-8 up to and past the header, broken further on: its header means
                # nothing read as GB18030, so the file is damaged UTF-8
                break
            raise
    offset, encoding = max(failures)
    raise _refuse_undecodable(path, offset, "UTF-8" if "utf" in encoding else "GBK/GB18030")


def _read_text_as(
    path: Path, sources: Sequence[Source], encoding: str, sniff: bool = False
) -> ReadResult:
    try:
        head, whole = _head_text(path, encoding)
    except _BadBytes as exc:
        exc.in_head = True
        raise
    if whole and not head.strip():
        raise FileRefused(path, "empty", _empty_message(path.name))

    match: _Match | None = None
    delimiter = ","
    rows_by_delim: dict[str, list[tuple[int, int, list[str]]]] = {}
    misses: list[_NearMiss] = []
    for delim in (",", "\t"):
        rows = _head_records(head, delim)
        rows_by_delim[delim] = rows
        found, miss = _find_header(rows, sources)
        if found is not None and (match is None or found.line < match.line):
            match, delimiter = found, delim
        if miss is not None:
            misses.append(miss)
    if match is None:
        miss = max(misses, key=lambda m: m.matched / (m.matched + len(m.missing)), default=None)
        seen = max(
            (_widest(rows) for rows in rows_by_delim.values()),
            key=lambda cells: sum(1 for c in cells if c.strip()),
        )
        raise _refuse_no_header(path, sources, miss, seen)

    width = len(match.cells)
    if sniff:
        frames = []
    else:
        try:
            frames = _polars_pieces(path, encoding, delimiter, match, width)
        except _PolarsRefused:  # read it as a spreadsheet program would
            frames = _python_rows(path, encoding, delimiter, match, width)
    return ReadResult(
        path=path,
        source=match.source,
        encoding=encoding,
        delimiter=delimiter,
        header_row=match.line,
        title_lines=_title_lines(rows_by_delim[delimiter][: match.index]),
        frame=_concat(frames, match.source),
        extra_columns=_extra_columns(match),
    )


def _prefetched(items: Iterator[_T], depth: int = 2) -> Iterator[_T]:
    """`items`, produced by a background thread up to `depth` ahead, so that decoding (the
    codecs hold the GIL) overlaps parsing (polars releases it). Exceptions are passed on."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, done))
        except BaseException as exc:  # handed to the consumer, raised there
            put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="pulse-read-decode", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                raise item  # type: ignore[misc]
            if item is done:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def _utf8_chunks(path: Path, encoding: str, size: int | None = None) -> Iterator[bytes]:
    """The file as successive UTF-8 byte chunks (a chunk may end inside a character).

    Decoding is strict; the first undecodable byte raises _BadBytes with its file offset.
    UTF-8 is only checked and passed on as read; GB18030 is transcoded.
    """
    codec = "utf-8" if encoding.startswith("utf-8") else encoding
    decoder = codecs.getincrementaldecoder(codec)("strict")
    fed = 0  # bytes given to the decoder so far
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(size or _CHUNK)
            pending = len(decoder.getstate()[0])  # undecoded tail of the previous chunk
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise _BadBytes(fed - pending + exc.start) from None
            if not chunk:
                return
            fed += len(chunk)
            yield chunk if codec == "utf-8" else text.encode("utf-8")


def _head_text(path: Path, encoding: str) -> tuple[str, bool]:
    """(the beginning of the file as text, enough lines to find the header; whole file?)"""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    parts: list[str] = []
    lines = size = 0
    for chunk in _utf8_chunks(path, encoding, 64 << 10):
        parts.append(decoder.decode(chunk))
        lines += chunk.count(b"\n")
        size += len(chunk)
        if lines >= _HEAD_MAX_LINES or size >= _HEAD_MAX_BYTES:
            return "".join(parts), False
    return "".join(parts), True


def _head_records(text: str, delimiter: str) -> list[tuple[int, int, list[str]]]:
    """The first HEAD_ROWS non-empty records as (first line, last line, cells).

    Lines are counted at '\\n' exactly as the data reader counts them.
    """
    pieces = text.split("\n")
    lines = [p + "\n" for p in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    reader = csv.reader(iter(lines), delimiter=delimiter, quotechar='"')
    out: list[tuple[int, int, list[str]]] = []
    prev = 0
    non_empty = 0
    try:
        for record in reader:
            start, prev = prev + 1, reader.line_num
            out.append((start, prev, record))
            if any(c.strip() for c in record):
                non_empty += 1
                if non_empty >= HEAD_ROWS:
                    break
    except csv.Error:
        pass  # a stray carriage return or the like: scan what was read
    return out


def _record_pieces(
    chunks: Iterable[bytes], skip_lines: int, header: bytes
) -> Iterator[tuple[int, bytes]]:
    """(line number of its first record, `header` + whole records) after `skip_lines` lines.

    Linear in the file size whatever the quoting: quote parity is carried from chunk to
    chunk, and a chunk without a record boundary is kept aside until one comes.
    """
    parts: list[bytes] = []  # bytes after the last cut, not yet handed out
    parity = 0  # number of '"' in parts, mod 2
    line = 1  # line number of the first byte in parts
    for chunk in chunks:
        if skip_lines:
            pos = 0
            while skip_lines and (nl := chunk.find(b"\n", pos)) >= 0:
                pos = nl + 1
                skip_lines -= 1
                line += 1
            if skip_lines:
                continue
            chunk = chunk[pos:]
        cut = _last_record_end(chunk, parity)
        if cut:
            piece = b"".join((header, *parts, memoryview(chunk)[:cut]))
            yield line, piece
            line += piece.count(b"\n") - 1  # the header line is not in the file
            rest = chunk[cut:]
            parts = [rest] if rest else []
            parity = rest.count(b'"') % 2
        elif chunk:
            parts.append(chunk)
            parity = (parity + chunk.count(b'"')) % 2
    if parts and not skip_lines:
        yield line, b"".join((header, *parts))


def _last_record_end(chunk: bytes, parity: int) -> int:
    """Position just after the last '\n' of `chunk` that ends a record, or 0.

    `parity` is the number of quotes before the chunk, mod 2. Looks back over at most a
    few thousand lines: after a stray quote the parity is off until the next one, and the
    chunk is then just kept for a later cut (or the end of the file).
    """
    total = parity + chunk.count(b'"')
    end = len(chunk)
    after = 0  # quotes after the candidate newline
    for _ in range(4096):
        nl = chunk.rfind(b"\n", 0, end)
        if nl < 0:
            return 0
        after += chunk.count(b'"', nl + 1, end)
        if (total - after) % 2 == 0:
            return nl + 1
        end = nl
    return 0


def _polars_pieces(
    path: Path, encoding: str, delimiter: str, match: _Match, width: int
) -> list[pl.DataFrame]:
    names = [_cell(i) for i in range(width)]
    # a synthetic header fixes the width, so short or blank first rows of a piece are fine
    header = (delimiter.join(names) + "\n").encode()
    pieces = _prefetched(_record_pieces(_utf8_chunks(path, encoding), match.end_line, header))
    with contextlib.closing(pieces):  # stops the decoding thread if parsing fails
        return [_polars_piece(first, piece, delimiter, names, match) for first, piece in pieces]


def _polars_piece(
    first_line: int, piece: bytes, delimiter: str, names: list[str], match: _Match
) -> pl.DataFrame:
    try:
        raw = pl.read_csv(
            piece,
            has_header=True,
            separator=delimiter,
            quote_char='"',
            infer_schema=False,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise _PolarsRefused from exc
    if raw.columns != names:
        raise _PolarsRefused
    # `_row`: polars keeps blank lines as all-null records, so record i of a piece starts on
    # line first + i + (line breaks inside quoted cells of the records before it). That is
    # exact unless a line break sits in a cell beyond the header width (such cells are
    # dropped before counting); even then the numbers stay unique and increasing.
    breaks = pl.sum_horizontal(
        pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in names
    )
    raw = raw.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_line + breaks.cum_sum() - breaks)
        .cast(pl.Int64)
        .alias("_row")
    )
    return _shape(raw, len(names), match, match.source)


def _python_rows(
    path: Path, encoding: str, delimiter: str, match: _Match, width: int
) -> list[pl.DataFrame]:
    """Slow path for files polars refuses, e.g. a cell that starts with a quote but goes on
    after the closing quote (`"某某"问题`): read them as Excel does, with Python's lenient csv
    module. `_row` is exact here: the reader counts physical lines."""
    names = [_cell(i) for i in range(width)]
    schema = {"_row": pl.Int64, **dict.fromkeys(names, pl.String)}
    frames: list[pl.DataFrame] = []
    numbers: list[int] = []
    batch: list[list[str]] = []

    def flush() -> None:
        if numbers:
            data: dict[str, list] = {"_row": numbers[:]}
            data.update(zip(names, map(list, zip(*batch, strict=True)), strict=True))
            frames.append(_shape(pl.DataFrame(data, schema=schema), width, match, match.source))
            numbers.clear()
            batch.clear()

    reader = csv.reader(_text_lines(path, encoding), delimiter=delimiter, quotechar='"')
    prev = 0
    try:
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if start <= match.end_line or not record:
                continue
            if prev - start >= _MAX_RECORD_LINES:
                raise _refuse_quotes(path, start, f"quoted cell runs over {prev - start} lines")
            if len(record) < width:
                record += [""] * (width - len(record))
            batch.append(record[:width])
            numbers.append(start)
            if len(batch) >= _BATCH_ROWS:
                flush()
    except csv.Error as exc:
        raise _refuse_quotes(path, prev + 1, str(exc)) from exc
    flush()
    return frames


def _refuse_quotes(path: Path, line: int, detail: str) -> FileRefused:
    return FileRefused(
        path,
        "unreadable",
        f"文件 {path.name} 第 {line} 行起的引号不成对，无法拆分各列（{detail}）"
        f" / cannot split {path.name} into cells from line {line} on: unbalanced quotes "
        f"({detail})",
    )


def _text_lines(path: Path, encoding: str) -> Iterator[str]:
    """The decoded file as lines ending in '\\n' (the last one may not)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    rest = ""
    for chunk in _utf8_chunks(path, encoding):
        lines = (rest + decoder.decode(chunk)).split("\n")
        rest = lines.pop()
        yield from (line + "\n" for line in lines)
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


def _refuse_undecodable(path: Path, offset: int, tried: str) -> FileRefused:
    name = path.name
    with path.open("rb") as fh:
        line = 1
        remaining = offset
        while remaining > 0:
            chunk = fh.read(min(_CHUNK, remaining))
            if not chunk:
                break
            line += chunk.count(b"\n")
            remaining -= len(chunk)
        bad = fh.read(1)
    byte = f"0x{bad[0]:02X}" if bad else "EOF"
    return FileRefused(
        path,
        "undecodable",
        f"文件 {name} 无法解码：第 {line} 行（字节偏移 {offset}）有无效字节 {byte}，"
        f"既不是 UTF-8 也不是 GBK/GB18030 编码（按 {tried} 解码走得最远）"
        f" / cannot decode {name}: invalid byte {byte} at line {line} (byte offset {offset}); "
        f"the file is neither UTF-8 nor GBK/GB18030 (decoding as {tried} got furthest)",
    )


def _concat(frames: list[pl.DataFrame], source: Source) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(
            schema={"_row": pl.Int64, **{c.name: pl.String for c in source.columns}}
        )
    # the pieces stay separate chunks: rechunking would copy the whole result once more
    return pl.concat(frames, how="vertical", rechunk=False)


# --------------------------------------------------------------------------- Excel


def _read_excel(path: Path, sources: Sequence[Source], sniff: bool = False) -> ReadResult:
    name = path.name
    with contextlib.ExitStack() as stack:
        try:
            fh = stack.enter_context(path.open("rb"))
            book = python_calamine.CalamineWorkbook.from_filelike(fh)
        except (python_calamine.CalamineError, OSError, ValueError) as exc:
            raise FileRefused(
                path,
                "unreadable",
                f"文件 {name} 无法作为 Excel 工作簿打开（文件损坏或有密码保护）：{exc}"
                f" / cannot open {name} as an Excel workbook (damaged or password "
                f"protected): {exc}",
            ) from exc
        stack.callback(book.close)

        first_miss: _NearMiss | None = None
        first_seen: list[str] | None = None
        any_cells = False
        for index, meta in enumerate(book.sheets_metadata):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue  # chart, dialog or macro sheets hold no table
            try:
                sheet = book.get_sheet_by_index(index)
            except python_calamine.CalamineError as exc:
                raise FileRefused(
                    path,
                    "unreadable",
                    f"文件 {name} 的工作表「{meta.name}」已损坏，无法读取：{exc}"
                    f" / cannot read sheet '{meta.name}' of {name} (damaged): {exc}",
                ) from exc
            # iter_rows yields rows from the sheet's first row (row 1), so the position of a
            # row in it is its spreadsheet row number; columns start at the first used one.
            rows = iter(sheet.iter_rows())
            head: list[tuple[int, int, list[str]]] = []
            non_empty = 0
            for number, values in enumerate(rows, start=1):
                cells = [_excel_text(v) for v in values]
                head.append((number, number, cells))
                if any(c.strip() for c in cells):
                    non_empty += 1
                    if non_empty >= HEAD_ROWS:
                        break
            if non_empty:
                any_cells = True
            match, miss = _find_header(head, sources)
            if match is None:
                if first_seen is None and non_empty:
                    first_seen = _widest(head)
                if miss is not None and first_miss is None:
                    first_miss = miss
                continue
            width = _excel_width(match.cells)
            frames = (
                []
                if sniff
                else _excel_frames(_rows_after_header(head, match.index, rows), width, match)
            )
            return ReadResult(
                path=path,
                source=match.source,
                encoding="xlsx",
                delimiter=None,
                header_row=match.line,
                title_lines=_title_lines(head[: match.index]),
                frame=_concat(frames, match.source),
                extra_columns=_extra_columns(match),
            )
    if not any_cells:
        raise FileRefused(path, "empty", _empty_message(name))
    raise _refuse_no_header(path, sources, first_miss, first_seen or [])


def _excel_width(cells: list[str]) -> int:
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width


def _rows_after_header(
    head: list[tuple[int, int, list[str]]], header_index: int, rest: Iterator[list]
) -> Iterator[tuple[int, list]]:
    """(row number, raw values) of every row after the header."""
    for number, _, cells in head[header_index + 1 :]:
        yield number, cells  # already text; _excel_text leaves text unchanged
    number = head[-1][0] if head else 0
    for values in rest:
        number += 1
        yield number, values


def _excel_frames(
    rows: Iterator[tuple[int, list]], width: int, match: _Match
) -> list[pl.DataFrame]:
    names = [_cell(i) for i in range(width)]
    schema = {"_row": pl.Int64, **dict.fromkeys(names, pl.String)}
    frames: list[pl.DataFrame] = []
    numbers: list[int] = []
    batch: list[list] = []

    def flush() -> None:
        if not numbers:
            return
        data: dict[str, list] = {"_row": numbers[:]}
        for j, col_name in enumerate(names):
            column = [r[j] if j < len(r) else "" for r in batch]
            if not all(type(v) is str for v in column):
                column = [v if type(v) is str else _excel_text(v) for v in column]
            data[col_name] = column
        frames.append(_shape(pl.DataFrame(data, schema=schema), width, match, match.source))
        numbers.clear()
        batch.clear()

    for number, values in rows:
        numbers.append(number)
        batch.append(values)
        if len(batch) >= _BATCH_ROWS:
            flush()
    flush()
    return frames


_HALF_SECOND = dt.timedelta(microseconds=500_000)


def _float_text(value: float) -> str:
    if value.is_integer() and math.isfinite(value):
        return str(int(value))  # codes like 330102001001 stay exact, 5.0 → '5'
    return repr(value)


def _datetime_text(value: dt.datetime) -> str:
    if value.microsecond:
        # serial day fractions can land a hair off the second: round to the nearest one
        value = (value + _HALF_SECOND).replace(microsecond=0)
    return value.isoformat(sep=" ")


def _time_text(value: dt.time) -> str:
    return value.replace(microsecond=0).isoformat()


_CELL_TEXT = {
    str: str,
    float: _float_text,
    int: str,
    bool: lambda v: "TRUE" if v else "FALSE",
    dt.datetime: _datetime_text,
    dt.date: dt.date.isoformat,
    dt.time: _time_text,
    type(None): lambda _: "",
}


def _excel_text(value: object) -> str:
    """Cell value as text: date-times 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD', whole
    numbers without '.0', other numbers as Python's shortest repr, booleans TRUE/FALSE."""
    convert = _CELL_TEXT.get(type(value), str)
    return convert(value)


# --------------------------------------------------------------------------- extraction time

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
