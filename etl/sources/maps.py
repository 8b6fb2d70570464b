"""Column maps: a county's own headers → the contract's store names, per source system.

Every platform vendor names its export columns its own way (业务流水号 for 办件编号, 受理单位
for 受理部门 …). A column map says, for one source, which header is which column; it is
configuration, not code:

    [[columns.maps]]
    source = "cases"                 # cases | hotline | evaluations | towns | departments
    name = "某厂商办件明细"            # shown in the load output, the load log, `pulse inspect`
    [columns.maps.headers]
    "业务流水号" = "case_id"          # a store name ...
    "受理单位" = "受理部门"            # ... or the contract's Chinese header
    "数据来源" = ""                   # "": known, deliberately not loaded (not "unmapped")

Maps live in `pulse.toml` (setting `columns.maps`) and in a map file that sits in a loaded
folder (setting `columns.folder_map`, default `columns.toml`, same shape): it applies to the
files of that folder and the folders below it, so an export folder can carry its own map.
Several maps may name the same source: a file is still recognised by its header row, under
whichever map (or none) finds every required header, the one that places most headers
winning. A map's headers are matched before the contract's own, so a vendor column that
happens to carry a contract header but means something else can be mapped away.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from etl import settings
from etl.sources import ALL_SOURCES, Source, normalize_header

_BY_NAME = {s.name: s for s in ALL_SOURCES}
_MAP_KEYS = {"source", "name", "headers"}


class ColumnMapError(ValueError):
    """A column map that cannot be used; the message (Chinese, then English) names where."""


@dataclass(frozen=True)
class ColumnMap:
    source: str  # Source.name
    name: str
    headers: dict[str, str] = field(default_factory=dict)  # normalized header → store name | ""
    origin: str = "pulse.toml"  # where it was read

    def target(self, header: str) -> str | None:
        """The store name a header cell maps to, '' when ignored, None when not in the map."""
        return self.headers.get(normalize_header(header))


def parse_maps(raw: object, origin: str) -> list[ColumnMap]:
    """The maps of a `columns.maps` value (a list of tables), checked."""
    if raw is None or raw == []:
        return []
    if not isinstance(raw, list):
        raise ColumnMapError(
            f"{origin}：columns.maps 应为 [[columns.maps]] 表的列表"
            f" / {origin}: columns.maps must be a list of [[columns.maps]] tables"
        )
    maps = []
    for i, entry in enumerate(raw, start=1):
        where = f"{origin} 第 {i} 个 [[columns.maps]]"
        where_en = f"{origin}, [[columns.maps]] #{i}"
        if not isinstance(entry, dict):
            raise ColumnMapError(f"{where} 不是表 / {where_en} is not a table")
        unknown = sorted(set(entry) - _MAP_KEYS)
        if unknown:
            raise ColumnMapError(
                f"{where} 有未知的键：{'、'.join(unknown)}（只能是 source、name、headers）"
                f" / {where_en}: unknown key(s) {', '.join(unknown)} "
                "(only source, name, headers)"
            )
        source = _BY_NAME.get(str(entry.get("source", "")))
        if source is None:
            raise ColumnMapError(
                f"{where} 的 source「{entry.get('source', '')}」无效，应为 "
                f"{'、'.join(_BY_NAME)} 之一 / {where_en}: source "
                f"'{entry.get('source', '')}' must be one of {', '.join(_BY_NAME)}"
            )
        name = str(entry.get("name") or f"{source.name} #{i}")
        where, where_en = f"{origin} 中的列映射「{name}」", f"{origin}, column map '{name}'"
        headers = entry.get("headers", {})
        if not isinstance(headers, dict) or not headers:
            raise ColumnMapError(
                f"{where} 缺少 [columns.maps.headers]（表头 = 列名）"
                f" / {where_en} lacks [columns.maps.headers] (header = column)"
            )
        mapped: dict[str, str] = {}
        for header, target in headers.items():
            key = normalize_header(header)
            if not key:
                raise ColumnMapError(f"{where} 有空表头 / {where_en} has an empty header")
            if not isinstance(target, str):
                raise ColumnMapError(
                    f"{where}：表头「{header}」应映射到列名（文本） / {where_en}: header "
                    f"'{header}' must map to a column name (text)"
                )
            mapped[key] = resolve_target(source, target, where, where_en)
        maps.append(ColumnMap(source.name, name, mapped, origin))
    return maps


def resolve_target(source: Source, target: str, where: str = "", where_en: str = "") -> str:
    """A map's right-hand side as a store name: the store name itself or the contract's
    Chinese header ('' stays '': ignored on purpose)."""
    wanted = normalize_header(target)
    if not wanted:
        return ""
    for col in source.columns:
        if wanted in (normalize_header(col.name), normalize_header(col.header)):
            return col.name
    names = "、".join(f"{c.name}（{c.header}）" for c in source.columns)
    raise ColumnMapError(
        f"{where}：「{target}」不是{source.label}的列；可用的列：{names}"
        f" / {where_en}: '{target}' is not a column of {source.name}; columns: "
        + ", ".join(c.name for c in source.columns)
    )


def configured_maps() -> list[ColumnMap]:
    """The maps in pulse.toml (setting columns.maps)."""
    return parse_maps(settings.get("columns.maps"), str(settings.config_path()))


def read_map_file(path: Path) -> list[ColumnMap]:
    """The maps of a map file (same shape as pulse.toml: [[columns.maps]] tables only)."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ColumnMapError(
            f"列映射文件 {path} 无法读取：{exc} / cannot read column map file {path}: {exc}"
        ) from exc
    unknown = sorted(k for k in raw if k != "columns")
    columns = raw.get("columns", {})
    if isinstance(columns, dict):
        unknown += sorted(f"columns.{k}" for k in columns if k != "maps")
    if unknown:
        raise ColumnMapError(
            f"列映射文件 {path} 只能含 [[columns.maps]]，却有：{'、'.join(unknown)}"
            f" / column map file {path} may hold [[columns.maps]] only, not: {', '.join(unknown)}"
        )
    return parse_maps(columns.get("maps", []) if isinstance(columns, dict) else None, str(path))


def folder_map_files(path: Path, root: Path | None = None) -> list[Path]:
    """Map files that apply to a file: one in its folder and in each folder above it up to
    `root` (the folder named on the command line; a file named itself: its own folder)."""
    name = settings.get("columns.folder_map")
    if not name:
        return []
    folder = path.parent.resolve()
    stop = (root or path.parent).resolve()
    found = []
    while True:
        candidate = folder / name
        if candidate.is_file():
            found.append(candidate)
        if folder == stop or folder.parent == folder or stop not in folder.parents:
            break
        folder = folder.parent
    return found


class MapCatalog:
    """Every map a run may use: pulse.toml's and the folder maps, each file read once."""

    def __init__(self, configured: Sequence[ColumnMap] | None = None):
        self.configured = list(configured_maps() if configured is None else configured)
        self._files: dict[Path, list[ColumnMap]] = {}

    def for_file(self, path: Path, root: Path | None = None) -> list[ColumnMap]:
        maps = list(self.configured)
        for map_file in folder_map_files(path, root):
            if map_file not in self._files:
                self._files[map_file] = read_map_file(map_file)
            maps += self._files[map_file]
        return maps


def maps_for(path: Path | str) -> list[ColumnMap]:
    """The maps a file read on its own uses: pulse.toml's and a map file in its folder."""
    return MapCatalog().for_file(Path(path))


def for_source(maps: Iterable[ColumnMap], source: Source) -> list[ColumnMap]:
    return [m for m in maps if m.source == source.name]
