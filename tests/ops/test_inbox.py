"""`pulse watch DIR`: real files dropped into a real folder, loaded into a real store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import xlsxwriter

from etl import publish, settings
from etl.inbox import Inbox
from tests.conftest import CASE_HEADER, DEPARTMENTS, ROOT, TOWNS, case_row, write_csv


def _cases(path: Path, prefix: str, n: int, encoding: str = "utf-8") -> Path:
    return write_csv(path, CASE_HEADER, [case_row(f"{prefix}{i:05d}") for i in range(n)], encoding)


def _towns_xlsx(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("乡镇")
    for r, row in enumerate([["乡镇代码", "乡镇名称", "类型", "网格行", "网格列"], *TOWNS]):
        sheet.write_row(r, 0, [str(v) for v in row])
    book.close()
    return path


def _departments(path: Path) -> Path:
    return write_csv(path, ["部门名称", "乡镇代码", "应进驻"], [list(d) for d in DEPARTMENTS])


def _age(path: Path, seconds: float = 60) -> Path:
    """As if written `seconds` ago (a file that has long stopped changing)."""
    t = time.time() - seconds
    os.utime(path, (t, t))
    return path


def _count(table: str) -> int:
    current = publish.current_file(settings.store_path())
    if current is None:
        return 0
    con = duckdb.connect(str(current), read_only=True)
    try:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]
    finally:
        con.close()


def test_gbk_csv_and_xlsx_load_and_move_to_done(pulse_env, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _age(_towns_xlsx(inbox / "乡镇.xlsx"))
    _age(_departments(inbox / "部门.csv"))
    _age(_cases(inbox / "办件_gbk.csv", "G", 40, encoding="gbk"))
    result = Inbox(inbox, settle=1, confirm=False).run_pass()
    assert sorted(p.name for p in result.loaded) == ["乡镇.xlsx", "办件_gbk.csv", "部门.csv"]
    assert not result.failed and not result.waiting
    assert _count("towns") == 3 and _count("cases") == 40
    day = time.strftime("%Y-%m-%d")
    assert sorted(p.name for p in (inbox / "done" / day).iterdir()) == sorted(
        ["乡镇.xlsx", "办件_gbk.csv", "部门.csv"]
    )
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []


def test_bad_files_go_to_failed_with_a_chinese_reason(pulse_env, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _age(write_csv(inbox / "不知道是什么.csv", ["甲", "乙"], [["1", "2"]]))
    pdf = inbox / "说明.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    _age(pdf)
    _age(_cases(inbox / "ok.csv", "K", 5))
    result = Inbox(inbox, settle=1, confirm=False).run_pass()
    assert sorted(p.name for p in result.failed) == ["不知道是什么.csv", "说明.pdf"]
    assert [p.name for p in result.loaded] == ["ok.csv"]
    reason = (inbox / "failed" / "不知道是什么.csv.reason.txt").read_text(encoding="utf-8")
    assert "未导入" in reason and "不知道是什么.csv" in reason
    assert "不支持的文件类型 .pdf" in (inbox / "failed" / "说明.pdf.reason.txt").read_text(
        encoding="utf-8"
    )
    assert (inbox / "failed" / "说明.pdf").exists()


def test_a_column_map_in_the_inbox_maps_and_stays(pulse_env, tmp_path):
    """A vendor's export dropped with the folder's column map (columns.toml, issue 19): the
    export loads through it; the map is configuration, not an export, and stays put."""
    from tests.etl.test_column_maps import MAP, VENDOR_HEADER, vendor_row

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _age(_towns_xlsx(inbox / "乡镇.xlsx"))
    (inbox / "columns.toml").write_text(MAP, encoding="utf-8")
    _age(inbox / "columns.toml")
    _age(write_csv(inbox / "厂商.csv", VENDOR_HEADER, [vendor_row("V1"), vendor_row("V2")]))
    result = Inbox(inbox, settle=1, confirm=False).run_pass()
    assert sorted(p.name for p in result.loaded) == ["乡镇.xlsx", "厂商.csv"]
    assert not result.failed and _count("cases") == 2
    assert [p.name for p in inbox.iterdir() if p.is_file()] == ["columns.toml"]


def test_the_same_file_twice_is_loaded_once(pulse_env, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    original = _age(_cases(inbox / "办件.csv", "S", 12))
    content = original.read_bytes()
    first = Inbox(inbox, settle=1, confirm=False).run_pass()
    assert [p.name for p in first.loaded] == ["办件.csv"]
    generation = publish.current_file(settings.store_path())
    # the export job drops the same file again, under the same name and under another
    (inbox / "办件.csv").write_bytes(content)
    (inbox / "办件-副本.csv").write_bytes(content)
    _age(inbox / "办件.csv")
    _age(inbox / "办件-副本.csv")
    again = Inbox(inbox, settle=1, confirm=False).run_pass()
    assert sorted(p.name for p in again.repeated) == ["办件 (2).csv", "办件-副本.csv"]
    assert not again.loaded and not again.failed
    assert publish.current_file(settings.store_path()) == generation  # nothing published
    done = inbox / "done" / time.strftime("%Y-%m-%d")
    note = (done / "办件-副本.csv.重复.txt").read_text(encoding="utf-8")
    assert "重复" in note and "办件.csv" in note
    assert _count("loads") == 1


def test_files_being_written_wait(pulse_env, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    partial = _age(_cases(inbox / "办件.csv.part", "P", 10))
    hidden = _age(_cases(inbox / ".办件.csv", "H", 10))
    fresh = _cases(inbox / "刚写完.csv", "F", 10)  # modified just now
    result = Inbox(inbox, settle=30, confirm=False).run_pass()
    assert result.waiting == [fresh] and not result.loaded
    assert partial.exists() and hidden.exists() and _count("cases") == 0
    partial.rename(inbox / "办件.csv")  # the writer's last step
    result = Inbox(inbox, settle=30, confirm=False).run_pass()
    assert [p.name for p in result.loaded] == ["办件.csv"] and result.waiting == [fresh]


def test_watch_in_the_foreground_loads_a_file_arriving_in_pieces(tmp_path):
    """The real `pulse watch` process; the file grows in pieces, each sooner than the settle
    time after the one before: it is loaded once, whole."""
    env = {
        **os.environ,
        "PULSE_DATA_DIR": str(tmp_path / "data"),
        "PULSE_CONFIG": str(tmp_path / "pulse.toml"),
    }
    env.pop("PULSE_STORE", None)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    whole = _cases(tmp_path / "whole.csv", "W", 300).read_bytes()
    command = ["watch", str(inbox), "--interval", "0.2", "--settle", "1.5"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        target = inbox / "办件.csv"
        pieces = [
            whole[i : i + len(whole) // 5 + 1] for i in range(0, len(whole), len(whole) // 5 + 1)
        ]
        for piece in pieces:
            with target.open("ab") as fh:
                fh.write(piece)
            time.sleep(0.5)
            assert target.exists(), "loaded before it was complete"
        done = inbox / "done" / time.strftime("%Y-%m-%d") / "办件.csv"
        deadline = time.time() + 120
        while not done.exists():
            assert proc.poll() is None and time.time() < deadline, "not loaded"
            time.sleep(0.2)
    finally:
        proc.terminate()
        _, log = proc.communicate(timeout=30)
    assert done.read_bytes() == whole
    con = duckdb.connect(str(tmp_path / "data" / "store" / "pulse.duckdb"), read_only=True)
    # one load, of all 300 rows (no town list loaded here: the rows are in rejects)
    assert con.execute("select rows_read from loads").fetchall() == [(300,)], log
    con.close()
