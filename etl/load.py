"""`pulse load`: files → the store, with every row accounted for.

For every file: rows_read = inserted + updated + duplicate + rejected. Rejected rows are
stored with file, row number, raw values (personal data masked) and a reason code. A file
that cannot be read as a whole is refused with a message naming it; the other files of
the run still load. The whole run is written into a new store generation and published
atomically (etl.publish), so readers see all of a run or none of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from etl import parquet_store, privacy, publish, refresh, settings
from etl.calendar import WorkCalendar
from etl.read import FileRefused, ReadResult, extraction_stamp, read_file, sniff_source
from etl.sources import ALL_SOURCES, Source
from etl.sources.maps import ColumnMap, MapCatalog
from etl.validate import raw_column, staging_sql

SCHEMA_SQL = Path(__file__).with_name("sql") / "schema.sql"  # the store's tables
SQL = Path(__file__).with_name("sql")
# The derived SQL, by layer, run in this order at the end of every load (each folder's files
# in name order): staging (columns of the facts kept current) → flags (THE per-record
# definitions and the scalar rules) → rollups (rebuilt tables) → marts (the figures' macros).
LAYERS = ("staging", "flags", "rollups", "marts")


def models() -> list[Path]:
    """The derived SQL files in the order they run."""
    return [m for layer in LAYERS for m in sorted((SQL / layer).glob("*.sql"))]


SUPPORTED_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xls"}
SCHEMA_VERSION = "1"

# Columns that identify a record: a known key with other content is an update.
KEYS: dict[str, tuple[str, ...]] = {
    "counties": ("county_code",),
    "towns": ("town_code",),
    "departments": ("town_code", "dept_name"),
    "cases": ("case_id",),
    "hotline": ("ticket_id",),
    "evaluations": ("eval_id",),
}

Progress = Callable[[str, int, int], None]  # (file name, files done, files total)


@dataclass
class FileReport:
    file: str
    source: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    status: str = "loaded"  # loaded | refused
    message: str | None = None
    encoding: str | None = None
    extracted_at: datetime | None = None
    column_map: str | None = None  # the column map that recognised the file
    unmapped: list[str] = field(default_factory=list)  # headers nothing maps: not loaded

    def as_json(self) -> dict:
        data = asdict(self)
        data["extracted_at"] = self.extracted_at.isoformat(sep=" ") if self.extracted_at else None
        return data

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.inserted + self.updated + self.duplicate + self.rejected


@dataclass
class LoadRun:
    store: Path
    reports: list[FileReport]

    @property
    def exit_code(self) -> int:
        return 2 if any(r.status == "refused" for r in self.reports) else 0


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as named, folders recursively (supported suffixes, sorted, hidden files skipped)."""
    return [f for f, _ in _expand_with_roots(paths)]


def _expand_with_roots(paths: Iterable[str | Path]) -> list[tuple[Path, Path | None]]:
    """(file, the folder named for it or None): folder column maps apply from that folder
    down to the file (a file named itself: its own folder's)."""
    out: list[tuple[Path, Path | None]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(
                (f, p)
                for f in sorted(p.rglob("*"))
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            out.append((p, None))
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def connect_for_writing(path: Path) -> duckdb.DuckDBPyConnection:
    """The load's connection to its work file, within store.load_memory_limit."""
    return duckdb.connect(
        str(path), config={"memory_limit": str(settings.get("store.load_memory_limit"))}
    )


def open_for_writing(path: Path) -> duckdb.DuckDBPyConnection:
    con = connect_for_writing(path)
    # a catalog of the Parquet format written as a single file again (store.format changed
    # back): its fact views become tables of the schema, filled from their files
    views = [
        t
        for t in parquet_store.FACTS
        if con.execute(
            "select count(*) from duckdb_views() where schema_name = 'main' and view_name = ?",
            [t],
        ).fetchall()[0][0]
    ]
    for table in views:
        con.execute(f"alter view {table} rename to {table}__parquet")
    con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
    for table in views:
        con.execute(f"insert into {table} by name select * from {table}__parquet")
        con.execute(f"drop view {table}__parquet")
    if views:
        con.execute("drop table if exists store_files")
    return con


Facts = parquet_store.Session | None  # the Parquet format's facts of this run; None: single file


@contextlib.contextmanager
def _new_generation(
    published: Path, carry: bool = True
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Facts]]:
    """A writable next generation (under the load lock), published when the block succeeds:
    a copy of the current store file; in the Parquet format a copy of the current catalog
    whose derived tables the load patches (carry, when the catalog allows it:
    parquet_store.patchable), else a fresh catalog over the previous generation's files.
    Afterwards, Parquet files no kept generation names go."""
    parquet = parquet_store.configured()
    previous = publish.current_file(published)
    patch = False
    if parquet and carry:
        schema = parquet_store.schema_columns(SCHEMA_SQL.read_text(encoding="utf-8"))
        patch = parquet_store.patchable(previous, schema, refresh.DERIVED, marts_version())
    with publish.next_generation(published, copy=patch or not parquet) as work:
        con = connect_for_writing(work) if patch else open_for_writing(work)
        try:
            facts = None
            if patch:
                facts = parquet_store.begin_patch(con, published, publish.number(work), schema)
            elif parquet:
                facts = parquet_store.begin(con, published, previous, publish.number(work))
            yield con, facts
            con.execute("checkpoint")
        finally:
            con.close()
    parquet_store.collect_garbage(published, [p for _, p in publish.generations(published)])


def load(
    paths: Sequence[str | Path], store: str | Path | None = None, progress: Progress | None = None
) -> LoadRun:
    published = settings.store_path(store)
    files = _expand_with_roots(paths)
    catalog = MapCatalog()  # a broken map stops the run here, before anything is written
    mapped = [(path, catalog.for_file(path, root)) for path, root in files]
    secret = privacy.load_or_create_secret()
    calendar = WorkCalendar.load()
    reports: list[FileReport] = []
    with publish.exclusive_lock(published), _new_generation(published) as (con, facts):
        privacy.register_sql(con, secret)
        _mask_stored_text(con, facts)
        run_id = uuid.uuid4().hex[:12]
        for i, (path, maps, source) in enumerate(_in_load_order(mapped)):
            if progress:
                progress(path.name, i, len(files))
            reports.append(_load_file(con, path, maps, source, run_id, calendar, facts))
        if progress:
            progress("", len(files), len(files))
        _refresh_derived(con, calendar, facts)
    return LoadRun(published, reports)


Sniffed = tuple[Path, list[ColumnMap], Source | FileRefused]


def _in_load_order(files: list[tuple[Path, list[ColumnMap]]]) -> list[Sniffed]:
    """Reference files first (facts are checked against towns), then as given."""
    order = {s.name: i for i, s in enumerate(ALL_SOURCES)}
    sniffed: list[Sniffed] = []
    for path, maps in files:
        try:
            sniffed.append((path, maps, sniff_source(path, maps=maps)))
        except FileRefused as refused:
            sniffed.append((path, maps, refused))

    def rank(item: Sniffed) -> int:
        s = item[2]
        return order[s.name] if isinstance(s, Source) and s.id_column is None else len(order)

    return sorted(sniffed, key=rank)  # stable: facts keep the order given


def _load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    maps: list[ColumnMap],
    sniffed: Source | FileRefused,
    run_id: str,
    calendar: WorkCalendar,
    facts: Facts = None,
) -> FileReport:
    report = FileReport(file=str(path))
    started = datetime.now().replace(microsecond=0)
    sha = size = None
    try:
        if isinstance(sniffed, FileRefused):
            raise sniffed
        sha, size = _sha256(path), path.stat().st_size
        result = read_file(path, maps=maps)
    except FileRefused as refused:
        # the message may quote cells of the file (headers seen): numbers masked as in the store
        report.status, report.message = "refused", privacy.mask_text(str(refused))
        report.source = sniffed.name if isinstance(sniffed, Source) else None
        _log(con, report, run_id, path, sha, size, started)
        return report
    report.source, report.encoding = result.source.name, result.encoding
    report.rows_read = result.frame.height
    report.column_map = result.column_map
    report.unmapped = [privacy.mask_text(h) for h in result.unmapped]
    con.begin()
    try:
        load_id = _log(con, report, run_id, path, sha, size, started)
        _apply(con, result, report, load_id, sha or "", calendar, facts)
        con.execute(
            "update loads set finished_at = ?, rows_read = ?, inserted = ?, updated = ?,"
            " duplicate = ?, rejected = ?, reasons = ?, extracted_at = ? where load_id = ?",
            [
                datetime.now().replace(microsecond=0),
                report.rows_read,
                report.inserted,
                report.updated,
                report.duplicate,
                report.rejected,
                json.dumps(report.reasons),
                report.extracted_at,
                load_id,
            ],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    if not report.balanced:  # a bug, never a data problem: stop before publishing
        raise AssertionError(f"row accounting does not add up for {path}: {report}")
    return report


def _log(con, report: FileReport, run_id: str, path: Path, sha, size, started) -> int:
    load_id = con.execute("select nextval('load_ids')").fetchall()[0][0]
    con.execute(
        "insert into loads (load_id, run_id, file_name, file_path, file_sha256, size_bytes,"
        " source, encoding, started_at, finished_at, status, message, column_map, unmapped)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            run_id,
            path.name,
            str(path.resolve()),
            sha,
            size,
            report.source,
            report.encoding,
            started,
            datetime.now().replace(microsecond=0) if report.status == "refused" else None,
            report.status,
            report.message,
            report.column_map,
            json.dumps(report.unmapped, ensure_ascii=False),
        ],
    )
    return load_id


@dataclass(frozen=True)
class StoreColumn:
    name: str  # column of the store table
    expr: str  # its value, over the staged row
    supplementary: bool = False  # contract §3a: hashed only when it has a value
    declared: str = ""  # the source's column it comes from


def _store_columns(source: Source) -> list[StoreColumn]:
    """The fact or reference table's columns a load writes, in declaration order."""
    renames = {
        "applicant": "applicant_masked",
        "id_number": "id_number_hash",
        "phone": "phone_hash",
        "caller": "caller_hash",
    }
    cols = []
    for c in source.columns:
        expr = c.name
        if c.name == "satisfaction":
            expr = "coalesce(satisfaction, '未评价')"
        cols.append(StoreColumn(renames.get(c.name, c.name), expr, c.supplementary, c.name))
        if raw := raw_column(c):
            cols.append(StoreColumn(raw, raw, c.supplementary, c.name))
    return cols


def _row_hash(cols: list[StoreColumn], value: Callable[[StoreColumn], str]) -> str:
    """The content hash of a record: its columns' values as `value` gives them.

    A supplementary column (contract §3a) counts only when it has a value, so a record from
    a file without those columns hashes as it did before they were declared: such a file
    loaded again after the upgrade is still a duplicate, not an update."""
    base = [value(c) for c in cols if not c.supplementary]
    extra = [(c.name, value(c)) for c in cols if c.supplementary]
    return _content_hash(base, extra)


def _apply(
    con,
    result: ReadResult,
    report: FileReport,
    load_id: int,
    sha: str,
    calendar: WorkCalendar,
    facts: Facts = None,
) -> None:
    source = result.source
    keys = KEYS[source.name]
    con.register("raw", result.frame.to_arrow())
    plain = frozenset(
        c.name
        for c in source.columns
        if c.kind in ("text", "free_text")
        and not result.frame[c.name].str.contains(privacy.MAY_HOLD_NUMBER).any()
    )
    staging = staging_sql(source, _aliases(), result.carried, plain)
    con.execute(f"create or replace temp table staged as {staging}")
    # a supplementary column the file lacks is not staged: NULL in the store, nothing in the
    # hash (so the file's records hash as before the column was declared)
    store_cols = [
        c for c in _store_columns(source) if not c.supplementary or c.declared in result.carried
    ]
    hash_expr = _row_hash(store_cols, lambda c: c.expr)
    key_list = ", ".join(keys)
    con.execute(
        f"create or replace temp table valid as select *, {hash_expr} as row_hash "
        "from staged where reason is null"
    )
    repeats = con.execute(f"select count(*) - count(distinct ({key_list})) from valid").fetchall()[
        0
    ][0]
    in_file_dupes = 0
    if repeats == 0:  # the usual file: every id once, no window needed
        con.execute(
            "create or replace temp table ranked as "
            "select *, 1 as rn, row_hash as last_hash from valid"
        )
    else:
        con.execute(f"""
            create or replace temp table ranked as
            select *,
                row_number() over w as rn,
                first_value(row_hash) over w as last_hash,
                first_value(_row) over w as last_row
            from valid
            window w as (partition by {key_list} order by _row desc)
        """)
        # An earlier row of the same id: identical to the last one is a duplicate; different
        # content is superseded by the last one (rejected with a reason, so nothing vanishes).
        con.execute("""
            update staged set reason = 'superseded_in_file',
                detail = '同一编号在本文件第 ' || r.last_row || ' 行再次出现且内容不同,以该行为准'
            from ranked r
            where staged._row = r._row and r.row_hash <> r.last_hash
        """)
        in_file_dupes = con.execute(
            "select count(*) from ranked where rn > 1 and row_hash = last_hash"
        ).fetchall()[0][0]
    _store_rejects(con, result, report, load_id, sha)

    table = source.table
    # the table rows are written to: itself, or the Parquet format's delta of this run (the
    # table's name then is a view of the previous files minus the delta's keys, plus the delta)
    write = facts.writable(table) if facts else table
    join = " and ".join(f"e.{k} is not distinct from f.{k}" for k in keys)
    con.execute(f"""
        create or replace temp table final as
        select f.*, case when e.row_hash is null then 'insert'
                         when e.row_hash = f.row_hash then 'duplicate'
                         else 'update' end as action
        from (select * from ranked where rn = 1) f
        left join (select {key_list}, {_existing_hash(source)} as row_hash from {table}) e
            on {join}
    """)
    counts = dict(con.execute("select action, count(*) from final group by all").fetchall())
    report.inserted = counts.get("insert", 0)
    report.updated = counts.get("update", 0)
    report.duplicate = counts.get("duplicate", 0) + in_file_dupes
    if report.updated:
        con.execute(f"""
            delete from {write} t where exists (
                select 1 from final f where f.action = 'update'
                and {" and ".join(f"t.{k} is not distinct from f.{k}" for k in keys)})
        """)
    names = [c.name for c in store_cols]
    exprs = [c.expr for c in store_cols]
    if source.id_column is None:
        con.execute(
            f"insert into {write} ({', '.join(names)}) "
            f"select {', '.join(exprs)} from final where action <> 'duplicate'"
        )
    else:
        deadline = ""
        extra_names = ["row_hash", "load_id", "source_row"]
        extra_exprs = ["row_hash", str(load_id), "_row"]
        if source.name == "cases":
            paused = "paused_days" in result.carried  # else not staged: 0 days
            _ensure_calendar(con, calendar, paused=paused, facts=facts)
            days = _deadline_days("f", paused)
            deadline = (
                "left join calendar_days a on a.day = f.accepted_at::date "
                "left join calendar_days w on w.is_workday "
                f"and w.workday_seq = a.workday_seq + {days}"
            )
            extra_names.append("deadline_at")
            extra_exprs.append(_deadline("f", "w", paused))
        selected = ["f." + c.expr if c.expr == c.name else c.expr for c in store_cols]
        con.execute(
            f"insert into {write} ({', '.join(names + extra_names)}) "
            f"select {', '.join(selected + extra_exprs)} "
            f"from final f {deadline} where f.action <> 'duplicate'"
        )
    report.extracted_at = extraction_stamp(result.title_lines) or _newest_timestamp(con, source)
    con.unregister("raw")


def _existing_hash(source: Source) -> str:
    if source.id_column is not None:
        return "row_hash"
    return _row_hash(_store_columns(source), lambda c: c.name)


def _content_hash(exprs: list[str], extra: list[tuple[str, str]] = ()) -> str:
    """MD5 of a record's stored values, hex digits written as letters (g–p for 0–9) so that
    no run of digits in the store can pass for a phone or ID number. `extra`: (name, value)
    pairs that count only when the value is not null."""
    values = ", ".join(f"coalesce(({e})::varchar, chr(0))" for e in exprs)
    text = f"concat_ws(chr(31), {values})"
    if extra:
        parts = " || ".join(
            f"coalesce(chr(30) || '{name}=' || ({e})::varchar, '')" for name, e in extra
        )
        text = f"({text} || {parts})"
    return f"translate(md5({text}), '0123456789', 'ghijklmnop')"


def _newest_timestamp(con, source: Source) -> datetime | None:
    ts = [c.name for c in source.columns if c.kind == "timestamp"]
    if not ts:
        return None
    return con.execute(
        f"select max(greatest({', '.join(ts)})) from staged where reason is null"
    ).fetchall()[0][0]


def _store_rejects(con, result: ReadResult, report: FileReport, load_id: int, sha: str) -> None:
    source = result.source
    reasons = dict(
        con.execute(
            "select reason, count(*) from staged where reason is not null group by all order by 1"
        ).fetchall()
    )
    report.reasons = reasons
    report.rejected = sum(reasons.values())
    if not reasons:
        return
    # Every raw value is kept as read but for personal data: hashed, name-masked, or (any
    # other column, identifiers too: a rejected row may hold anything anywhere) numbers masked
    masked = {"pii_hash": "pii_hash", "pii_name": "mask_name"}
    # the columns of the row: every declared one, a supplementary one only if the file has it
    columns = [c for c in source.columns if not c.supplementary or c.name in result.carried]
    values = {c.name: f"{masked.get(c.kind, 'mask_text')}(raw.{c.name})" for c in columns}
    pairs = ", ".join(f"'{c.header}', {values[c.name]}" for c in columns)
    con.execute(
        f"""
        insert into rejects
        select ?, ?, ?, ?, s._row, s.reason, s.detail, json_object({pairs})
        from staged s join raw on raw._row = s._row
        where s.reason is not null
          and not exists (select 1 from rejects r where r.file_sha256 = ? and r.source_row = s._row)
    """,
        [load_id, result.path.name, sha, source.name, sha],
    )


def _aliases() -> dict[str, dict[str, str]]:
    return settings.get("validation.aliases")


# Deadline of a case (contract §3a, §7): the end of the (promised_days + paused_days)-th
# working day strictly after the acceptance date; 0 days: the end of the acceptance date.
# {t}: the case row, {w}: the calendar day whose workday_seq is the acceptance day's + days.
def _deadline_days(t: str, paused: bool = True) -> str:
    """Working days to the deadline of case row `t` (paused=False: the rows have no
    paused_days column, so 0)."""
    return f"({t}.promised_days + coalesce({t}.paused_days, 0))" if paused else f"{t}.promised_days"


def _deadline(t: str, w: str, paused: bool = True) -> str:
    """The deadline of case row `t`, `w` being the calendar day _deadline_days after its
    acceptance date."""
    days = _deadline_days(t, paused)
    return (
        f"(case when {days} = 0 then {t}.accepted_at::date else {w}.day end) + interval '23:59:59'"
    )


def _ensure_calendar(
    con,
    calendar: WorkCalendar,
    whole_store: bool = False,
    paused: bool = True,
    facts: Facts = None,
) -> None:
    """Make calendar_days cover the staged cases' deadlines; rebuild it (and every stored
    deadline) when the calendar itself changed, e.g. a new holidays.csv for next year."""
    staged = "cases" if whole_store else "staged where reason is null"
    if whole_store and facts and facts.incremental and not facts.everything:
        # the calendar covered every stored case already: only this load's can need more
        staged = facts.writable("cases")
    lo, hi, max_days = con.execute(
        f"select min(accepted_at)::date, max(accepted_at)::date, "
        f"max({_deadline_days(staged.split()[0], paused or whole_store)}) from {staged}"
    ).fetchall()[0]
    have = con.execute("select min(day), max(day) from calendar_days").fetchall()[0]
    fingerprint = calendar.fingerprint
    stored = _meta(con, "calendar_fingerprint")
    today = date.today()
    start = min(d for d in (lo, have[0], date(today.year - 3, 1, 1)) if d is not None)
    end_need = max(d for d in (hi, today) if d is not None) + timedelta(
        days=int((max_days or 0) * 1.6) + 60
    )
    end = max(d for d in (end_need, have[1]) if d is not None)
    if have[0] is not None and stored == fingerprint and have[0] <= start and have[1] >= end_need:
        return
    con.register("calendar_frame", calendar.frame(start, end).to_arrow())
    con.execute("delete from calendar_days")
    con.execute(
        "insert into calendar_days select day, is_workday, workday_seq, source from calendar_frame"
    )
    _set_meta(con, "calendar_fingerprint", fingerprint)
    if stored is not None and stored != fingerprint:
        table = "cases"
        if facts:  # every stored case may get a new deadline: all of them are rewritten
            facts.materialize("cases")
            table = facts.writable("cases")
        con.execute(f"""
            update {table} set deadline_at = {_deadline(table, "w")}
            from calendar_days a, calendar_days w
            where a.day = {table}.accepted_at::date and w.is_workday
              and w.workday_seq = a.workday_seq + {_deadline_days(table)}
        """)


def _meta(con, key: str) -> str | None:
    rows = con.execute("select value from store_meta where key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def marts_version() -> str:
    """Fingerprint of the derived tables' SQL. A store whose tables were built by other SQL
    (a store from before an upgrade) is rebuilt by `rebuild` before it is served."""
    digest = hashlib.sha256()
    for model in models():
        name = f"{model.parent.name}/{model.name}"
        digest.update(name.encode() + b"\0" + model.read_bytes())
    # in letters, like every hash in the store: no run of digits an audit could mistake
    return digest.hexdigest()[:16].translate(str.maketrans("0123456789", "ghijklmnop"))


def marts_outdated(store: str | Path | None = None) -> bool:
    """Whether the published store's derived tables were built by other SQL than this code's."""
    target = publish.current_file(settings.store_path(store))
    if target is None:
        return False
    con = duckdb.connect(str(target), read_only=True)
    try:
        found = con.execute("select value from store_meta where key = 'marts_version'").fetchall()
    finally:
        con.close()
    return not found or found[0][0] != marts_version()


def rebuild(store: str | Path | None = None) -> Path:
    """Rebuild the derived tables (flags, rollups, indicators) from the facts already in the
    store and publish them as a new generation, atomically, like a load. No file is read."""
    published = settings.store_path(store)
    if publish.current_file(published) is None:
        raise FileNotFoundError(f"store {published} has no data loaded yet")
    with publish.exclusive_lock(published), _new_generation(published, carry=False) as (con, facts):
        _mask_stored_text(con, facts)
        _refresh_derived(con, WorkCalendar.load(), facts)
    return published


def compact(store: str | Path | None = None) -> dict[str, int]:
    """`pulse compact`: rewrite every Parquet partition of two or more files as one file and
    publish the result as a new generation (a copy of the catalog: nothing else changes).
    Returns the partitions compacted per table."""
    published = settings.store_path(store)
    if publish.current_file(published) is None:
        raise FileNotFoundError(f"store {published} has no data loaded yet")
    done: dict[str, int] = {}
    with publish.exclusive_lock(published):
        with publish.next_generation(published) as work:
            con = duckdb.connect(str(work))
            try:
                if not parquet_store.is_parquet(con):
                    raise ValueError("the store is a single DuckDB file: nothing to compact")
                session = parquet_store.Session(
                    con, parquet_store.parts_dir(published), publish.number(work)
                )
                done = parquet_store.compact_all(session)
                con.execute("checkpoint")
            finally:
                con.close()
        parquet_store.collect_garbage(published, [p for _, p in publish.generations(published)])
    return done


def _set_meta(con, key: str, value: str | None) -> None:
    con.execute("delete from store_meta where key = ?", [key])
    con.execute("insert into store_meta values (?, ?)", [key, value])


# Bumped when the set of masked columns grows: stores written before are masked once more.
TEXT_MASKING = "2"  # 1: 诉求内容, 评价内容 only; 2: every text column and the rejects


def _mask_stored_text(con, facts: Facts = None) -> None:
    """Bring a store written before every text column was masked (issue 13) up to date:
    numbers in its text columns and rejected rows are masked in place, once. A changed
    record gets the content hash of its masked values, so loading its file again counts it
    a duplicate, as the same file loaded today would be."""
    if _meta(con, "text_masking") == TEXT_MASKING:
        return
    privacy.register_masks(con)
    if facts:  # the Parquet format: every stored record may change, all are rewritten
        for table in parquet_store.FACTS:
            facts.materialize(table)
    for source in ALL_SOURCES:
        names = [c.name for c in source.columns if c.kind in ("text", "free_text")]
        if not names:
            continue
        touched = " or ".join(f"{n} <> mask_text({n})" for n in names)
        sets = [f"{n} = mask_text({n})" for n in names]
        if source.id_column is not None:
            # SET expressions read the row as it was: the hash masks the text itself
            masked = _row_hash(
                _store_columns(source),
                lambda c, text=frozenset(names): (
                    f"mask_text({c.name})" if c.name in text else c.name
                ),
            )
            sets.append(f"row_hash = {masked}")
        table = facts.writable(source.table) if facts else source.table
        con.execute(f"update {table} set {', '.join(sets)} where {touched}")
    con.execute(
        "update rejects set raw = mask_text(raw::varchar)::json, detail = mask_text(detail) "
        "where raw::varchar <> mask_text(raw::varchar) or detail <> mask_text(detail)"
    )
    con.execute("update loads set message = mask_text(message) where message <> mask_text(message)")
    _set_meta(con, "text_masking", TEXT_MASKING)


def _refresh_derived(con, calendar: WorkCalendar, facts: Facts = None) -> None:
    """State every reader relies on, refreshed once per run."""
    as_of = con.execute(
        "select max(extracted_at) from loads where status = 'loaded'"
        " and source in ('cases', 'hotline', 'evaluations')"
    ).fetchall()[0][0]
    _set_meta(con, "schema_version", SCHEMA_VERSION)
    _set_meta(con, "as_of", as_of.isoformat(sep=" ") if as_of else None)
    _set_meta(con, "published_at", datetime.now().replace(microsecond=0).isoformat(sep=" "))
    years = [
        r[0]
        for r in con.execute(
            "select distinct year from store_files where table_name = 'cases' order by 1"
            if facts
            else "select distinct year(accepted_at) from cases order by 1"
        ).fetchall()
    ]
    _set_meta(con, "calendar_warnings", json.dumps(calendar.warnings(years), ensure_ascii=False))
    _ensure_calendar(con, calendar, whole_store=True, facts=facts)
    patched = False
    if facts is None:
        for model in models():
            con.execute(model.read_text(encoding="utf-8"))
    else:
        _refresh_evaluated(con, facts)
        parquet_store.commit(facts)  # the facts become views over their new files
        # the models as they are (patched for what changed when the derived tables were
        # carried), but for the staging layer's UPDATEs of the facts: cases.evaluated, which
        # _refresh_evaluated has already brought into the files, the very same rows
        patched = refresh.run_models(con, models(), facts)
    # how this generation's derived tables were made (pulse status, the bench, the tests)
    _set_meta(con, "derived_refresh", "patched" if patched else "whole")
    _set_meta(con, "store_format", "parquet" if facts else "duckdb")
    _set_meta(con, "marts_version", marts_version())


def _refresh_evaluated(con, facts: parquet_store.Session) -> None:
    """cases.evaluated as etl/sql/staging/01_evaluated.sql sets it, for the Parquet format: a case
    whose flag changes is written again (into the delta, so its partition is rewritten).

    When the derived tables are patched (the previous generation was consistent), only the
    cases the load can change are looked at: those in the delta and those named by an
    evaluation in the delta or by the version it replaces."""
    delta = facts.writable("cases")
    if facts.incremental and not facts.everything:
        _refresh_evaluated_changed(con, facts, delta)
        return
    con.execute(
        "create or replace temp table evaluated_ids as "
        "select distinct case_id from evaluations where case_id is not null"
    )
    con.execute(f"""
        update {delta} set evaluated = case_id in (select case_id from evaluated_ids)
        where evaluated is distinct from (case_id in (select case_id from evaluated_ids))
    """)
    base = facts.base("cases")
    if base is not None:
        con.execute(f"""
            insert into {delta} by name
            with kept as (select b.* from {base} b anti join {delta} d using (case_id))
            select k.* replace (e.case_id is not null as evaluated)
            from kept k left join evaluated_ids e on e.case_id = k.case_id
            where k.evaluated is distinct from (e.case_id is not null)
        """)
    con.execute("drop table evaluated_ids")


def _refresh_evaluated_changed(con, facts: parquet_store.Session, delta: str) -> None:
    evals = facts.writable("evaluations")
    # the cases whose flag this load can change: named by an evaluation of the delta, or by
    # the version such an evaluation replaces
    named = f"select case_id from {evals} where case_id is not null"
    base_evals = facts.base("evaluations")
    if base_evals is not None:
        named += (
            f" union select b.case_id from {base_evals} b semi join {evals} d using (eval_id)"
            " where b.case_id is not null"
        )
    con.execute(f"create or replace temp table evaluated_named as {named}")
    con.execute(f"""
        create or replace temp table evaluated_hits as
        select distinct v.case_id from evaluations v
        where v.case_id in (select case_id from evaluated_named union all
                            select case_id from {delta})
    """)
    hit = "case_id in (select case_id from evaluated_hits)"
    con.execute(f"update {delta} set evaluated = {hit} where evaluated is distinct from ({hit})")
    files = facts.files("cases")
    if files:
        # only the files holding a case whose flag flips are read whole
        flips = con.execute(f"""
            select distinct b.filename from (
                select case_id, evaluated, filename
                from {parquet_store.read_files(facts, files, filename=True)}) b
            semi join evaluated_named n on n.case_id = b.case_id
            anti join {delta} d on d.case_id = b.case_id
            where b.evaluated is distinct from (b.{hit})
        """).fetchall()
        if flips:
            source = parquet_store.read_files(
                facts, [parquet_store.relative(facts, r[0]) for r in flips]
            )
            con.execute(f"""
                insert into {delta} by name
                select k.* replace (k.{hit} as evaluated)
                from {source} k
                semi join evaluated_named n on n.case_id = k.case_id
                anti join {delta} d on d.case_id = k.case_id
                where k.evaluated is distinct from (k.{hit})
            """)
    con.execute("drop table evaluated_named")
    con.execute("drop table evaluated_hits")
