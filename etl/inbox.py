"""`pulse watch DIR`: load the export files that the platform's export job, or a person, drops
into a folder.

Each pass looks at the files directly in DIR (not in subfolders):
- a file still being written is left alone: a hidden or temporary name (`.x`, `~$x`,
  `x.part`, `x.tmp`, `x.crdownload`, …), or a size or modification time that changed within
  the last `inbox.settle_seconds`;
- a file whose content (sha256) the store has loaded before is not loaded again: it moves to
  `done/YYYY-MM-DD/` with a note `<name>.重复.txt` naming the earlier load — a repeat is
  nothing to fix, so it does not clutter failed/;
- the other files are loaded together, as one `pulse load` (one new store generation);
  loaded files move to `done/YYYY-MM-DD/`, refused ones to `failed/` with `<name>.reason.txt`
  in Chinese beside each. Rows rejected inside a loaded file stay in the store (数据质量).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from etl import publish, settings

log = logging.getLogger(__name__)

DONE, FAILED = "done", "failed"
EMPTY_GRACE = 3600.0  # seconds an empty file may wait for its writer
TEMPORARY_SUFFIXES = {
    ".part",
    ".partial",
    ".tmp",
    ".temp",
    ".crdownload",
    ".download",
    ".filepart",
    ".swp",
    ".lock",
    ".uploading",
}


@dataclass
class PassResult:
    loaded: list[Path] = field(default_factory=list)  # where they went (done/…)
    repeated: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)  # still being written: next pass


def is_temporary(path: Path) -> bool:
    name = path.name
    return (
        name.startswith((".", "~$", "~"))
        or path.suffix.lower() in TEMPORARY_SUFFIXES
        or name.lower().endswith(".reason.txt")
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


class Inbox:
    """One inbox folder. `run_pass()` once, or `run_forever()`."""

    def __init__(
        self,
        folder: str | Path,
        store: str | Path | None = None,
        settle: float | None = None,
        confirm: bool = True,
        clock: Callable[[], float] = time.time,
    ):
        self.folder = Path(folder)
        self.store = settings.store_path(store)
        self.settle = float(settings.get("inbox.settle_seconds") if settle is None else settle)
        self.confirm = confirm  # False for a single pass (--once): the mtime alone decides
        self.clock = clock
        # path → (size, mtime_ns, first time this pair was seen)
        self._seen: dict[Path, tuple[int, int, float]] = {}

    # ------------------------------------------------------------------ which files
    def _ready(self, path: Path) -> bool:
        """Not modified for `settle` seconds (the file's mtime) and, when this watcher runs
        continuously, also seen with the same size and mtime for `settle` seconds (a copy
        tool may set an old mtime before the data is all there). An empty file waits an
        hour: an export job may create it long before it writes."""
        stat = path.stat()
        now = self.clock()
        key = (stat.st_size, stat.st_mtime_ns)
        seen = self._seen.get(path)
        if seen is None or seen[:2] != key:
            seen = self._seen[path] = (*key, now)
        quiet = now - stat.st_mtime
        if quiet < (self.settle if stat.st_size else max(self.settle, EMPTY_GRACE)):
            return False
        return not self.confirm or now - seen[2] >= self.settle

    def candidates(self) -> tuple[list[Path], list[Path]]:
        """(ready, waiting) files directly in the folder."""
        ready, waiting = [], []
        if not self.folder.is_dir():
            raise FileNotFoundError(f"inbox folder {self.folder} does not exist")
        column_map = settings.get("columns.folder_map")  # configuration, not an export
        for path in sorted(self.folder.iterdir()):
            if not path.is_file() or is_temporary(path) or path.name == column_map:
                continue
            (ready if self._ready(path) else waiting).append(path)
        for gone in set(self._seen) - set(ready) - set(waiting):
            del self._seen[gone]
        return ready, waiting

    # ------------------------------------------------------------------ one pass
    def run_pass(self) -> PassResult:
        from etl.load import SUPPORTED_SUFFIXES, load

        result = PassResult()
        ready, result.waiting = self.candidates()
        if not ready:
            return result
        known = self._loaded_hashes()
        to_load: list[tuple[Path, str, tuple[int, int]]] = []
        this_pass: dict[str, Path] = {}
        for path in ready:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                result.failed.append(
                    self._fail(
                        path,
                        f"不支持的文件类型 {path.suffix or '(无扩展名)'}:"
                        "只接收 CSV (.csv/.txt/.tsv) 和 Excel (.xlsx/.xls) 导出文件。",
                    )
                )
                continue
            before = _stat_key(path)
            digest = sha256_of(path)
            if _stat_key(path) != before:  # written to while we read it: next pass
                result.waiting.append(path)
                continue
            earlier = known.get(digest)
            if earlier is not None:
                result.repeated.append(self._repeat(path, digest, earlier))
            elif digest in this_pass:
                result.repeated.append(
                    self._repeat(path, digest, (this_pass[digest].name, "本次同时放入"))
                )
            else:
                this_pass[digest] = path
                to_load.append((path, digest, before))
        if not to_load:
            return result
        paths = [p for p, _, _ in to_load]
        try:
            run = load(paths, store=self.store)
            reports = {Path(r.file): r for r in run.reports}
        except Exception:  # one file broke the whole run: load them one at a time
            log.exception("inbox: loading %d files together failed; one at a time", len(paths))
            reports = {}
            for path in paths:
                try:
                    reports.update({Path(r.file): r for r in load([path], self.store).reports})
                except Exception as exc:
                    reports[path] = None
                    result.failed.append(self._fail(path, f"导入时出错:{exc}"))
        for path, _digest, before in to_load:
            report = reports.get(path)
            if report is None:
                continue  # already moved to failed/
            if report.status == "refused":
                result.failed.append(self._fail(path, report.message or "文件被拒收。"))
                continue
            if _stat_key(path) != before:
                log.warning("inbox: %s changed after it was loaded", path.name)
            moved = self._move(path, self.folder / DONE / _today())
            result.loaded.append(moved)
            log.info(
                "inbox: loaded %s (%s): read %d = inserted %d + updated %d + duplicate %d"
                " + rejected %d",
                path.name,
                report.source,
                report.rows_read,
                report.inserted,
                report.updated,
                report.duplicate,
                report.rejected,
            )
        return result

    def run_forever(self, poll: float | None = None, stop: Callable[[], bool] = lambda: False):
        poll = float(settings.get("inbox.poll_seconds") if poll is None else poll)
        log.info("inbox: watching %s every %.0f s (store %s)", self.folder, poll, self.store)
        while not stop():
            try:
                self.run_pass()
            except Exception:  # keep watching: the next pass may succeed (disk full, …)
                log.exception("inbox: pass failed")
            time.sleep(poll)

    # ------------------------------------------------------------------ helpers
    def _loaded_hashes(self) -> dict[str, tuple[str, str]]:
        """sha256 → (file name, loaded at) of every file the store has loaded."""
        import duckdb

        current = publish.current_file(self.store)
        if current is None:
            return {}
        for _ in range(3):
            try:
                con = duckdb.connect(str(current), read_only=True)
                break
            except duckdb.IOException:  # pruned between resolve and open: look again
                current = publish.current_file(self.store)
        else:
            raise RuntimeError(f"cannot open {self.store}")
        try:
            rows = con.execute(
                "select file_sha256, file_name, strftime(min(started_at), '%Y-%m-%d %H:%M')"
                " from loads where status = 'loaded' and file_sha256 is not null group by all"
            ).fetchall()
        finally:
            con.close()
        return {sha: (name, when) for sha, name, when in rows}

    def _move(self, path: Path, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        n = 2
        while target.exists():
            target = folder / f"{path.stem} ({n}){path.suffix}"
            n += 1
        path.rename(target)
        return target

    def _fail(self, path: Path, reason: str) -> Path:
        moved = self._move(path, self.folder / FAILED)
        note = moved.with_name(moved.name + ".reason.txt")
        note.write_text(
            f"文件:{path.name}\n时间:{_now()}\n结果:未导入\n原因:{reason}\n\n"
            "处理办法:改正后把文件重新放入收件箱文件夹,或联系信息科。\n",
            encoding="utf-8",
        )
        log.warning("inbox: refused %s: %s", path.name, reason)
        return moved

    def _repeat(self, path: Path, digest: str, earlier: tuple[str, str]) -> Path:
        moved = self._move(path, self.folder / DONE / _today())
        name, when = earlier
        note = moved.with_name(moved.name + ".重复.txt")
        note.write_text(
            f"文件:{path.name}\n时间:{_now()}\n结果:重复,未再次导入\n"
            f"说明:内容与已导入的文件 {name}({when})完全相同(sha256 {digest})。\n",
            encoding="utf-8",
        )
        log.info("inbox: %s repeats %s (%s): not loaded again", path.name, name, when)
        return moved


def _stat_key(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _today() -> str:
    return datetime.now().strftime("%Y-%m-%d")


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")
