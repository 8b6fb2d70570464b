"""The store's facts as Hive-partitioned Parquet, read through a small catalog per generation
(issue 18; setting `store.format = "parquet"`; docs/storage.md).

Layout beside the published path `<dir>/pulse.duckdb` (a symlink, as in etl.publish):

    <dir>/pulse.g000042.duckdb      the catalog of generation 42: small tables (towns, loads,
                                    rejects, calendar, rollups, open cases …), the macros, the
                                    manifest `store_files` and one view per fact table over an
                                    explicit list of Parquet files
    <dir>/pulse.parts/<table>/county=339901/year=2026/month=11/g000042-<uuid>.parquet

A Parquet file is written once and never changed; a generation's catalog names exactly the
files it reads, so a file written by a load that was killed, or by anything else, is never
read (the next load removes it). A load:

1. builds a fresh catalog (the previous one attached read-only: its small tables are copied,
   so a catalog never grows by copying dead space);
2. writes new and changed records of the facts into `<table>__delta` tables while the view
   `<table>` shows the previous generation's files minus the keys in the delta, plus the delta
   (so the loader's insert / update / duplicate accounting reads the whole store as before);
3. commits: every file that holds a key of the delta is rewritten without those keys, and the
   delta is written partitioned by county/year/month — only partitions the load changes get
   new files; the latest version of a record wins; partitions with more than
   `store.compact_files` files are compacted into one;
4. replaces each fact table by a view over the new file list and runs the marts on it;
5. publishes the catalog with one rename (etl.publish), then removes the files no kept
   generation names (garbage collection, under the load lock).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl import settings

# fact table → (key column, the timestamp that picks its year/month partition)
FACTS: dict[str, tuple[str, str]] = {
    "cases": ("case_id", "accepted_at"),
    "evaluations": ("eval_id", "rated_at"),
    "hotline_tickets": ("ticket_id", "received_at"),
}
# small tables a new catalog takes over from the previous generation (the derived tables are
# rebuilt by the marts at every load, the facts live in Parquet)
CARRIED = ("towns", "departments", "rejects", "loads", "calendar_days", "store_meta")
FILE_MODE = 0o440  # written once, never again
_PARTITION = re.compile(r"county=([^/]+)/year=(\d+)/month=(\d+)/")

MANIFEST_SQL = """
create table if not exists store_files (
    table_name varchar not null,  -- cases | evaluations | hotline_tickets
    path       varchar not null,  -- relative to the parts folder
    county     varchar not null,  -- partition: first 6 digits of the town code (or county_code)
    year       integer not null,
    month      integer not null,
    rows       bigint not null,
    bytes      bigint not null,
    generation integer not null   -- the generation that wrote the file
)
"""


def configured() -> bool:
    """Whether loads write the Parquet format (setting store.format)."""
    value = str(settings.get("store.format"))
    if value not in ("duckdb", "parquet"):
        raise ValueError(f"store.format must be duckdb or parquet, not {value!r}")
    return value == "parquet"


def parts_dir(published: Path) -> Path:
    """The folder of the store's Parquet files: the only folder a reader may read."""
    return published.parent.resolve() / f"{published.stem}.parts"


def is_parquet(con: duckdb.DuckDBPyConnection, database: str | None = None) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = coalesce(?, "
            "current_database()) and schema_name = 'main' and table_name = 'store_files'",
            [database],
        ).fetchall()[0][0]
    )


def _relation_kind(con, name: str, database: str | None = None) -> str | None:
    row = con.execute(
        "select 'table' from duckdb_tables() where database_name = coalesce($db, "
        "current_database()) and schema_name = 'main'"
        " and table_name = $n union all select 'view' from duckdb_views() where database_name"
        " = coalesce($db, current_database()) and schema_name = 'main' and view_name = $n",
        {"db": database, "n": name},
    ).fetchall()
    return row[0][0] if row else None


def _columns(con, table: str, database: str | None = None) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = coalesce(?, "
        "current_database()) and "
        "schema_name = 'main' and table_name = ? order by column_index",
        [database, table],
    ).fetchall()


def _read(parts: Path, files: Iterable[str], filename: bool = False) -> str:
    """read_parquet over the explicit list of `files` (relative to `parts`). Partition columns
    are not read from the paths: a file holds every column of its table."""
    listed = _quote_list(str(parts / p) for p in files)
    extra = ", filename = true" if filename else ""
    return f"read_parquet({listed}, union_by_name = true, hive_partitioning = false{extra})"


def read_files(session: Session, files: Iterable[str], filename: bool = False) -> str:
    """read_parquet over files of the session's parts folder (relative names)."""
    return _read(session.parts, files, filename)


def relative(session: Session, path: str) -> str:
    """A file's name relative to the parts folder (as `store_files` holds it)."""
    return _relative(session.parts, path)


def _quote_list(paths: Iterable[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


@dataclass
class Session:
    """One load's (or rebuild's, or compaction's) view of the facts in a new catalog."""

    con: duckdb.DuckDBPyConnection
    parts: Path
    generation: int
    # the previous generation's derived tables were carried over to be patched (etl.refresh)
    incremental: bool = False
    # every stored record is in the deltas (new deadlines, the masking pass): build whole
    everything: bool = False

    def writable(self, table: str) -> str:
        """The table a load inserts into, updates or deletes from for fact table `table`."""
        return f"{table}__delta" if table in FACTS else table

    def files(self, table: str) -> list[str]:
        return [
            r[0]
            for r in self.con.execute(
                "select path from store_files where table_name = ? order by path", [table]
            ).fetchall()
        ]

    def base(self, table: str) -> str | None:
        """A relation of the previous generation's rows of `table` (None: there are none)."""
        files = self.files(table)
        if not files:
            return None
        return _read(self.parts, files)

    def materialize(self, table: str) -> None:
        """Every previous row of `table` into its delta (a change to all of them, e.g. new
        deadlines after the holiday calendar changed)."""
        key, _ = FACTS[table]
        self.everything = True
        base = self.base(table)
        if base is not None:
            self.con.execute(
                f"insert into {table}__delta by name select b.* from {base} b "
                f"anti join {table}__delta d using ({key})"
            )


def begin(con: duckdb.DuckDBPyConnection, published: Path, previous: Path | None, generation: int):
    """Set up a fresh catalog `con` (schema.sql already run) from the previous generation: its
    small tables and manifest are copied, the derived tables are built whole at the end."""
    parts = parts_dir(published)
    parts.mkdir(parents=True, exist_ok=True)
    con.execute(MANIFEST_SQL)
    session = Session(con, parts, generation)
    if previous is not None:
        con.execute(f"attach '{_sql_text(previous)}' as prev (read_only)")
        try:
            for table in CARRIED:
                if _relation_kind(con, table, "prev") == "table":
                    names = {c for c, _ in _columns(con, table)}
                    shared = [c for c, _ in _columns(con, table, "prev") if c in names]
                    cols = ", ".join(shared)
                    con.execute(f"insert into {table} ({cols}) select {cols} from prev.{table}")
            if is_parquet(con, "prev"):
                con.execute("insert into store_files select * from prev.store_files")
            top = con.execute("select coalesce(max(load_id), 0) from loads").fetchall()[0][0]
            con.execute("drop sequence if exists load_ids")
            con.execute(f"create sequence load_ids start {int(top) + 1}")
            for table in FACTS:
                # a store of the single-file format (or a Parquet catalog of a table that had
                # no rows yet): its rows become this load's delta, written out at commit
                if _relation_kind(con, table, "prev") == "table":
                    names = {c for c, _ in _columns(con, table)}
                    shared = [c for c, _ in _columns(con, table, "prev") if c in names]
                    cols = ", ".join(shared)
                    con.execute(f"insert into {table} ({cols}) select {cols} from prev.{table}")
        finally:
            con.execute("detach prev")
    schema = {t: _columns_with_defaults(con, t) for t in FACTS}
    _open_deltas(session, schema)
    return session


def patchable(
    previous: Path | None,
    schema: dict[str, list[tuple[str, str, str | None]]],
    derived: tuple[str, ...],
    marts_version: str,
) -> bool:
    """Whether a load may copy the previous catalog and patch its derived tables in place:
    it is a Parquet catalog built by the same SQL (`marts_version`), its fact views have the
    schema's columns, and it holds every `derived` table."""
    if previous is None:
        return False
    try:
        con = duckdb.connect(str(previous), read_only=True)
    except duckdb.Error:
        return False
    try:
        if not is_parquet(con):
            return False
        found = con.execute("select value from store_meta where key = 'marts_version'").fetchall()
        if not found or found[0][0] != marts_version:
            return False
        if any(_relation_kind(con, t) != "table" for t in derived):
            return False
        return all(
            [(n, k) for n, k in _columns(con, t)] == [(n, k) for n, k, _ in cols]
            for t, cols in schema.items()
        )
    finally:
        con.close()


def begin_patch(
    con: duckdb.DuckDBPyConnection,
    published: Path,
    generation: int,
    schema: dict[str, list[tuple[str, str, str | None]]],
) -> Session:
    """Set up a copy of the previous catalog (see `patchable`) for a load that patches its
    derived tables (etl.refresh): the fact views become deltas over the previous files."""
    session = Session(con, parts_dir(published), generation, incremental=True)
    for table in FACTS:
        if _relation_kind(con, table) == "view":  # (a table: no rows yet, taken as it is)
            con.execute(f"drop view main.{table}")
    _open_deltas(session, schema)
    return session


def _columns_with_defaults(con, table: str) -> list[tuple[str, str, str | None]]:
    return con.execute(
        "select column_name, data_type, column_default from duckdb_columns() where "
        "database_name = current_database() and schema_name = 'main' and table_name = ? "
        "order by column_index",
        [table],
    ).fetchall()


def schema_columns(schema_sql: str) -> dict[str, list[tuple[str, str, str | None]]]:
    """The fact tables' columns (name, type, default) as `schema_sql` declares them."""
    scratch = duckdb.connect()
    try:
        scratch.execute(schema_sql)
        return {t: _columns_with_defaults(scratch, t) for t in FACTS}
    finally:
        scratch.close()


def _open_deltas(session: Session, schema: dict[str, list[tuple[str, str, str | None]]]) -> None:
    """Each fact table T becomes the temp table T__delta (this load's new and changed
    records, `schema`'s columns) and the temp view T: the previous files minus the delta's
    keys, plus the delta."""
    con = session.con
    for table, (key, _) in FACTS.items():
        # the delta is a temporary table (memory, spilled to the temp folder if need be): a
        # table in the catalog would leave its freed blocks in the file after commit
        body = ", ".join(
            f"{n} {k}" + (f" default {d}" if d is not None else "") for n, k, d in schema[table]
        )
        con.execute(f"create temp table {table}__delta ({body})")
        if _relation_kind(con, table) == "table":
            con.execute(f"insert into temp.{table}__delta select * from main.{table}")
            con.execute(f"drop table main.{table}")
        base = session.base(table)
        union = f"select * from {table}__delta"
        if base is not None:
            union = (
                f"select b.* from {base} b anti join {table}__delta d using ({key}) "
                f"union all by name {union}"
            )
        con.execute(f"create or replace temp view {table} as {union}")


def commit(session: Session) -> None:
    """Write the deltas as Parquet (only the partitions they touch), compact what grew too
    fragmented, and make each fact table a view over its new file list.

    When the session patches its derived tables, keeps `<table>__changed` (temp): the
    delta's rows and the versions they replace, what etl.refresh patches them for."""
    con = session.con
    threshold = int(settings.get("store.compact_files"))
    for table, (key, _) in FACTS.items():
        delta = f"{table}__delta"
        con.execute(f"drop view if exists temp.{table}")
        patching = session.incremental and not session.everything
        if patching:
            con.execute(f"create or replace temp table {table}__changed as select * from {delta}")
        if con.execute(f"select count(*) from {delta}").fetchall()[0][0]:
            files = session.files(table)
            affected: list[str] = []
            if files:
                affected = [
                    _relative(session.parts, r[0])
                    for r in con.execute(
                        f"select distinct b.filename from {_read(session.parts, files, True)} b "
                        f"semi join {delta} d using ({key})"
                    ).fetchall()
                ]
            rows = f"select * from {delta}"
            if affected and patching:
                con.execute(
                    f"insert into {table}__changed by name select b.* from "
                    f"{_read(session.parts, affected)} b semi join {delta} d using ({key})"
                )
                rows = (
                    f"select b.* from {_read(session.parts, affected)} b "
                    f"anti join {delta} d using ({key}) union all by name {rows}"
                )
            _replace(session, table, affected, rows)
        compact(session, table, threshold)
        columns = _columns(con, delta, "temp")  # the schema's, in order
        if session.files(table):
            con.execute(f"drop table {delta}")
            _create_view(session, table, columns)
        else:  # no rows yet: an empty table, which the next load takes over as its delta
            body = ", ".join(f"{n} {k}" for n, k in columns)
            con.execute(f"create table main.{table} ({body})")
            con.execute(f"drop table {delta}")


def compact(session: Session, table: str, threshold: int) -> int:
    """Rewrite every partition of `table` holding more than `threshold` files as one file.
    Returns the number of partitions compacted."""
    con = session.con
    groups = con.execute(
        "select list(path order by path) from store_files where table_name = ? "
        "group by county, year, month having count(*) > ?",
        [table, max(threshold, 1)],
    ).fetchall()
    if not groups:
        return 0
    files = [p for (paths,) in groups for p in paths]
    old = _quote_list(str(session.parts / p) for p in files)
    _replace(
        session,
        table,
        files,
        f"select * from read_parquet({old}, union_by_name = true, hive_partitioning = false)",
    )
    return len(groups)


def compact_all(session: Session) -> dict[str, int]:
    """`pulse compact`: every partition of two or more files as one file, in a copy of the
    current catalog (its views then name the new files). Partitions compacted per table."""
    done = {}
    for table in FACTS:
        if _relation_kind(session.con, table) != "view":
            continue
        columns = _columns(session.con, table)
        done[table] = compact(session, table, 1)
        if done[table]:
            _create_view(session, table, columns)
    return done


def partition_county(con, table: str, alias: str = "") -> str:
    """The SQL of a record's county partition: its county_code when the table has one, else
    the first 6 digits of its town code (`alias`: the record's table alias, with its dot)."""
    names = {c for c, _ in _columns(con, table)} | {
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where table_name = ?", [f"{table}__delta"]
        ).fetchall()
    }
    return f"{alias}county_code" if "county_code" in names else f"left({alias}town_code, 6)"


def _partition_columns(con, table: str) -> str:
    _, ts = FACTS[table]
    return f"{partition_county(con, table)} as county, year({ts}) as year, month({ts}) as month"


def _replace(session: Session, table: str, removed: list[str], rows: str) -> None:
    """Write `rows` as new files of `table` (partitioned) in place of the files `removed`."""
    con = session.con
    key, ts = FACTS[table]
    target = session.parts / table
    target.mkdir(parents=True, exist_ok=True)
    # sorted by time then key: row-group statistics let a period's query and the loader's
    # key lookups skip most of a file
    written = con.execute(
        f"copy (select *, {_partition_columns(con, table)} from ({rows}) order by {ts}, {key}) "
        f"to '{_sql_text(target)}' (format parquet, partition_by (county, year, month), "
        f"filename_pattern 'g{session.generation:06d}-{{uuid}}', append, return_files true, "
        "compression zstd)"
    ).fetchall()
    new = [str(Path(p).resolve()) for p in (written[0][1] if written else [])]
    if removed:
        con.execute(
            f"delete from store_files where table_name = ? and list_contains({_quote_list(removed)}"
            ", path)",
            [table],
        )
    if new:
        counts = dict(
            con.execute(
                f"select file_name, num_rows from parquet_file_metadata({_quote_list(new)})"
            ).fetchall()
        )
        for path in new:
            os.chmod(path, FILE_MODE)
            rel = _relative(session.parts, path)
            county, year, month = _PARTITION.search(rel).groups()
            con.execute(
                "insert into store_files values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    table,
                    rel,
                    county,
                    int(year),
                    int(month),
                    counts[path],
                    os.stat(path).st_size,
                    session.generation,
                ],
            )


def _select(session: Session, files: list[str], columns: list[tuple[str, str]]) -> str:
    """The schema's `columns` over an explicit file list (a column no file has is NULL)."""
    source = _read(session.parts, files)
    present = {r[0] for r in session.con.execute(f"describe select * from {source}").fetchall()}
    select = ", ".join(
        name if name in present else f"cast(null as {kind}) as {name}" for name, kind in columns
    )
    return f"select {select} from {source}"


def _create_view(session: Session, table: str, columns: list[tuple[str, str]]) -> None:
    """The fact table as readers see it: the schema's `columns` over the explicit file list."""
    body = _select(session, session.files(table), columns)
    session.con.execute(f"create or replace view main.{table} as {body}")


def relation(session: Session, table: str, partitions: list[tuple[str, int, int]]) -> str:
    """A query of fact table `table` (after commit) reading only the files of `partitions`
    (county, year, month), with the view's columns."""
    columns = _columns(session.con, table)
    if not partitions:
        return "select " + ", ".join(f"cast(null as {k}) as {n}" for n, k in columns) + " limit 0"
    files = [
        r[0]
        for r in session.con.execute(
            "select path from store_files where table_name = $t and "
            "list_contains($keys, concat_ws('/', county, year, month)) order by path",
            {"t": table, "keys": ["/".join(map(str, p)) for p in partitions]},
        ).fetchall()
    ]
    if not files:
        return "select " + ", ".join(f"cast(null as {k}) as {n}" for n, k in columns) + " limit 0"
    return _select(session, files, columns)


def copy_data(source: Path, target: Path) -> None:
    """Copy a data folder (tests, bench): the generation link is relative; a catalog's views
    name their files by absolute path, so the copy's catalogs are pointed at the copy's own
    files (as `pulse restore` does), which a reader of the copy may read."""
    from etl import publish

    shutil.copytree(source, target, symlinks=True)
    published = target / "store" / "pulse.duckdb"
    for _, catalog in publish.generations(published):
        relink(catalog, published)


def relink(catalog: Path, published: Path) -> None:
    """Point a catalog's views at the parts folder of `published` (a restored backup: the
    views named the files where the backup was taken)."""
    con = duckdb.connect(str(catalog))
    try:
        if not is_parquet(con):
            return
        session = Session(con, parts_dir(published), 0)
        for table in FACTS:
            if _relation_kind(con, table) == "view":
                _create_view(session, table, _columns(con, table))
        con.execute("checkpoint")
    finally:
        con.close()


def _relative(parts: Path, path: str) -> str:
    return str(Path(path).resolve().relative_to(parts))


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


# -- garbage collection -----------------------------------------------------------------------


def referenced(catalog: Path) -> set[str] | None:
    """The Parquet files a generation's catalog names (None: it cannot be read)."""
    try:
        con = duckdb.connect(str(catalog), read_only=True)
    except duckdb.Error:
        return None
    try:
        if not is_parquet(con):
            return set()
        return {r[0] for r in con.execute("select path from store_files").fetchall()}
    finally:
        con.close()


def collect_garbage(published: Path, kept: list[Path]) -> list[Path]:
    """Remove the Parquet files no kept generation names (left by replaced or compacted
    partitions, or by a killed load). Must run under the load lock."""
    parts = parts_dir(published)
    if not parts.exists():
        return []
    keep: set[str] = set()
    for catalog in kept:
        names = referenced(catalog)
        if names is None:  # unreadable: remove nothing rather than something still named
            return []
        keep |= names
    removed = []
    for path in sorted(parts.rglob("*")):
        if path.is_file() and _relative(parts, str(path)) not in keep:
            path.unlink()
            removed.append(path)
    for folder in sorted((p for p in parts.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty
    return removed


def copy_files(source_parts: Path, target_parts: Path, names: Iterable[str]) -> None:
    """Copy Parquet files (relative names) from one parts folder to another (restore)."""
    for name in names:
        target = target_parts / name
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".{uuid.uuid4().hex[:8]}.tmp")
        shutil.copyfile(source_parts / name, tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
