"""What every reader shares: the refusal of a whole file, the result of a read, limits."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from etl.sources import Source

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
_BATCH_ROWS = 50_000  # rows converted per batch on the Python paths (Excel, odd CSV)

_BOM = codecs.BOM_UTF8


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
    unmapped: list[str]  # headers nothing maps: reported, not loaded
    column_map: str | None = None  # name of the column map that recognised the file
    carried: frozenset[str] = frozenset()  # store names of the columns the file has
    # every non-empty header cell: (text, store name or None, how it matched or None)
    headers: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def extra_columns(self) -> list[str]:
        """Former name of `unmapped`."""
        return self.unmapped


def _empty_message(name: str) -> str:
    return f"文件 {name} 是空的，没有任何内容 / {name} is empty"
