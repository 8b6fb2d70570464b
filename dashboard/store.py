"""The one door to the store for everything that reads it: pages, CLI, PDF.

Readers open the published generation read-only and reopen when a load has published a
newer one (etl.publish swaps a symlink atomically), so a reader never sees half a load
and never takes a lock a writer could collide with. Each thread gets its own cursor.
`scope` (the towns a viewer may see) is part of every call from the start, so per-town
access is one rule here, not an edit of every page.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from etl import publish, settings

QUERIES = Path(__file__).with_name("queries")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class StoreEmpty(RuntimeError):
    """Nothing has been loaded yet."""


@dataclass(frozen=True)
class Scope:
    """Which towns a viewer may see. None = the whole county."""

    towns: tuple[str, ...] | None = None

    def filter_sql(self, column: str = "town_code") -> str:
        if self.towns is None:
            return "true"
        quoted = ", ".join("'" + t.replace("'", "''") + "'" for t in self.towns)
        return f"{column} in ({quoted})" if quoted else "false"


COUNTY = Scope()


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
    """Read-only access to the published store, reopened when a new generation appears."""

    def __init__(self, path: str | Path | None = None, cache_mb: float | None = None):
        self.published = settings.store_path(path)
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()
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
                        con = duckdb.connect(str(target), read_only=True)
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

    def cursor(self) -> duckdb.DuckDBPyConnection:
        generation, con = self._connection()
        local = self._local
        if getattr(local, "generation", None) != generation:
            local.generation, local.cursor = generation, con.cursor()
            # the file's identity too: a store deleted and loaded again reuses the names
            stat = generation.stat()
            local.token = (str(generation), stat.st_ino, stat.st_mtime_ns)
        return local.cursor

    @property
    def generation(self) -> Path | None:
        return publish.current_file(self.published)

    def sql(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """The answer of one read-only query, from the cache when this generation has
        answered it before."""
        if isinstance(params, dict):
            # DuckDB refuses parameters a statement does not use; callers pass a common set
            used = set(_PARAM.findall(sql))
            params = {k: v for k, v in params.items() if k in used}
        cur = self.cursor()
        key = (self._local.token, sql, _frozen(params))
        found = self.cache.get(key) if self.cache.max_bytes else None
        if found is not None:
            return found
        frame = cur.sql(sql, params=params or None).pl()
        if self.cache.max_bytes:
            self.cache.put(key, frame)
        return frame

    def query(self, name: str, scope: Scope = COUNTY, **params: Any) -> pl.DataFrame:
        """Run dashboard/queries/<name>.sql with named parameters; `{scope}` in the file is
        replaced by the scope's town filter."""
        text = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
        return self.sql(text.replace("{scope}", scope.filter_sql()), params or None)

    def meta(self) -> dict[str, str | None]:
        return dict(self.sql("select key, value from store_meta").iter_rows())


_default: Store | None = None


def default_store() -> Store:
    global _default
    if _default is None or _default.published != settings.store_path():
        _default = Store()
    return _default
