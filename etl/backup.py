"""`pulse backup` and `pulse restore`: one archive with everything a county would lose with
the disk — the published store generation, the secret (without it, reloaded ID and phone
numbers hash differently and every row counts as an update), the app database (users,
sessions, audit log) and pulse.toml — with a manifest (sha256 of each part, version,
generation, time).

Consistent while the dashboard serves and loads run, without taking the load lock: a
published generation file is never written again (a load writes a new one and swaps the
symlink), so the backup opens the current generation and reads that open file; a load that
publishes meanwhile, or prunes the file, changes nothing for it. The app database is copied
with SQLite's online backup API, which gives a consistent snapshot while workers write.

Archive layout (tar, gzip when the name ends in .gz/.tgz):
    manifest.json
    store/<generation file name>     e.g. store/pulse.g000042.duckdb
    store/parts/<table>/county=…/year=…/month=…/<file>.parquet
                                     the Parquet format (etl/parquet_store.py): every file
                                     the generation's catalog names, opened right after it
    secret.key                       when present
    app.sqlite3                      when present
    pulse.toml                       when present
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from etl import parquet_store, publish, settings

FORMAT = 1
NAME_PREFIX = "pulse-backup-"


class BackupError(RuntimeError):
    """A backup cannot be written, or an archive cannot be restored (message in Chinese)."""


@dataclass
class Written:
    path: Path
    manifest: dict[str, Any]
    removed: list[Path]


def product_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("service-pulse")
    except metadata.PackageNotFoundError:  # run from a source tree (the offline install)
        root = Path(__file__).resolve().parent.parent / "pyproject.toml"
        for line in root.read_text(encoding="utf-8").splitlines():
            if line.startswith("version = "):
                return line.split('"')[1]
        return "unknown"


def _sha256(fh: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    fh.seek(0)
    while chunk := fh.read(1 << 22):
        digest.update(chunk)
        size += len(chunk)
    fh.seek(0)
    return digest.hexdigest(), size


def _open_generation(published: Path) -> tuple[Path, BinaryIO]:
    """The current generation, opened: from here on a load cannot take it away."""
    for _ in range(5):
        current = publish.current_file(published)
        if current is None:
            raise BackupError(f"数据库 {published} 尚无数据,无需备份")
        try:
            return current, current.open("rb")
        except FileNotFoundError:  # pruned between resolving the link and opening
            continue
    raise BackupError(f"无法打开 {published} 的当前版本")


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup(out: str | Path, store: str | Path | None = None, keep: int | None = None) -> Written:
    """Write the archive to `out` (a file, or an existing folder: then
    pulse-backup-YYYYmmdd-HHMMSS.tar.gz in it, and only the newest `keep` of those kept)."""
    published = settings.store_path(store)
    out = Path(out)
    into_folder = out.is_dir()
    now = datetime.now().replace(microsecond=0)
    target = out / f"{NAME_PREFIX}{now:%Y%m%d-%H%M%S}.tar.gz" if into_folder else out
    generation, store_fh = _open_generation(published)
    with contextlib.ExitStack() as stack:
        stack.callback(store_fh.close)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pulse-backup-")))
        parts: list[tuple[str, BinaryIO]] = [(f"store/{generation.name}", store_fh)]
        # the Parquet format: the files this catalog names, opened now (a load publishing
        # meanwhile may remove them from the folder, never from an open handle)
        parquet_files = _parquet_files(store_fh)
        folder = parquet_store.parts_dir(published)
        for name in parquet_files:
            parts.append((f"store/parts/{name}", stack.enter_context((folder / name).open("rb"))))
        secret = settings.secret_path()
        if secret.exists():
            parts.append(("secret.key", stack.enter_context(secret.open("rb"))))
        app_db = settings.app_db_path(store)
        app_db_note = "absent"
        if app_db.exists():
            copy = work / "app.sqlite3"
            _sqlite_copy(app_db, copy)
            parts.append(("app.sqlite3", stack.enter_context(copy.open("rb"))))
            app_db_note = "included"
        config = settings.config_path().resolve()
        if config.exists():
            parts.append(("pulse.toml", stack.enter_context(config.open("rb"))))
        meta = _store_meta(store_fh)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "product": "service-pulse",
            "version": product_version(),
            "created_at": now.isoformat(sep=" "),
            "host": socket.gethostname(),
            "store": str(published),
            "generation": generation.name,
            "store_format": "parquet" if parquet_files else meta.get("store_format", "duckdb"),
            "as_of": meta.get("as_of"),
            "published_at": meta.get("published_at"),
            "marts_version": meta.get("marts_version"),
            "secret": "included" if secret.exists() else "absent",
            "secret_path": str(secret),
            "app_db": app_db_note,
            "app_db_path": str(app_db),
            "config": "included" if config.exists() else "absent",
            "parts": [],
        }
        for name, fh in parts:
            digest, size = _sha256(fh)
            manifest["parts"].append({"name": name, "sha256": digest, "bytes": size})
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        mode = "w:gz" if target.name.endswith((".gz", ".tgz")) else "w"
        try:
            with partial.open("wb") as raw:
                kwargs = {"compresslevel": 1} if mode == "w:gz" else {}
                with tarfile.open(fileobj=raw, mode=mode, **kwargs) as tar:
                    body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                    _add(tar, "manifest.json", io.BytesIO(body), len(body), now)
                    for (name, fh), part in zip(parts, manifest["parts"], strict=True):
                        _add(tar, name, fh, part["bytes"], now)
                raw.flush()
                os.fsync(raw.fileno())
            os.chmod(partial, 0o600)  # it holds the secret
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    removed: list[Path] = []
    if into_folder and keep:
        ours = sorted(out.glob(f"{NAME_PREFIX}*.tar.gz"))
        for old in ours[: max(0, len(ours) - keep)]:
            old.unlink()
            removed.append(old)
    return Written(target, manifest, removed)


def _add(tar: tarfile.TarFile, name: str, fh: BinaryIO, size: int, when: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(when.timestamp())
    tar.addfile(info, fh)


def _parquet_files(fh: BinaryIO) -> list[str]:
    """The Parquet files (relative to the parts folder) the opened catalog names."""
    import duckdb

    con = duckdb.connect(f"/proc/self/fd/{fh.fileno()}", read_only=True)
    try:
        if not parquet_store.is_parquet(con):
            return []
        return [r[0] for r in con.execute("select path from store_files order by 1").fetchall()]
    finally:
        con.close()


def _store_meta(fh: BinaryIO) -> dict[str, str | None]:
    """store_meta of the opened generation (read through /proc/self/fd: the very file)."""
    import duckdb

    try:
        con = duckdb.connect(f"/proc/self/fd/{fh.fileno()}", read_only=True)
    except duckdb.Error:
        return {}
    try:
        return dict(con.execute("select key, value from store_meta").fetchall())
    finally:
        con.close()


# ---------------------------------------------------------------------------- restore


@dataclass
class Restored:
    generation: Path
    secret: str  # written | same | absent
    app_db: str  # written | absent
    config: Path | None
    manifest: dict[str, Any]


def read_manifest(archive: str | Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError(f"{archive} 不是看板备份文件 (缺少 manifest.json)")
        return json.loads(member.read())


def restore(archive: str | Path, store: str | Path | None = None, force: bool = False) -> Restored:
    """Put a backup back: the store generation published under `store` (a new generation if
    the folder has one already), the secret at settings.secret_path(), the app database at
    settings.app_db_path(store), pulse.toml beside the store as pulse.toml.from-backup.

    Refuses to replace an existing, different secret or an existing app database unless
    `force` (the replaced files are kept as <name>.before-restore-<time>)."""
    archive = Path(archive)
    published = settings.store_path(store)
    published.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=published.parent) as tmp:
        work = Path(tmp)
        manifest = _extract_verified(archive, work)
        parts = {p["name"] for p in manifest["parts"]}
        (store_part,) = [
            n for n in parts if n.startswith("store/") and not n.startswith("store/parts/")
        ]
        parquet_files = [
            n.removeprefix("store/parts/") for n in parts if n.startswith("store/parts/")
        ]

        secret_state = "absent"
        secret_target = settings.secret_path()
        if "secret.key" in parts:
            new = (work / "secret.key").read_bytes()
            if secret_target.exists() and secret_target.read_bytes() == new:
                secret_state = "same"
            else:
                if secret_target.exists():
                    if not force:
                        raise BackupError(
                            f"{secret_target} 已存在且与备份中的密钥不同。换用备份的密钥会使现有"
                            "数据库与之后导入的数据不一致;确认要替换时加 --force。"
                        )
                    _set_aside(secret_target, stamp)
                secret_target.parent.mkdir(parents=True, exist_ok=True)
                _write_private(secret_target, new)
                secret_state = "written"

        app_state = "absent"
        app_target = settings.app_db_path(store)
        if "app.sqlite3" in parts:
            if app_target.exists():
                if not force:
                    raise BackupError(
                        f"{app_target} 已存在 (用户、会话、审计日志)。"
                        "确认要用备份替换时加 --force。"
                    )
                _set_aside(app_target, stamp)
                for extra in ("-wal", "-shm"):
                    Path(f"{app_target}{extra}").unlink(missing_ok=True)
            app_target.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(work / "app.sqlite3", app_target)
            os.chmod(app_target, 0o640)
            app_state = "written"

        config_target = None
        if "pulse.toml" in parts:
            config_target = published.parent / "pulse.toml.from-backup"
            shutil.copyfile(work / "pulse.toml", config_target)

        if parquet_files:  # the files first, then a catalog whose views name them here
            with publish.exclusive_lock(published):
                parquet_store.copy_files(
                    work / "store" / "parts", parquet_store.parts_dir(published), parquet_files
                )
            parquet_store.relink(work / store_part, published)
        generation = _publish_restored(published, work / store_part, Path(store_part).name)
    return Restored(generation, secret_state, app_state, config_target, manifest)


def _extract_verified(archive: Path, work: Path) -> dict[str, Any]:
    manifest = read_manifest(archive)
    if manifest.get("format") != FORMAT or manifest.get("product") != "service-pulse":
        raise BackupError(f"{archive} 不是本系统可识别的备份 (format {manifest.get('format')})")
    expected = {p["name"]: p for p in manifest["parts"]}
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.name == "manifest.json":
                continue
            part = expected.get(member.name)
            if part is None or not member.isfile():
                raise BackupError(f"{archive} 含有清单之外的内容: {member.name}")
            target = work / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            digest = hashlib.sha256()
            with target.open("wb") as fh:
                while chunk := source.read(1 << 22):
                    digest.update(chunk)
                    fh.write(chunk)
            if digest.hexdigest() != part["sha256"]:
                raise BackupError(f"{archive}: {member.name} 校验失败 (sha256 不符),备份已损坏")
    missing = [n for n in expected if not (work / n).exists()]
    if missing:
        raise BackupError(f"{archive} 不完整,缺少: {', '.join(missing)}")
    return manifest


def _publish_restored(published: Path, source: Path, name: str) -> Path:
    """The restored file as the current generation, laid out as etl.publish does: keep its
    name when that fits after the folder's generations, else take the next number."""
    with publish.exclusive_lock(published):
        existing = publish.generations(published)
        number = existing[-1][0] + 1 if existing else 1
        match = publish._gen_pattern(published).match(name)
        if match and int(match.group(1)) >= number:
            final = published.parent / name
        else:
            final = published.parent / f"{published.stem}.g{number:06d}.duckdb"
        os.chmod(source, 0o640)
        _fsync(source)
        os.rename(source, final)
        link = published.parent / f".{published.name}.link.tmp"
        link.unlink(missing_ok=True)
        os.symlink(final.name, link)
        os.replace(link, published)
        _fsync(published.parent)
    return final


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _set_aside(path: Path, stamp: str) -> None:
    os.replace(path, path.with_name(f"{path.name}.before-restore-{stamp}"))


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
