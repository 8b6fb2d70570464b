"""Shared fixtures: every test gets its own data folder (store, secret) in tmp_path."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

TOWNS = [
    ("339901001000", "城关街道", "街道", 1, 2),
    ("339901101000", "青石镇", "镇", 2, 1),
    ("339901201000", "白云乡", "乡", 2, 3),
]
DEPARTMENTS = [
    ("社保", "339901001000", "是"),
    ("民政", "339901001000", "是"),
    ("社保", "339901101000", "是"),
    ("司法", "339901201000", "是"),
    ("市场监管", "", "否"),
]
CASE_HEADER = [
    "办件编号",
    "事项编码",
    "事项名称",
    "乡镇(街道)",
    "受理部门",
    "申报方式",
    "受理时间",
    "承诺时限",
    "办结时间",
    "办件状态",
    "录入时间",
    "申请人",
    "证件号码",
    "联系电话",
]


def case_row(case_id: str, **over: str) -> list[str]:
    row = {
        "办件编号": case_id,
        "事项编码": "SB001",
        "事项名称": "城乡居民养老保险参保登记",
        "乡镇(街道)": "城关街道",
        "受理部门": "社保",
        "申报方式": "窗口办理",
        "受理时间": "2026-11-02 09:15:22",
        "承诺时限": "5",
        "办结时间": "2026-11-04 10:00:00",
        "办件状态": "办结",
        "录入时间": "2026-11-02 09:16:00",
        "申请人": "张三",
        "证件号码": "330102198001011234",
        "联系电话": "13812345678",
    }
    row.update(over)
    return [row[h] for h in CASE_HEADER]


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list],
    encoding: str = "utf-8",
    title: list[str] | None = None,
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        for line in title or []:
            w.writerow([line])
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def pulse_env(tmp_path, monkeypatch):
    """A private data folder: store, secret; config file absent unless a test writes one."""
    data = tmp_path / "data"
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
    monkeypatch.delenv("PULSE_STORE", raising=False)
    monkeypatch.delenv("PULSE_SECRET_FILE", raising=False)
    return data


@pytest.fixture
def reference_files(tmp_path) -> list[Path]:
    ref = tmp_path / "ref"
    ref.mkdir()
    towns = write_csv(
        ref / "towns.csv",
        ["乡镇代码", "乡镇名称", "类型", "网格行", "网格列"],
        [list(t) for t in TOWNS],
    )
    depts = write_csv(
        ref / "departments.csv", ["部门名称", "乡镇代码", "应进驻"], [list(d) for d in DEPARTMENTS]
    )
    return [towns, depts]


EVAL_HEADER = [
    "评价编号",
    "办件编号",
    "乡镇(街道)",
    "评价部门",
    "评价渠道",
    "评价时间",
    "评价等级",
    "评价内容",
    "整改状态",
    "整改完成时间",
]
TICKET_HEADER = [
    "工单编号",
    "来电时间",
    "乡镇(街道)",
    "承办单位",
    "诉求类型",
    "一级分类",
    "办理时限",
    "办结时间",
    "工单状态",
    "是否解决",
    "满意度",
    "来电号码",
    "诉求内容",
]


def eval_row(eval_id: str, **over: str) -> list[str]:
    row = {
        "评价编号": eval_id,
        "办件编号": "",
        "乡镇(街道)": "城关街道",
        "评价部门": "社保",
        "评价渠道": "评价器",
        "评价时间": "2026-11-03 10:00:00",
        "评价等级": "非常满意",
        "评价内容": "",
        "整改状态": "",
        "整改完成时间": "",
    }
    row.update(over)
    return [row[h] for h in EVAL_HEADER]


def ticket_row(ticket_id: str, **over: str) -> list[str]:
    row = {
        "工单编号": ticket_id,
        "来电时间": "2026-11-02 09:00:00",
        "乡镇(街道)": "城关街道",
        "承办单位": "社保",
        "诉求类型": "咨询",
        "一级分类": "社会保障",
        "办理时限": "2026-11-05 17:00:00",
        "办结时间": "2026-11-04 10:00:00",
        "工单状态": "已办结",
        "是否解决": "是",
        "满意度": "满意",
        "来电号码": "13900001111",
        "诉求内容": "咨询社保",
    }
    row.update(over)
    return [row[h] for h in TICKET_HEADER]


@pytest.fixture(autouse=True)
def system_viewer():
    """In-process tests read the store as the command line does (SYSTEM). The gate binds
    the viewer of each request itself; the tests of the door bind other viewers explicitly."""
    from dashboard.auth import appdb
    from dashboard.auth.access import SYSTEM, acting_as

    with acting_as(SYSTEM):
        yield
    appdb.close_all()


# --- the demo county of the tests ----------------------------------------------------------

DEMO_SEED, DEMO_SCALE = 3, 0.03
DEMO_END = date(2026, 11, 20)  # a Friday: 数据截至 2026-11-20


@dataclass(frozen=True)
class DemoCounty:
    """The demo county built and loaded once per test session (seed 3, scale 0.03, data up
    to DEMO_END). Its folder is read-only to the tests: `environment()` points a test at it
    to read; a test that adds accounts, serves it or loads into it takes `copy(target)`."""

    base: Path  # data/ (store, secret) and exports/
    summary: Any  # etl.demo's summary: files, counts
    run: Any  # the load's result: the per-file reports

    def environment(self, base: Path | None = None) -> dict[str, str]:
        where = base or self.base
        return {"PULSE_DATA_DIR": str(where / "data"), "PULSE_CONFIG": str(where / "pulse.toml")}

    def copy(self, target: Path) -> dict[str, str]:
        """A private copy of the data folder under `target`; its environment."""
        copy_data(self.base / "data", target / "data")
        return self.environment(target)


def copy_data(source: Path, target: Path) -> None:
    """Copy a data folder, its Parquet catalogs pointed at the copy's files."""
    from etl import parquet_store

    parquet_store.copy_data(source, target)


def use_environment(mp: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name, value in environment.items():
        mp.setenv(name, value)
    for name in ("PULSE_STORE", "PULSE_SECRET_FILE", "PULSE_APP_DB", "PULSE_SNAPSHOT_DIR"):
        mp.delenv(name, raising=False)


@pytest.fixture(scope="session")
def demo_county(tmp_path_factory) -> DemoCounty:
    from dashboard.auth.access import SYSTEM, acting_as
    from etl import demo
    from etl.load import load

    base = tmp_path_factory.mktemp("demo-county")
    county = DemoCounty(base, None, None)
    with pytest.MonkeyPatch.context() as mp, acting_as(SYSTEM):
        use_environment(mp, county.environment())
        summary = demo.generate(base / "exports", seed=DEMO_SEED, scale=DEMO_SCALE, end=DEMO_END)
        run = load([summary.out_dir])
        assert run.exit_code == 0
    return DemoCounty(base, summary, run)
