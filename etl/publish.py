"""Publishing the store atomically: readers never see half a load, a killed load leaves
the previous store intact, and a load never blocks the dashboard.

DuckDB allows one writing process or many reading ones on a file, never both. So a load
never writes the published file: it copies the current generation to a new file, writes
that, checkpoints and closes it, renames it to its final generation name and then swaps
the published path — a symlink — onto it with one atomic rename. Readers open the
generation file read-only and reopen when the symlink points elsewhere. Loads are
serialised by an exclusive flock, so two `pulse load` runs queue instead of colliding.
A load killed at any point leaves at most a `*.tmp` file, removed by the next load.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

KEEP_GENERATIONS = 3  # the current one and two before it, for readers still reading them
FILE_MODE = 0o640  # generations: the service user writes, its group (readers) reads
DIR_MODE = 0o750


def _gen_pattern(published: Path) -> re.Pattern[str]:
    return re.compile(re.escape(published.stem) + r"\.g(\d{6})\.duckdb$")


def generations(published: Path) -> list[tuple[int, Path]]:
    pattern = _gen_pattern(published)
    found = []
    if published.parent.exists():
        for entry in published.parent.iterdir():
            m = pattern.match(entry.name)
            if m:
                found.append((int(m.group(1)), entry))
    return sorted(found)


def number(generation: Path) -> int:
    """The generation number in a generation file's name (its .tmp work file's too)."""
    m = re.search(r"\.g(\d{6})\.duckdb", generation.name)
    if m is None:
        raise ValueError(f"not a generation file: {generation}")
    return int(m.group(1))


def current_file(published: Path) -> Path | None:
    """The generation file readers should open now, or None when nothing was loaded yet."""
    try:
        return published.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(published: Path) -> Iterator[None]:
    published.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        os.chmod(published.parent, DIR_MODE)
    lock_path = published.with_name(published.name + ".lock")
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def next_generation(published: Path, copy: bool = True) -> Iterator[Path]:
    """Yield a writable copy of the current store (copy=False: a path for a new file, the
    Parquet format's fresh catalog); publish it if the block succeeds.

    The caller must close its DuckDB connection (after CHECKPOINT) before the block ends.
    Must run under `exclusive_lock`.
    """
    directory = published.parent
    for stale in directory.glob(f"{published.stem}.g*.duckdb.tmp*"):
        stale.unlink()  # left by a killed load
    existing = generations(published)
    number = existing[-1][0] + 1 if existing else 1
    final = directory / f"{published.stem}.g{number:06d}.duckdb"
    work = final.with_name(final.name + ".tmp")
    current = current_file(published)
    if current is not None and copy:
        shutil.copyfile(current, work)
    try:
        yield work
        wal = work.with_name(work.name + ".wal")
        if wal.exists():
            raise RuntimeError(f"{work} still has a write-ahead log: connection not closed")
        os.chmod(work, FILE_MODE)
        _fsync(work)
        os.rename(work, final)
        link = directory / f".{published.name}.link.tmp"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(final.name, link)
        os.replace(link, published)  # the atomic moment: readers see the new generation
        _fsync(directory)
    except BaseException:
        for leftover in (work, work.with_name(work.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    for _, old in generations(published)[:-KEEP_GENERATIONS]:
        old.unlink()  # readers holding it open keep reading the unlinked inode
