"""A demo city: several counties' exports in one folder (issue 18, `pulse demo --counties N`).

The first county is the demo county itself, written exactly as `generate()` writes it (same
files, same bytes), into the output folder: `--counties 1` is today's demo. Each further
county k (2..N) is the same generator run with its own seed, size and town profile, written
into `county-<code>/` below the output folder, its exports re-badged on the way out: county
code 3399kk (so its towns are 3399kk…000: a town's county is digits 1-6 of its code), its
own town names (distinct across the city, since fact files may name a town by name), its
own ids (case ids begin with the county code, 评价编号 PJkk…, 工单编号 GDkk…) and its
name in the title rows. With several counties a counties.csv names every county and the
city. Deterministic: the same (seed, scale, end, counties) gives the same files.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from etl.demo import county as county_module
from etl.demo import export, simulate
from etl.demo.export import DemoSummary, generate

CITY_NAME = "示范市"
MAX_COUNTIES = 20
# county 1 is the demo county (339901 示范县); the others, in order
COUNTY_NAMES = (
    "示范县", "临江县", "青山县", "安平县", "北川区", "南浦县", "丰乐县", "永宁县",
    "长兴区", "宜丰县", "清河县", "泰和县", "东阳县", "西华县", "南丰县", "北安县", "中江县",
    "上饶县", "下邳县", "广德县",
)  # fmt: skip
# Two-character stems for the towns of counties 2..N (13 towns each), none of them a stem of
# county 1's towns, so that no town name is used twice in the city.
_STEMS = (
    "金山", "银河", "望江", "湖滨", "鹤鸣", "福田", "平安", "长乐", "新桥", "古城", "大安",
    "仁和", "兴隆", "太平", "永丰", "玉泉", "红星", "黄岭", "马坪", "牛角", "狮子", "象山",
    "麒麟", "紫阳", "翠屏", "碧水", "丹霞", "芙蓉", "莲花", "兰溪", "菊园", "樟树", "杉木",
    "枫林", "桐木", "槐树", "杏花", "梨园", "橘洲", "荷塘", "苇塘", "蒲圻", "芦溪", "竹园",
    "梅岭", "茶陵", "稻田", "麦积", "棉湖", "桑园", "蚕溪", "渔湾", "樵山", "耕读", "牧马",
    "织锦", "陶家", "瓷窑", "铜鼓", "铁炉", "锡坑", "金竹", "银杏", "宝山", "珠溪", "玛瑙",
    "翡翠", "琥珀", "云台", "雾峰", "霞浦", "虹桥", "雷山", "电塘", "风岗", "雨坛", "雪峰",
    "霜降", "露水", "星沙", "月湖", "日照", "晨光", "暮云", "春晖", "夏阳", "秋浦", "冬青",
    "东湖", "西塘", "南岭", "北港", "中和", "上林", "下洞", "前进", "后湾", "左坪", "右所",
    "内湖", "外滩", "高岭", "低洼", "深渡", "浅滩", "宽甸", "窄溪", "长岗", "短坡", "圆通",
    "方山", "尖峰", "平川", "直街", "曲江", "斜塘", "横山", "纵岭", "里仁", "外沙", "安仁",
    "吉安", "庆丰", "祥和", "瑞金", "福寿", "禄口", "喜洲", "乐安", "康乐", "宁远", "靖安",
    "定远", "和顺", "谐乐", "美兰", "善化", "良田",
)  # fmt: skip
# Per county: (size relative to scale, shift of online rate, factor on overdue rate, shift of
# satisfaction): the counties differ, so the city ranking has something to say.
_PROFILES = (
    (1.00, 0.00, 1.0, 0.000),
    (0.80, 0.06, 0.6, 0.010),
    (0.65, -0.08, 1.8, -0.015),
    (1.15, 0.03, 1.2, 0.005),
    (0.70, -0.04, 0.8, -0.008),
    (0.90, 0.08, 1.5, 0.012),
    (0.60, -0.10, 2.2, -0.020),
    (0.85, 0.02, 0.9, 0.003),
    (1.05, -0.02, 1.1, -0.004),
    (0.75, 0.05, 0.7, 0.008),
    (0.95, -0.06, 1.6, -0.012),
    (0.55, 0.10, 0.5, 0.015),
)


@dataclass(frozen=True)
class DemoCounty:
    code: str  # 6 digits
    name: str
    folder: Path  # where its exports are
    town_codes: tuple[str, ...]
    town_names: tuple[str, ...]


@dataclass
class CitySummary:
    out_dir: Path
    counties: list[DemoCounty]
    summaries: list[DemoSummary]  # one per county, in order
    counties_file: Path | None

    @property
    def files(self) -> list[Path]:
        extra = [self.counties_file] if self.counties_file else []
        return extra + [f for s in self.summaries for f in s.files]

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.summaries:
            for k, v in s.counts.items():
                out[k] = out.get(k, 0) + v
        return out


def _town_name(i: int, kind: str) -> str:
    """The i-th town name of counties 2..N: a stem, then (past the stems) a direction."""
    stem, lap = _STEMS[i % len(_STEMS)], i // len(_STEMS)
    return f"{stem}{'' if lap == 0 else '东西南北中'[lap - 1]}{kind}"


def county_code(k: int) -> str:
    """The code of county k (1-based): 339901, 339902, …"""
    return f"{county_module.COUNTY_CODE[:4]}{k:02d}"


def demo_counties(n: int, out_dir: Path) -> list[DemoCounty]:
    """The N counties of a demo city (names, codes, towns), without writing anything."""
    if not 1 <= n <= MAX_COUNTIES:
        raise ValueError(f"counties must be between 1 and {MAX_COUNTIES}")
    towns = county_module._TOWNS
    out = []
    for k in range(1, n + 1):
        code = county_code(k)
        if k == 1:
            names = county_module.TOWN_NAMES
        else:
            first = (k - 2) * len(towns)
            names = tuple(_town_name(first + i, t.kind) for i, t in enumerate(towns))
        out.append(
            DemoCounty(
                code=code,
                name=COUNTY_NAMES[k - 1],
                folder=out_dir if k == 1 else out_dir / f"county-{code}",
                town_codes=tuple(f"{code}{t.code3}000" for t in towns),
                town_names=names,
            )
        )
    return out


def _badge(home: DemoCounty, other: DemoCounty) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Rewrites a frame of the demo county's exports as `other` county's."""
    by_name = dict(zip(home.town_names, other.town_names, strict=True))
    town_cols = {"乡镇(街道)", "乡镇（街道）", "所属乡镇", "乡镇代码", "乡镇名称"}
    suffix = other.code[-2:]

    def town(col: str) -> pl.Expr:
        c = pl.col(col)
        named = c.replace(by_name)
        return (
            pl.when(c.str.starts_with(home.code))
            .then(pl.lit(other.code) + c.str.slice(len(home.code)))
            .otherwise(named)
            .alias(col)
        )

    def frame(df: pl.DataFrame) -> pl.DataFrame:
        exprs = []
        for col in df.columns:
            if df.schema[col] != pl.String:
                continue
            c = pl.col(col)
            if col in town_cols:
                exprs.append(town(col))
            elif col in ("办件编号", "业务流水号"):
                exprs.append(
                    pl.when(c.str.starts_with(home.code))
                    .then(pl.lit(other.code) + c.str.slice(len(home.code)))
                    .otherwise(c)
                    .alias(col)
                )
            elif col in ("评价编号", "工单编号"):
                exprs.append((c.str.slice(0, 2) + pl.lit(suffix) + c.str.slice(2)).alias(col))
        return df.with_columns(exprs) if exprs else df

    return frame


@contextlib.contextmanager
def _as_county(home: DemoCounty, other: DemoCounty, k: int) -> Iterator[None]:
    """While writing county k: its profile in the simulation, its badge on every export."""
    _, online, overdue, satisfied = _PROFILES[(k - 1) % len(_PROFILES)]
    towns = tuple(
        replace(
            t,
            online_rate=min(0.97, max(0.05, t.online_rate + online)),
            overdue_rate=t.overdue_rate * overdue,
            satisfaction=min(0.998, t.satisfaction + satisfied),
        )
        for t in county_module._TOWNS
    )
    saved = (simulate._TOWNS, export._badge_frame, export._badge_title)
    simulate._TOWNS = towns
    export._badge_frame = _badge(home, other)
    export._badge_title = lambda text: text.replace(home.name, other.name)
    try:
        yield
    finally:
        simulate._TOWNS, export._badge_frame, export._badge_title = saved


def generate_city(
    out_dir: Path,
    counties: int = 1,
    seed: int = 7,
    scale: float = 1.0,
    end: date | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> CitySummary:
    """Write N counties' exports: county 1 into `out_dir` (as `generate()`), the others into
    `out_dir/county-<code>/`, and with N > 1 a counties.csv. Folders of other counties from
    an earlier run are removed first, so `--counties 1` after `--counties 3` is the demo
    county alone again."""
    out_dir = Path(out_dir)
    found = demo_counties(counties, out_dir)
    for old in out_dir.glob("county-*"):
        if old.is_dir():
            shutil.rmtree(old)
    old_file = out_dir / "counties.csv"
    old_file.unlink(missing_ok=True)
    summaries = []
    for k, c in enumerate(found, start=1):

        def step(label: str, fraction: float, k: int = k, name: str = c.name) -> None:
            if progress is not None:
                text = f"{name} {label}" if counties > 1 else label
                progress(text, ((k - 1) + fraction) / counties)

        size = _PROFILES[(k - 1) % len(_PROFILES)][0]
        if k == 1:
            summaries.append(generate(out_dir, seed=seed, scale=scale, end=end, progress=step))
            continue
        with _as_county(found[0], c, k):
            summaries.append(
                generate(c.folder, seed=seed + 101 * k, scale=scale * size, end=end, progress=step)
            )
    counties_file = None
    if counties > 1:
        counties_file = old_file
        pl.DataFrame(
            {
                "县区代码": [c.code for c in found],
                "县区名称": [c.name for c in found],
                "所属市": [CITY_NAME] * len(found),
            }
        ).write_csv(counties_file)
    return CitySummary(out_dir, found, summaries, counties_file)
