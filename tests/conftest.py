"""Shared fixtures: every test gets its own data folder (store, secret) in tmp_path."""

from __future__ import annotations

import csv
from pathlib import Path

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
