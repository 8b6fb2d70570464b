"""The exports written: the frames of each source in the contract's headers, the files (CSV
in GBK or UTF-8, tab separated, the newest month as .xlsx) with their title rows, and
`generate()`, which simulates the year and writes every file."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from etl.demo.county import (
    _BAD_COMMENTS,
    _BUNDLES,
    _DONE,
    _GOOD_COMMENTS,
    _ITEM_TYPES,
    _ITEMS,
    _NOT_STATIONED,
    _RECTIFY,
    _TOPICS,
    _TOWNS,
    CASE_CHANNELS,
    CASE_STATUSES,
    COUNTY_CODE,
    COUNTY_DEPARTMENTS,
    COUNTY_NAME,
    DEPARTMENTS,
    EVAL_CHANNELS,
    HOTLINE_STATUSES,
    HOTLINE_TYPES,
    RATING_WORDS,
    TOWN_CODES,
    TOWN_NAMES,
    UPGRADE_FILE,
    VENDOR_EXTRA,
    VENDOR_FILE,
    VENDOR_HEADERS,
    VENDOR_MAP_NAME,
    VILLAGES_PER_TOWN,
    _units,
    village_names,
)
from etl.demo.draws import _DAY, _NONE, _Calendar, _choice, _rank_in_groups, _rng
from etl.demo.people import _id_numbers, _names, _phone_strings, _phones
from etl.demo.planted import (
    _plant_case_rows,
    _plant_eval_rows,
    _plant_ticket_rows,
    _planted_mask,
)
from etl.demo.simulate import (
    _Attributes,
    _case_attributes,
    _Cases,
    _cases_core,
    _Evals,
    _evals_core,
    _Tickets,
    _tickets_core,
)
from etl.sources import cases as cases_source
from etl.sources import evaluations as evaluations_source
from etl.sources import hotline as hotline_source
from etl.sources.cases import WINDOW_TYPES


@dataclass
class DemoSummary:
    out_dir: Path
    files: list[Path]
    counts: dict[str, int]  # records a correct load stores: cases, hotline, evaluations, ...
    extracted_at: datetime
    start: date
    end: date
    rows_written: dict[str, int] = field(default_factory=dict)  # data rows, bad ones included
    column_maps: Path | None = None  # the demo's configuration: columns.toml beside the files


# --------------------------------------------------------------------------- formatting

_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%-m/%-d %-H:%M:%S", "%Y年%-m月%-d日 %H:%M")


def _ts(secs: np.ndarray, style: np.ndarray | int) -> pl.Series:
    """Timestamps as text; `style` per row (or one for all) indexes _FORMATS; _NONE → null."""
    s = pl.Series(secs)
    df = pl.DataFrame({"s": s, "f": np.broadcast_to(np.asarray(style), len(secs))})
    t = pl.when(pl.col("s") != _NONE).then(pl.from_epoch(pl.col("s"), time_unit="s"))
    if isinstance(style, int):
        expr = t.dt.strftime(_FORMATS[style])
    else:
        expr = (
            pl.when(pl.col("f") == 0)
            .then(t.dt.strftime(_FORMATS[0]))
            .when(pl.col("f") == 1)
            .then(t.dt.strftime(_FORMATS[1]))
            .otherwise(t.dt.strftime(_FORMATS[2]))
        )
    return df.select(expr.alias("ts")).to_series()


def _styles(rng: np.random.Generator, n: int, mode: str) -> np.ndarray | int:
    if mode == "iso":
        return 0
    if mode == "slash":
        return 1
    if mode == "cn":
        return 2
    return _choice(rng, n, [92, 5, 3])  # mixed rows


def _lookup(values: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(values).gather(idx)


def _zfill(values: np.ndarray, width: int) -> pl.Series:
    return pl.Series(values).cast(pl.String).str.zfill(width)


def _concat(*parts: pl.Series | str) -> pl.Series:
    return pl.select(pl.concat_str([pl.lit(p) for p in parts])).to_series()


# Every frame and title written passes through these (etl/demo/city.py sets them while it
# writes another county of a multi-county demo: town codes and names, ids, county name).
_badge_frame: Callable[[pl.DataFrame], pl.DataFrame] = lambda df: df  # noqa: E731
_badge_title: Callable[[str], str] = lambda text: text  # noqa: E731


def _write_text(
    path: Path,
    title: str,
    stamp: str,
    df: pl.DataFrame,
    encoding: str,
    separator: str = ",",
    bom: bool = False,
    crlf: bool = False,
) -> None:
    newline = "\r\n" if crlf else "\n"
    df, title = _badge_frame(df), _badge_title(title)
    body = df.write_csv(separator=separator, null_value="", line_terminator=newline)
    text = f"{title}{newline}导出时间：{stamp}{newline}{newline}{body}"
    data = text.encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)


def _write_xlsx(
    path: Path,
    title: str,
    stamp: str,
    df: pl.DataFrame,
    extracted: datetime,
    ts_columns: tuple[str, ...],
    advance: Callable[[int], None],
) -> None:
    """An Excel export: merged title cell, export time, empty row, header, data.

    Timestamp columns are written as Excel date-time cells (numbers with a date format).
    """
    import xlsxwriter

    df, title = _badge_frame(df), _badge_title(title)
    excel = df.with_columns(
        (pl.from_epoch(pl.col(c), time_unit="s").cast(pl.Int64) / 1e6 / _DAY + 25569.0).alias(c)
        for c in ts_columns
    )
    excel = excel.with_columns(pl.when(pl.col(c) > 25569.0).then(pl.col(c)) for c in ts_columns)
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "strings_to_formulas": False,
        },
    )
    wb.set_properties({"created": extracted, "author": _badge_title(COUNTY_NAME)})
    ws = wb.add_worksheet("办件明细")
    title_format = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    header_format = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ts_format = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for i, c in enumerate(df.columns):
        ws.set_column(i, i, 20 if c in ts_columns else 14, ts_format if c in ts_columns else None)
    ws.merge_range(0, 0, 0, len(df.columns) - 1, title, title_format)
    ws.write_string(1, 0, f"导出时间：{stamp}")
    ws.write_row(3, 0, df.columns, header_format)
    write_row = ws.write_row
    chunk = 20_000
    for start in range(0, excel.height, chunk):  # a loop per row: xlsxwriter is row-based
        for r, row in enumerate(excel.slice(start, chunk).iter_rows(), start=4 + start):
            write_row(r, 0, row)
        advance(min(chunk, excel.height - start))
    wb.close()


# --------------------------------------------------------------------------- writing


_CASE_HEADER = tuple(c.header for c in cases_source.SOURCE.columns if not c.supplementary)
_OPTIONAL_HEADER = tuple(c.header for c in cases_source.SOURCE.columns if c.supplementary)
_TS_CASES = ("受理时间", "办结时间", "录入时间")


def _case_frame(
    cal: _Calendar,
    c: _Cases,
    idx: np.ndarray,
    rng: np.random.Generator,
    style: np.ndarray | int,
    town_as_name: bool,
    xlsx: bool,
    attrs: _Attributes | None = None,
) -> pl.DataFrame:
    """One month's cases as the platform exports them; with `attrs`, the §3a columns too."""
    n = len(idx)
    town, day = c.town[idx], c.day[idx]
    town_ids = tuple(t.code3 for t in _TOWNS)
    case_id = _concat(
        COUNTY_CODE, _lookup(town_ids, town), cal.ymd.gather(day), _zfill(c.seq[idx], 5)
    )
    item = c.item[idx]
    applicant = _names(rng, n)
    applicant = pl.select(
        pl.when(pl.lit(pl.Series(rng.random(n) >= 0.01))).then(pl.lit(applicant))
    ).to_series()
    cols: dict[str, pl.Series | np.ndarray] = {
        "办件编号": case_id,
        "事项编码": _lookup(tuple(it.code for it in _ITEMS), item),
        "事项名称": _lookup(tuple(it.name for it in _ITEMS), item),
        "乡镇(街道)": _lookup(TOWN_NAMES if town_as_name else TOWN_CODES, town),
        "受理部门": _lookup(DEPARTMENTS, c.dept[idx]),
        "申报方式": _lookup(CASE_CHANNELS, c.channel[idx]),
    }
    if xlsx:
        cols |= {
            "受理时间": c.accepted[idx],
            "承诺时限": c.promised[idx],
            "办结时间": np.where(c.completed[idx] == _NONE, 0, c.completed[idx]),
            "办件状态": _lookup(CASE_STATUSES, c.status[idx]),
            "录入时间": c.recorded[idx],
        }
    else:
        cols |= {
            "受理时间": _ts(c.accepted[idx], style),
            "承诺时限": _zfill(c.promised[idx], 1),
            "办结时间": _ts(c.completed[idx], style),
            "办件状态": _lookup(CASE_STATUSES, c.status[idx]),
            "录入时间": _ts(c.recorded[idx], style),
        }
    cols |= {
        "申请人": applicant,
        "证件号码": _id_numbers(rng, c.accepted[idx]),
        "联系电话": _phones(rng, n),
    }
    if attrs is None:
        return pl.DataFrame({h: cols[h] for h in _CASE_HEADER})
    cols |= _optional_columns(c, idx, attrs, xlsx)
    return pl.DataFrame({h: cols[h] for h in _CASE_HEADER + _OPTIONAL_HEADER})


def _optional_columns(c: _Cases, idx: np.ndarray, a: _Attributes, xlsx: bool) -> dict:
    """Contract §3a columns of the cases `idx` (draws in simulate._case_attributes)."""
    town, item, window = c.town[idx], c.item[idx], a.window[idx]
    recorded = pl.Series(a.recorded_by_town[idx])
    villages = tuple(v for t in range(len(_TOWNS)) for v in village_names(t))
    village = _lookup(villages, town * VILLAGES_PER_TOWN + a.village[idx])
    names = pl.DataFrame(
        {
            "w": window,
            "no": a.window_no[idx],
            "dept": _lookup(DEPARTMENTS, c.dept[idx]),
            "village": village,
        }
    ).select(
        pl.when(pl.col("w") == 0)
        .then(pl.format("综合窗口{}号", "no"))
        .when(pl.col("w") == 1)
        .then(pl.format("{}窗口", "dept"))
        .when(pl.col("w") == 2)
        .then(pl.format("{}代办点", "village"))
        .when(pl.col("w") == 3)
        .then(pl.lit("自助服务区"))
        .alias("name")
    )["name"]

    def only(series: pl.Series, keep: np.ndarray | pl.Series) -> pl.Series:
        return pl.select(pl.when(pl.lit(pl.Series(keep))).then(pl.lit(series))).to_series()

    themes = tuple(_BUNDLES.get(it.code, "") for it in _ITEMS)
    paused = a.paused[idx]
    paused_col = pl.Series(np.where(paused > 0, paused, 0)).cast(pl.Int64)
    paused_col = only(paused_col if xlsx else paused_col.cast(pl.String), paused > 0)
    recorded_np = a.recorded_by_town[idx]
    return {
        "事项类型": _lookup(tuple(_ITEM_TYPES[it.code] for it in _ITEMS), item),
        "办件类型": _lookup(("即办件", "承诺件"), (c.promised[idx] > 0).astype(np.int64)),
        "受理窗口": only(names, recorded),
        "窗口类型": only(_lookup(WINDOW_TYPES, np.clip(window, 0, 3)), recorded_np & (window >= 0)),
        "是否现场办结": only(
            _lookup(("否", "是"), np.clip(a.onsite[idx], 0, 1)),
            recorded_np & (a.onsite[idx] >= 0),
        ),
        "是否跨省通办": only(_lookup(("否", "是"), a.cross[idx].astype(np.int64)), recorded),
        "一件事主题": only(_lookup(themes, item), a.bundle[idx]),
        "特别程序天数": paused_col,
        "村(社区)": only(village, recorded_np & (window == 2)),
    }


def _vendor_style(df: pl.DataFrame) -> pl.DataFrame:
    """The second vendor's export: its own headers, Y/N for 是/否, a column of its own."""
    yes_no = [h for h in ("是否现场办结", "是否跨省通办") if h in df.columns]
    df = df.with_columns(pl.col(yes_no).replace({"是": "Y", "否": "N"}))
    extra, value = VENDOR_EXTRA
    return df.rename(VENDOR_HEADERS).with_columns(pl.lit(value).alias(extra))


def _write_column_map(out_dir: Path) -> Path:
    """The demo's configuration for the vendor's file: a column map beside the exports."""
    path = out_dir / "columns.toml"
    names = {c.header: c.name for c in cases_source.SOURCE.columns}
    lines = [
        "# 示范县的列映射：乙厂商（县政务服务中心自建系统）导出的办件明细表头 → 数据契约的列。",
        "# Column map of the demo county: the second vendor's case headers → the contract's",
        "# columns. `pulse load` reads it for the exports in this folder (docs/column-maps).",
        "[[columns.maps]]",
        'source = "cases"',
        f'name = "{VENDOR_MAP_NAME}"',
        "[columns.maps.headers]",
        *(
            f'"{vendor}" = "{names[header]}"  # {header}'
            for header, vendor in VENDOR_HEADERS.items()
        ),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _xlsx_months(cal: _Calendar, n_days: int) -> set[int]:
    """The newest month goes out as .xlsx; so does the month before when the newest has
    less than a week of data (so that the .xlsx always holds a fair number of cases)."""
    last = int(cal.month[n_days - 1])
    return {last, last - 1} if cal.dates[n_days - 1].day < 7 else {last}


def _write_cases(
    out_dir: Path,
    cal: _Calendar,
    n_days: int,
    cases: _Cases,
    attrs: _Attributes,
    extracted: datetime,
    seed: int,
    advance: Callable[[str, float], None],
) -> tuple[list[Path], int]:
    stamp = extracted.strftime("%Y-%m-%d %H:%M:%S")
    month_of = cal.month[cases.day]
    months = np.arange(cal.month[0], cal.month[n_days - 1] + 1)
    bounds = np.searchsorted(month_of, months, side="left")  # cases sorted by acceptance
    bounds = np.append(bounds, len(cases))
    planted = _planted_mask(cases.town, cases.dept)
    files: list[Path] = []
    rows_written = 0
    carry: pl.DataFrame | None = None  # rows of the previous file to repeat or update
    for i, m in enumerate(months):
        year, month = divmod(int(m), 12)
        month += 1
        title = f"{COUNTY_NAME}{year}年{month}月办件明细表"
        idx = np.arange(bounds[i], bounds[i + 1])
        rng = _rng(seed, f"cases-file-{i}")
        xlsx = int(m) in _xlsx_months(cal, n_days)
        optional = attrs if i >= UPGRADE_FILE else None
        if xlsx:
            df = _case_frame(cal, cases, idx, rng, 0, False, xlsx=True, attrs=optional)
            path = out_dir / f"cases_{year}-{month:02d}.xlsx"
            _write_xlsx(
                path,
                title,
                stamp,
                df,
                extracted,
                _TS_CASES,
                lambda rows, label=f"办件 {year}-{month:02d}": advance(label, rows * _WORK["xlsx"]),
            )
        else:
            mode = {5: "slash", 8: "cn"}.get(i, "mixed" if i % 4 == 1 else "iso")
            style = _styles(rng, len(idx), mode)
            gbk = i % 2 == 0
            df = _case_frame(
                cal, cases, idx, rng, style, town_as_name=i in (6, 10), xlsx=False, attrs=optional
            )
            ok = (~planted[idx]) & (cases.status[idx] == _DONE) & (cases.promised[idx] > 0)
            df, carry = _plant_case_rows(df, ok, i, carry, year)
            if i == VENDOR_FILE:
                df = _vendor_style(df)
            if gbk:
                df = df.rename({"乡镇(街道)": "乡镇（街道）"})
            path = out_dir / f"cases_{year}-{month:02d}.csv"
            _write_text(path, title, stamp, df, "gbk" if gbk else "utf-8", crlf=gbk)
        rows_written += df.height
        files.append(path)
        if not xlsx:
            advance(f"办件 {year}-{month:02d}", df.height * _WORK["csv"])
    return files, rows_written


_EVAL_HEADER = tuple(c.header for c in evaluations_source.SOURCE.columns)


def _eval_frame(
    cal: _Calendar,
    e: _Evals,
    seq: np.ndarray,
    idx: np.ndarray,
    rng: np.random.Generator,
    style: np.ndarray | int,
    town_as_name: bool,
) -> pl.DataFrame:
    n = len(idx)
    town_ids = tuple(t.code3 for t in _TOWNS)
    rated_day = cal.day_of(e.rated[idx])
    eval_id = _concat("PJ", cal.ymd.gather(rated_day), _zfill(seq[idx], 6))
    case_id = _concat(
        COUNTY_CODE,
        _lookup(town_ids, e.ref_town[idx]),
        cal.ymd.gather(e.ref_day[idx]),
        _zfill(e.ref_seq[idx], 5),
    )
    has_ref = pl.Series(e.ref_kind[idx] > 0)
    rating = e.rating[idx]
    words = _lookup(RATING_WORDS, rating)
    digits = pl.Series(rating).cast(pl.String)
    as_digit = pl.Series(rng.random(n) < 0.08)
    comment_idx = e.comment[idx]
    bad = rating <= 2
    good_text = _lookup(_GOOD_COMMENTS, np.clip(comment_idx, 0, len(_GOOD_COMMENTS) - 1))
    bad_text = _lookup(_BAD_COMMENTS, np.clip(comment_idx, 0, len(_BAD_COMMENTS) - 1))
    phone = _concat("，请回电", _phones(rng, n))
    rectify = e.rectify[idx]
    frame = pl.DataFrame(
        {
            "has_ref": has_ref,
            "case_id": case_id,
            "words": words,
            "digits": digits,
            "as_digit": as_digit,
            "good": good_text,
            "bad_text": bad_text,
            "phone": phone,
            "bad": bad,
            "with_phone": e.comment_phone[idx],
            "no_comment": comment_idx < 0,
            "rectify": _lookup(_RECTIFY, np.clip(rectify, 0, 3)),
            "no_rectify": rectify < 0,
        }
    )
    derived = frame.select(
        pl.when("has_ref").then("case_id").alias("办件编号"),
        pl.when("as_digit").then("digits").otherwise("words").alias("评价等级"),
        pl.when("no_comment")
        .then(None)
        .when("bad")
        .then(
            pl.when("with_phone").then(pl.col("bad_text") + pl.col("phone")).otherwise("bad_text")
        )
        .otherwise("good")
        .alias("评价内容"),
        pl.when(~pl.col("no_rectify")).then("rectify").alias("整改状态"),
    )
    cols = {
        "评价编号": eval_id,
        "乡镇(街道)": _lookup(TOWN_NAMES if town_as_name else TOWN_CODES, e.town[idx]),
        "评价部门": _lookup(_units(), e.dept[idx]),
        "评价渠道": _lookup(EVAL_CHANNELS, e.channel[idx]),
        "评价时间": _ts(e.rated[idx], style),
        "整改完成时间": _ts(e.rectified[idx], style),
    } | {c: derived[c] for c in derived.columns}
    return pl.DataFrame({h: cols[h] for h in _EVAL_HEADER})


def _write_evals(
    out_dir: Path,
    cal: _Calendar,
    n_days: int,
    e: _Evals,
    extracted: datetime,
    seed: int,
    advance: Callable[[str, float], None],
) -> tuple[list[Path], int]:
    stamp = extracted.strftime("%Y-%m-%d %H:%M:%S")
    day = cal.day_of(e.rated)
    seq = _rank_in_groups(day) + 1
    month_of = cal.month[day]
    files: list[Path] = []
    rows = 0
    for i, m in enumerate(range(int(cal.month[0]), int(cal.month[n_days - 1]) + 1)):
        year, month = divmod(m, 12)
        month += 1
        idx = np.flatnonzero(month_of == m)
        rng = _rng(seed, f"evaluations-file-{i}")
        style = _styles(rng, len(idx), "mixed" if i % 3 == 1 else "iso")
        df = _eval_frame(cal, e, seq, idx, rng, style, town_as_name=i % 2 == 1)
        if i == 2:
            df = _plant_eval_rows(df, ~_planted_mask(e.town[idx], e.dept[idx]), year)
        path = out_dir / f"evaluations_{year}-{month:02d}.csv"
        _write_text(path, f"{COUNTY_NAME}{year}年{month}月好差评明细表", stamp, df, "utf-8")
        files.append(path)
        rows += df.height
        advance(f"好差评 {year}-{month:02d}", df.height * _WORK["csv"])
    return files, rows


_HOTLINE_HEADER = tuple(c.header for c in hotline_source.SOURCE.columns)


def _ticket_frame(
    cal: _Calendar,
    h: _Tickets,
    seq: np.ndarray,
    idx: np.ndarray,
    rng: np.random.Generator,
    style: np.ndarray | int,
) -> pl.DataFrame:
    n = len(idx)
    templates = tuple(text for t in _TOPICS for text in t[5])
    offsets = np.cumsum([0] + [len(t[5]) for t in _TOPICS])[:-1]
    topic = h.topic[idx]
    text = _lookup(templates, offsets[topic] + h.content[idx])
    pii = h.pii[idx]
    frame = pl.DataFrame(
        {
            "text": text,
            "again": h.repeat[idx],
            "pii": pii,
            "phone": _concat("，联系电话", _phones(rng, n)),
            "idno": _concat("，身份证号", _id_numbers(rng, h.received[idx])),
        }
    )
    content = frame.select(
        pl.concat_str(
            pl.when("again").then(pl.lit("再次来电：")).otherwise(pl.lit("")),
            "text",
            pl.when(pl.col("pii") == 1)
            .then("phone")
            .when(pl.col("pii") == 2)
            .then("idno")
            .otherwise(pl.lit("")),
        )
    ).to_series()
    received_day = cal.day_of(h.received[idx])
    resolved = h.resolved[idx]
    sat = h.satisfaction[idx]
    cols = {
        "工单编号": _concat("GD", cal.ymd.gather(received_day), _zfill(seq[idx], 6)),
        "来电时间": _ts(h.received[idx], style),
        "乡镇(街道)": _lookup(TOWN_NAMES, h.town[idx]),
        "承办单位": _lookup(_units(), h.unit[idx]),
        "诉求类型": _lookup(HOTLINE_TYPES, h.rtype[idx]),
        "一级分类": _lookup(tuple(t[0] for t in _TOPICS), topic),
        "办理时限": _ts(h.due[idx], style),
        "办结时间": _ts(h.completed[idx], style),
        "工单状态": _lookup(HOTLINE_STATUSES, h.status[idx]),
        "是否解决": _lookup(("否", "是"), np.clip(resolved, 0, 1)),
        "满意度": _lookup(("满意", "基本满意", "不满意", "未评价"), np.clip(sat, 0, 3)),
        "来电号码": _phone_strings(h.caller_prefix[idx], h.caller[idx]),
        "诉求内容": content,
    }
    df = pl.DataFrame({c: cols[c] for c in _HOTLINE_HEADER})
    return df.with_columns(
        pl.when(pl.Series(resolved >= 0)).then(pl.col("是否解决")).alias("是否解决"),
        pl.when(pl.Series(sat >= 0)).then(pl.col("满意度")).alias("满意度"),
    )


def _write_tickets(
    out_dir: Path,
    cal: _Calendar,
    n_days: int,
    h: _Tickets,
    extracted: datetime,
    seed: int,
    advance: Callable[[str, float], None],
) -> tuple[list[Path], int]:
    stamp = extracted.strftime("%Y-%m-%d %H:%M:%S")
    day = cal.day_of(h.received)
    seq = _rank_in_groups(day) + 1
    quarter_of = cal.month[day] // 3
    files: list[Path] = []
    rows = 0
    for i, q in enumerate(range(int(cal.month[0]) // 3, int(cal.month[n_days - 1]) // 3 + 1)):
        year, quarter = divmod(q, 4)
        quarter += 1
        idx = np.flatnonzero(quarter_of == q)
        rng = _rng(seed, f"hotline-file-{i}")
        df = _ticket_frame(cal, h, seq, idx, rng, _styles(rng, len(idx), "mixed"))
        if i == 1:
            ordinary = (h.status[idx] == 2) & (h.unit[idx] < len(DEPARTMENTS))
            df = _plant_ticket_rows(df, ordinary, year)
        path = out_dir / f"hotline_{year}Q{quarter}.csv"
        _write_text(
            path,
            f"{COUNTY_NAME}{year}年第{quarter}季度12345热线工单明细",
            stamp,
            df,
            "utf-8",
            separator="\t",
            bom=True,
        )
        files.append(path)
        rows += df.height
        advance(f"12345 {year}Q{quarter}", df.height * _WORK["csv"])
    return files, rows


def _write_reference(out_dir: Path) -> tuple[Path, Path, int]:
    towns = pl.DataFrame(
        {
            "乡镇代码": TOWN_CODES,
            "乡镇名称": TOWN_NAMES,
            "类型": [t.kind for t in _TOWNS],
            "网格行": [t.row for t in _TOWNS],
            "网格列": [t.col for t in _TOWNS],
        }
    )
    rows = [
        (d, t.code, "否" if (t.name, d) in _NOT_STATIONED else "是")
        for t in _TOWNS
        for d in DEPARTMENTS
    ]
    rows += [(d, None, "否") for d in COUNTY_DEPARTMENTS]
    depts = pl.DataFrame(rows, schema=["部门名称", "乡镇代码", "应进驻"], orient="row")
    towns_path, depts_path = out_dir / "towns.csv", out_dir / "departments.csv"
    _badge_frame(towns).write_csv(towns_path)
    _badge_frame(depts).write_csv(depts_path)
    return towns_path, depts_path, depts.height


# Relative cost of a row (for the progress fraction): generating it, writing it as CSV text,
# writing it into the .xlsx (xlsxwriter, cell by cell).
_WORK = {"core": 1.5, "csv": 2.0, "xlsx": 60.0}


class _Progress:
    """Calls progress(label, overall fraction done), the fraction by estimated work."""

    def __init__(self, callback: Callable[[str, float], None] | None):
        self.callback = callback
        self.total = 1.0
        self.done = 0.0

    def __call__(self, label: str, work: float) -> None:
        self.done += work
        if self.callback is not None:
            self.callback(label, min(self.done / self.total, 1.0) if self.total else 1.0)


_OUTPUT_PATTERNS = (
    "towns.csv",
    "departments.csv",
    "cases_*.csv",
    "cases_*.xlsx",
    "evaluations_*.csv",
    "hotline_*.csv",
    "columns.toml",
)


def generate(
    out_dir: Path,
    seed: int = 7,
    scale: float = 1.0,
    end: date | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> DemoSummary:
    """Write the demo county's exports into `out_dir` (files of an earlier run there, by
    this generator's file names, are replaced) and say what was written.

    The data covers the 365 days ending on `end` (default today); the exports were taken at
    08:00 on `end`. `scale` multiplies the volume (1 = about 850,000 cases a year).
    """
    if not scale > 0:
        raise ValueError("scale must be positive")
    end = end or date.today()
    start = end - timedelta(days=364)
    extracted_at = datetime.combine(end, time(8, 0))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for pattern in _OUTPUT_PATTERNS:
        for old in out_dir.glob(pattern):
            old.unlink()

    n_days = 365
    cal = _Calendar(start, n_days + 120)  # room for deadlines and late completions
    extracted = cal.epoch0 + (n_days - 1) * _DAY + 8 * 3600
    report = _Progress(progress)
    report("准备", 0.0)
    cases = _cases_core(cal, n_days, extracted, scale, seed)
    evals = _evals_core(cal, n_days, cases, extracted, scale, seed)
    tickets = _tickets_core(cal, n_days, extracted, scale, seed)
    n_xlsx = int(np.isin(cal.month[cases.day], list(_xlsx_months(cal, n_days))).sum())
    core = _WORK["core"] * (len(cases) + len(evals) + len(tickets))
    report.total = core + _WORK["csv"] * (len(cases) - n_xlsx + len(evals) + len(tickets))
    report.total += _WORK["xlsx"] * n_xlsx
    report("生成", core)
    towns_path, depts_path, n_depts = _write_reference(out_dir)
    attrs = _case_attributes(cal, cases, seed)
    case_files, case_rows = _write_cases(
        out_dir, cal, n_days, cases, attrs, extracted_at, seed, report
    )
    column_maps = _write_column_map(out_dir)
    eval_files, eval_rows = _write_evals(out_dir, cal, n_days, evals, extracted_at, seed, report)
    ticket_files, ticket_rows = _write_tickets(
        out_dir, cal, n_days, tickets, extracted_at, seed, report
    )
    report.done = report.total
    report("完成", 0.0)
    return DemoSummary(
        out_dir=out_dir,
        files=[towns_path, depts_path, *case_files, *eval_files, *ticket_files],
        counts={
            "cases": len(cases),
            "hotline": len(tickets),
            "evaluations": len(evals),
            "towns": len(_TOWNS),
            "departments": n_depts,
        },
        extracted_at=extracted_at,
        start=start,
        end=end,
        rows_written={"cases": case_rows, "hotline": ticket_rows, "evaluations": eval_rows},
        column_maps=column_maps,
    )
