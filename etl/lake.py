"""A published Parquet-format store as other engines read it (issue 18 point 3: Spark SQL over
the product's own files).

The product publishes its facts itself (store.format = "parquet", etl/parquet_store.py): each
generation is a small DuckDB catalog whose table `store_files` names exactly the Parquet files
of cases, evaluations and hotline_tickets under `<store>/pulse.parts/<table>/county=/year=/
month=/`. `parquet_tables(store, sidecar)` is the one door other engines use:

- the facts: per table, the explicit list of files the current generation's `store_files`
  names — never a glob, so a file no catalog names (a killed load's, anybody else's) is never
  read, and a reader sees exactly one generation;
- the small reference tables the definitions read (towns, departments, calendar_days) live
  inside the catalog, which Spark cannot open: they are written once per generation, from the
  catalog, as Parquet files into a sidecar folder the caller chooses (never inside
  `pulse.parts/`: the loader deletes every file there that no catalog names). A fact table
  with no file yet gets an empty file with its schema there, so every engine sees every table.

Derived state the loader computes is read as stored, not recomputed by other engines:
`cases.deadline_at` (working days and 特别程序, etl/calendar.py) and `cases.evaluated`
(评价率's numerator). See docs/distributed.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl import publish, settings
from etl.parquet_store import FACTS, is_parquet, parts_dir

# the small tables of the catalog the ported definitions read
REFERENCE: tuple[str, ...] = ("towns", "departments", "calendar_days")
TABLES: tuple[str, ...] = (*FACTS, *REFERENCE)
_DONE = ".complete"


@dataclass(frozen=True)
class Lake:
    """One published generation as files: what an engine registers as its tables."""

    catalog: Path  # the generation's catalog (pulse.gNNNNNN.duckdb)
    facts: dict[str, tuple[str, ...]]  # fact table → absolute paths store_files names
    reference: dict[str, Path]  # small table (or empty fact table) → its sidecar file
    counties: tuple[str, ...] | None  # the counties kept (None: all)

    @property
    def generation(self) -> int:
        return int(self.catalog.stem.rsplit(".g", 1)[1])

    def files(self, table: str) -> tuple[str, ...]:
        """The Parquet files of `table` (a fact table with none: its empty sidecar file)."""
        if self.facts.get(table):
            return self.facts[table]
        return (str(self.reference[table]),)

    def tables(self) -> dict[str, tuple[str, ...]]:
        return {table: self.files(table) for table in TABLES}


def parquet_tables(
    store: str | os.PathLike | None, sidecar: str | os.PathLike, counties: Iterable[str] = ()
) -> Lake:
    """The published generation of a Parquet-format store (a store file or folder; None: the
    configured one) as files: the facts its `store_files` names, the reference tables written
    to `sidecar` (once per generation and county selection). counties: only the partitions
    (and towns) of these counties (bench: 1 of N counties); empty: all."""
    published = settings.store_path(store)
    catalog = publish.current_file(published)
    if catalog is None:
        raise FileNotFoundError(f"store {published} has no published generation")
    chosen = tuple(sorted(set(counties))) or None
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        if not is_parquet(con):
            raise ValueError(
                f'{catalog} is not a Parquet-format store: set store.format = "parquet" '
                "(PULSE_STORE_FORMAT=parquet) and load, or run `pulse rebuild`"
            )
        parts = parts_dir(published)
        rows = con.execute(
            "select table_name, path from store_files "
            "where $counties is null or list_contains($counties, county) "
            "order by table_name, path",
            {"counties": list(chosen) if chosen else None},
        ).fetchall()
        facts = {table: tuple(str(parts / p) for t, p in rows if t == table) for table in FACTS}
        folder = Path(sidecar) / (catalog.stem + (f"-{'_'.join(chosen)}" if chosen else ""))
        empty = tuple(t for t in FACTS if not facts[t])
        reference = {t: folder / f"{t}.parquet" for t in (*REFERENCE, *empty)}
        if not (folder / _DONE).exists():
            _write_reference(con, folder, reference, chosen)
    finally:
        con.close()
    return Lake(catalog, facts, reference, chosen)


def _write_reference(con, folder: Path, files: dict[str, Path], counties) -> None:
    """The reference tables from the catalog into `folder`, published by one rename (a
    reader of the sidecar never sees half of it)."""
    work = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for table, target in files.items():
        where = ""
        if table in FACTS:
            where = " where false"  # its schema only: the generation has no file of it yet
        elif counties and table != "calendar_days":
            listed = ", ".join(f"'{c}'" for c in counties)  # six digits each (store_files)
            where = f" where town_code is null or left(town_code, 6) in ({listed})"
        con.execute(
            f"copy (select * from {table}{where}) to '{work / target.name}' "
            "(format parquet, compression zstd)"
        )
    (work / _DONE).touch()
    try:
        work.rename(folder)
    except OSError:  # another process wrote the same generation's sidecar first
        if not (folder / _DONE).exists():
            raise
        shutil.rmtree(work, ignore_errors=True)


def duckdb_views(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Views named like the store's tables over the lake's files (explicit lists, as the
    catalog's own views: columns by name across files, no partition columns from paths)."""
    for table, files in lake.tables().items():
        listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
        con.execute(
            f"create or replace view {table} as select * from read_parquet({listed}, "
            "union_by_name = true, hive_partitioning = false)"
        )
