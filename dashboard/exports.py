"""Exports of rows to CSV and Excel, the same for 办件查询, every 明细 and the management lists.

- Every value a spreadsheet would run as a formula gets a leading apostrophe (OWASP "CSV
  injection"); Excel cells are written as text or numbers, never formulas or links.
- The file's last row (and an Excel file's properties) names who exported it and when, so
  a leaked file can be traced.
- Rows are streamed from the Store in batches (constant memory), through the same door as
  every query: only the viewer's towns.
- The HTTP answer (`respond`) holds an export slot (one per user, export.max_concurrent in
  all), refuses Excel above export.xlsx_max_rows with a hint for CSV, names the file after
  its filters, and writes the audit record with the file's SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from itertools import chain
from typing import IO, Any
from urllib.parse import quote

from dashboard import export_slots
from dashboard.auth import access, audit
from dashboard.errors import BadRequest, TooLarge
from dashboard.store import Scope, Store
from etl import settings

BATCH_ROWS = 20_000  # rows per read while exporting
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# A cell starting with one of these is read as a formula by Excel, LibreOffice and WPS
# (OWASP "CSV injection"); a leading apostrophe makes it text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|\s]+")

Batches = Iterator[list[tuple]]


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def stream(store: Store, sql: str, params: dict, scope: Scope) -> Batches:
    """The answer of a query in batches of row tuples, on a cursor of its own. The query
    runs now — through the door, as the viewer of this request — and is read later, while
    the download is sent (after the request has ended)."""
    cursor, reader = store.stream(sql, params, scope=scope, batch_rows=BATCH_ROWS)

    def batches() -> Batches:
        try:
            for batch in reader:
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                yield list(zip(*columns, strict=True))
        finally:
            cursor.close()

    return batches()


def signature(when: datetime | None = None) -> str:
    """The line an exported file carries: who exported it and when."""
    viewer = access.current()
    return f"导出人:{viewer.user} · 导出时间:{(when or datetime.now()):%Y-%m-%d %H:%M:%S}"


def file_name(*parts: str | None, kind: str) -> str:
    """乡镇_部门_指标_期间.csv: the filters that made the file, in its name."""
    words = [_UNSAFE_NAME.sub("-", p.strip()) for p in parts if p and p.strip()]
    return "_".join(words) + f".{kind}"


def period_words(start: date, end: date) -> str:
    return f"{start}至{end}"


# --- writing -----------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else neutralise(value)


def csv_chunks(header: Sequence[str], batches: Batches, sign: str | None) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads Chinese), the signature last."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def rows(batch: list[tuple]) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_cell(v) for v in row] for row in batch)
        return buffer.getvalue().encode("utf-8")

    writer.writerow(list(header))
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for batch in batches:
        yield rows(batch)
    if sign:
        yield rows([(sign,)])


def xlsx_write(
    target: IO[bytes],
    header: Sequence[str],
    batches: Batches,
    sign: str | None,
    sheet_name: str = "明细",
    wide: Sequence[int] = (),
) -> int:
    """Rows into an .xlsx written row by row (constant memory); text is text, never a
    formula; the signature after a blank row and in the file's properties. Returns the
    number of data rows."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        sheet = book.add_worksheet(sheet_name)
        head = book.add_format({"bold": True, "bg_color": "#e8eef7"})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for i in range(len(header)):
            sheet.set_column(i, i, 20 if i in wide else 16)
        sheet.freeze_panes(1, 0)
        for i, label in enumerate(header):
            sheet.write_string(0, i, label, head)
        r = 0
        for batch in batches:
            for row in batch:
                r += 1
                for i, v in enumerate(row):
                    if v is None:
                        continue
                    if isinstance(v, bool):
                        sheet.write_string(r, i, "是" if v else "否")
                    elif isinstance(v, datetime):
                        sheet.write_datetime(r, i, v, when)
                    elif isinstance(v, int | float):
                        sheet.write_number(r, i, v)
                    else:
                        sheet.write_string(r, i, neutralise(str(v)))
        if sign:
            sheet.write_string(r + 2, 0, sign)
            book.set_properties({"author": sign, "comments": sign})
    finally:
        book.close()
    return r


# --- the HTTP answer ------------------------------------------------------------------------


def check_navigation(request) -> None:
    """An export is a download the user asked for on our page: a browser that says where a
    request came from (Sec-Fetch-Site) must say it came from this site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise BadRequest("导出链接只能从本系统的页面打开")


def check_size(kind: str, rows: int) -> None:
    most = int(settings.get("export.max_rows"))
    if rows > most:
        raise TooLarge(
            f"筛选结果共 {rows:,} 条,超过导出上限 {most:,} 条。"
            "请缩小时间范围或增加筛选条件后再导出。"
        )
    xlsx_most = int(settings.get("export.xlsx_max_rows"))
    if kind == "xlsx" and rows > xlsx_most:
        raise TooLarge(
            f"筛选结果共 {rows:,} 条,超过 Excel 导出上限 {xlsx_most:,} 条。"
            "请改用 CSV 导出(Excel、WPS 均可打开),或缩小筛选范围。"
        )


def respond(
    kind: str,
    name: str,
    header: Sequence[str],
    batches: Callable[[], Batches],
    rows: int,
    details: dict[str, Any],
    sheet_name: str = "明细",
    wide: Sequence[int] = (),
):
    """The download: size limits, an export slot, the signature, the audit record."""
    from flask import Response, send_file

    if kind not in ("csv", "xlsx"):
        raise BadRequest("未知的导出格式")
    check_size(kind, rows)
    details = {**details, "format": kind, "file": name}
    slot = export_slots.acquire(access.current().user or "")
    try:
        if kind == "csv":
            chunks = csv_chunks(header, batches(), signature())
            return Response(
                _audited(chunks, slot, details, rows),
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": attachment(name)},
            )
        target = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it once sent
        try:
            written = xlsx_write(target, header, batches(), signature(), sheet_name, wide)
            target.seek(0)
            digest = hashlib.file_digest(target, "sha256").hexdigest()
            target.seek(0)
        except BaseException:
            target.close()
            raise
    except BaseException:
        slot.release()
        raise
    slot.release()  # the file is made; sending it costs no CPU
    audit.record("export", {**details, "sha256": digest}, rows=written)
    return send_file(target, mimetype=XLSX_TYPE, as_attachment=True, download_name=name)


def _audited(chunks: Iterator[bytes], slot, details: dict, rows: int) -> Iterator[bytes]:
    """The CSV as it is sent, hashed on the way; when it ends (or the client goes away) the
    slot is released and the audit log records what left. The response is iterated after
    the request has ended, so the viewer and the request's address and id come along."""
    viewer, info = access.current(), audit.request_info()

    def send() -> Iterator[bytes]:
        digest = hashlib.sha256()
        complete = False
        try:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk
            complete = True
        finally:
            slot.release()
            with access.acting_as(viewer), audit.requesting(info):
                audit.record(
                    "export",
                    {**details, "sha256": digest.hexdigest(), "complete": complete},
                    rows=rows,
                )

    return send()


def attachment(name: str) -> str:
    ascii_name = "export." + name.rsplit(".", 1)[1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def chained(first: list[tuple] | None, rest: Batches) -> Batches:
    return chain([first] if first is not None else [], rest)
