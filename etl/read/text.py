"""CSV and other delimited text: the encoding found by decoding, cells parsed by polars.

A UTF-8 BOM means UTF-8; otherwise the whole file must be strict UTF-8, else strict
GB18030 (a superset of GBK, transcoded to UTF-8 on the way).

The file is decoded in chunks (strict, so the first bad byte is found wherever it is) into
UTF-8 bytes, cut into pieces at record boundaries and each piece parsed by polars and
shaped at once, so memory stays near the size of the result. A record boundary is a '\n'
with an even number of '"' before it (in RFC 4180 text a quote inside a quoted cell is
doubled, so quote parity tells whether a position is inside a quoted cell).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import polars as pl

from etl.read.base import _BATCH_ROWS, _BOM, HEAD_ROWS, FileRefused, ReadResult, _empty_message
from etl.read.frame import _cell, _concat, _shape
from etl.read.header import (
    _find_header,
    _Match,
    _NearMiss,
    _refuse_no_header,
    _result_fields,
    _title_lines,
    _widest,
)
from etl.sources import Source
from etl.sources.maps import ColumnMap

_T = TypeVar("_T")

_HEAD_MAX_LINES = 300  # the HEAD_ROWS non-empty rows are looked for within these lines
_HEAD_MAX_BYTES = 4 << 20
_CHUNK = 16 << 20  # bytes decoded, then parsed, at a time
_MAX_RECORD_LINES = 200  # a record spanning more lines has an unclosed quote (Python path)


class _BadBytes(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset
        self.in_head = False  # raised before the header row was found


class _PolarsRefused(Exception):
    """polars cannot parse a piece (bad quoting): read the file with Python's csv module."""


def _read_text(
    path: Path,
    sources: Sequence[Source],
    sniff: bool = False,
    maps: Sequence[ColumnMap] = (),
) -> ReadResult:
    with path.open("rb") as fh:
        has_bom = fh.read(len(_BOM)) == _BOM
    # GBK is decoded as GB18030, its superset
    encodings = ("utf-8-sig",) if has_bom else ("utf-8", "gb18030")
    failures: list[tuple[int, str]] = []
    utf8_head_ok = False
    for encoding in encodings:
        try:
            return _read_text_as(path, sources, encoding, sniff, maps)
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


def head_rows(path: Path) -> list[tuple[int, int, list[str]]]:
    """The first rows of a text file as cells, decoded and split as the reader would: the
    delimiter that gives the widest row (for `pulse inspect`)."""
    with path.open("rb") as fh:
        has_bom = fh.read(len(_BOM)) == _BOM
    failures: list[tuple[int, str]] = []
    for encoding in ("utf-8-sig",) if has_bom else ("utf-8", "gb18030"):
        try:
            head, _ = _head_text(path, encoding)
        except _BadBytes as exc:
            failures.append((exc.offset, encoding))
            continue
        by_delimiter = [_head_records(head, delim) for delim in (",", "\t")]
        return max(by_delimiter, key=lambda rows: len(_widest(rows)))
    offset, encoding = max(failures)
    raise _refuse_undecodable(path, offset, "UTF-8" if "utf" in encoding else "GBK/GB18030")


def _read_text_as(
    path: Path,
    sources: Sequence[Source],
    encoding: str,
    sniff: bool = False,
    maps: Sequence[ColumnMap] = (),
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
        found, miss = _find_header(rows, sources, maps)
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
        **_result_fields(match),
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
