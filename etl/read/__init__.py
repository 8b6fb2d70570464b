"""Read one export file (CSV or Excel) into a frame of text cells, keyed by the source it holds.

The source is recognised from the header row only (never from the file name): the first of
the first ~30 rows that carries every required header of one source (contract §1). Values
are cell text, stripped, empty → null; nothing else is interpreted here — validation does
that. Every data row keeps `_row`, its 1-based row/line number in the file as a spreadsheet
or text editor shows it, so a rejected row can be found again.

Modules: `sniff` (what kind of file, the entry points), `header` (finding the header row,
which cell is which column), `text` (CSV and encodings), `excel` (workbooks), `frame`
(cells → the frame validation reads), `stamp` (the export time stated above the header),
`base` (the refusal and the result every reader shares).
"""

from etl.read.base import EXCEL_SUFFIXES, HEAD_ROWS, REASONS, TEXT_SUFFIXES, FileRefused, ReadResult
from etl.read.sniff import head_rows, read_file, read_header, sniff_source
from etl.read.stamp import extraction_stamp
from etl.sources import normalize_header

__all__ = [
    "EXCEL_SUFFIXES",
    "HEAD_ROWS",
    "REASONS",
    "TEXT_SUFFIXES",
    "FileRefused",
    "ReadResult",
    "extraction_stamp",
    "head_rows",
    "normalize_header",
    "read_file",
    "read_header",
    "sniff_source",
]
