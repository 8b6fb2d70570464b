"""The one door to the store for everything that reads it: pages, CLI, PDF.

Readers open the published generation read-only and reopen when a load has published a
newer one (etl.publish swaps a symlink atomically), so a reader never sees half a load
and never takes a lock a writer could collide with. Each thread gets its own cursor.

Every reader connection opens with external access disabled and its configuration locked
(no read_text, read_csv, glob, ATTACH, COPY, INSTALL or LOAD; no SET to undo it), with a
memory limit and thread count from the settings. In the Parquet format (etl/parquet_store.py)
the facts are views over Parquet files: the one folder of those files is the reader's only
`allowed_directories` entry, set before external access goes off and the configuration is
locked, so the views can read their files and nothing else (docs/storage.md).

Access is decided here, at the door, for every query:
- Request values reach SQL only as bound parameters; no SQL text is templated.
- A query that reads per-town rows names `$towns`, and the Store binds it: the towns the
  viewer may see (from the session, dashboard/auth/access.py — never from the URL),
  intersected with the towns the page asked for. A query without `$towns` must say it is
  `public` (reference data: the town list, the calendar, the store's own metadata).
- With no viewer the answer is AccessDenied: the default is deny.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dashboard.auth.access import Access, AccessDenied, county_of, current
from etl import parquet_store, publish, settings

QUERIES = Path(__file__).with_name("queries")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class StoreEmpty(RuntimeError):
    """Nothing has been loaded yet."""


@dataclass(frozen=True)
class Scope:
    """The towns a page asks for (None: every town the viewer may see), and the counties
    (None: every county; issue 18). The Store narrows it to the viewer's own towns; a Scope
    never widens what a viewer sees."""

    towns: tuple[str, ...] | None = None
    counties: tuple[str, ...] | None = None


COUNTY = Scope()


def reader_config() -> dict[str, Any]:
    """DuckDB settings of every reader connection (settings serve.duckdb_*)."""
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": str(settings.get("serve.duckdb_memory_limit")),
        "threads": int(settings.get("serve.duckdb_threads")),
        "lock_configuration": True,
    }


def open_reader(generation: Path, published: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one generation with reader_config(), able to read the
    store's Parquet folder and nothing else.

    DuckDB accepts `allowed_directories` only once the database is started and only while
    external access is still on, so the order is: open without the two locks, allow the
    Parquet folder, turn external access off, lock the configuration. No query runs before."""
    config = {
        k: v
        for k, v in reader_config().items()
        if k not in ("enable_external_access", "lock_configuration")
    }
    con = duckdb.connect(str(generation), read_only=True, config=config)
    folder = str(parquet_store.parts_dir(published)) + "/"
    try:
        # DuckDB keeps one database instance per file and process: a second reader of the
        # same generation (the health check beside the pages) gets the instance the first
        # one has already closed up; it must find it closed up exactly so
        if con.execute("select current_setting('lock_configuration')").fetchone()[0]:
            external, allowed = con.execute(
                "select current_setting('enable_external_access'), "
                "current_setting('allowed_directories')"
            ).fetchone()
            if external or folder not in allowed:
                raise RuntimeError(f"{generation} is open in this process with other settings")
            return con
        con.execute("set allowed_directories = $folders", {"folders": [folder]})
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


_ACCESS = re.compile(r"^-- access: (public|whole_county)\b", re.MULTILINE)


@cache
def query_text(name: str) -> tuple[str, str | None]:
    """dashboard/queries/<name>.sql (names are the code's own, never a request's) and the
    access its first lines declare: `-- access: public` (reference data) or
    `-- access: whole_county` (county staff only); none: per-town rows through `$towns`."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"bad query name {name!r}")
    text = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    declared = _ACCESS.search(text)
    return text, declared.group(1) if declared else None


class ResultCache:
    """Answers of read-only queries, least recently used first out, within a byte budget.

    A published generation never changes (a load publishes a new file), and no query reads
    the clock, so an answer keyed by (generation, SQL, parameters) stays right for as long as
    that generation is served; the next load changes every key. Ten officials opening the
    same month's overview then cost one query, not ten (2 cores serve a whole county)."""

    def __init__(self, max_bytes: int, max_entry_bytes: int):
        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._entries: OrderedDict[tuple, tuple[pl.DataFrame, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> pl.DataFrame | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: tuple, frame: pl.DataFrame) -> None:
        size = int(frame.estimated_size())
        if size > self.max_entry_bytes:  # a long list of rows: cheaper to ask again
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (frame, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


class Store:
    """Read-only access to the published store, reopened when a new generation appears.

    access: the viewer for every query of this Store (the CLI and jobs pass SYSTEM); None
    (the dashboard's) means the viewer of the running request, DENIED outside one.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        cache_mb: float | None = None,
        access: Access | None = None,
    ):
        self.published = settings.store_path(path)
        self.access = access
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()
        self._towns: tuple[tuple, tuple[str, ...]] | None = None
        budget = float(settings.get("serve.cache_mb") if cache_mb is None else cache_mb)
        self.cache = ResultCache(int(budget * 2**20), int(budget * 2**20 / 16))

    def _connection(self) -> tuple[Path, duckdb.DuckDBPyConnection]:
        target = publish.current_file(self.published)
        if target is None:
            raise StoreEmpty(f"store {self.published} has no data loaded yet")
        with self._lock:
            if target != self._generation:
                for _ in range(3):  # a just-pruned generation: follow the link again
                    try:
                        con = open_reader(target, self.published)
                        break
                    except duckdb.IOException:
                        target = publish.current_file(self.published)
                        if target is None:
                            raise StoreEmpty(str(self.published)) from None
                else:
                    raise
                # the old connection is dropped, not closed: threads still reading it finish
                self._generation, self._con = target, con
            return self._generation, self._con

    def _snapshot(self) -> tuple[duckdb.DuckDBPyConnection, tuple]:
        """This thread's cursor on the published generation and that generation's token.

        One query takes one snapshot and uses it for everything (its towns, its cache key,
        its rows): taking the cursor and the token apart once let a load published between
        the two file the old generation's rows under the new generation's key."""
        generation, con = self._connection()
        local = self._local
        if getattr(local, "generation", None) != generation:
            # the file's identity too: a store deleted and loaded again reuses the names
            stat = generation.stat()
            local.generation, local.cursor, local.token = (
                generation,
                con.cursor(),
                (str(generation), stat.st_ino, stat.st_mtime_ns),
            )
        return local.cursor, local.token

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._snapshot()[0]

    @property
    def generation(self) -> Path | None:
        return publish.current_file(self.published)

    def viewer(self) -> Access:
        return self.access if self.access is not None else current()

    def every_town(self) -> tuple[str, ...]:
        """Every town code of the reference file (for the published generation)."""
        return self._towns_of(*self._snapshot())

    def _towns_of(self, cur: duckdb.DuckDBPyConnection, token: tuple) -> tuple[str, ...]:
        found = self._towns
        if found is None or found[0] != token:
            codes = tuple(r[0] for r in cur.sql("select town_code from towns").fetchall())
            self._towns = found = (token, tuple(sorted(codes)))
        return found[1]

    def _bind(
        self,
        every: tuple[str, ...],
        sql: str,
        params: list[Any] | dict[str, Any] | None,
        scope: Scope,
        published: bool,
        public: bool,
        whole_county: bool,
    ) -> dict[str, Any] | list[Any] | None:
        """The parameters to run `sql` with for this viewer, `$towns` bound by the door."""
        viewer = self.viewer()
        if viewer.denied:
            raise AccessDenied("未登录或无权访问")
        if whole_county and not (viewer.whole_county and viewer.sees_all(every)):
            raise AccessDenied("仅县级用户和管理员可查看")
        used = set(_PARAM.findall(sql))
        if "towns" not in used:
            if not (public or whole_county):
                raise ValueError("a query of per-town rows must filter by $towns")
            if isinstance(params, dict):
                params = {k: v for k, v in params.items() if k in used}
            return params or None
        if params is not None and not isinstance(params, dict):
            raise ValueError("a query with $towns takes named parameters")
        allowed = list(every) if published and viewer.sees_published else viewer.row_towns(every)
        if scope.towns is not None:
            asked = set(scope.towns)
            allowed = [t for t in allowed if t in asked]
        if scope.counties is not None:
            counties = set(scope.counties)
            allowed = [t for t in allowed if county_of(t) in counties]
        # DuckDB refuses parameters a statement does not use; callers pass a common set
        bound = {k: v for k, v in (params or {}).items() if k in used and k != "towns"}
        bound["towns"] = allowed
        return bound

    def sql(
        self,
        sql: str,
        params: list[Any] | dict[str, Any] | None = None,
        *,
        scope: Scope = COUNTY,
        published: bool = False,
        public: bool = False,
        whole_county: bool = False,
    ) -> pl.DataFrame:
        """The answer of one read-only query, from the cache when this generation has
        answered it before.

        scope: the towns asked for (narrowed to the viewer's); published: every town's
        published figures (the ranking), which a town official may see too; public: the
        query reads no per-town rows; whole_county: only for viewers who see every town.
        """
        cur, token = self._snapshot()
        bound = self._bind(
            self._towns_of(cur, token), sql, params, scope, published, public, whole_county
        )
        key = (token, sql, _frozen(bound))
        found = self.cache.get(key) if self.cache.max_bytes else None
        if found is not None:
            return found
        frame = cur.sql(sql, params=bound or None).pl()
        if self.cache.max_bytes:
            self.cache.put(key, frame)
        return frame

    def stream(self, sql: str, params: dict[str, Any] | None, *, scope: Scope, batch_rows: int):
        """A long answer batch by batch (exports), on a cursor of its own, through the same
        door. Returns (cursor, pyarrow RecordBatchReader); close the cursor when done."""
        cur, token = self._snapshot()
        bound = self._bind(self._towns_of(cur, token), sql, params, scope, False, False, False)
        cursor = cur.cursor()
        try:
            return cursor, cursor.sql(sql, params=bound or None).to_arrow_reader(batch_rows)
        except BaseException:
            cursor.close()
            raise

    def query(self, name: str, scope: Scope = COUNTY, **params: Any) -> pl.DataFrame:
        """Run dashboard/queries/<name>.sql with named parameters; the file declares its
        access (query_text), `$towns` is bound by the door."""
        text, declared = query_text(name)
        return self.sql(
            text,
            params or None,
            scope=scope,
            public=declared == "public",
            whole_county=declared == "whole_county",
        )

    def meta(self) -> dict[str, str | None]:
        return dict(self.sql("select key, value from store_meta", public=True).iter_rows())


_default: Store | None = None


def default_store() -> Store:
    global _default
    if _default is None or _default.published != settings.store_path():
        _default = Store()
    return _default
