"""`pulse backup` → `pulse restore` into an empty folder: the same figures, the same keyed
hashes (the secret came along), the app database's rows; real processes, real files."""

from __future__ import annotations

import json
import sqlite3
import tarfile
import time

from etl import publish
from tests.conftest import CASE_HEADER, case_row, write_csv
from tests.ops.served import pulse, pulse_env


def _app_db_with_a_user(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("pragma journal_mode=wal")
    con.execute("create table users (name text primary key, role text)")
    con.execute("insert into users values ('zhangsan', 'county')")
    con.commit()
    return con  # left open, as a serving worker would: the backup copies it live


def test_backup_restore_round_trip(tmp_path, reference_files):
    source = pulse_env(tmp_path / "a")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pulse.toml").write_text('[county]\nname = "备份县"\n', encoding="utf-8")
    cases = write_csv(
        tmp_path / "cases.csv",
        CASE_HEADER,
        [case_row(f"B{i:04d}", 证件号码=f"33010219800101{i:04d}") for i in range(25)],
    )
    assert pulse(source, "load", *map(str, reference_files), str(cases)).returncode == 0
    app_db = tmp_path / "a" / "data" / "store" / "app.sqlite3"
    live = _app_db_with_a_user(app_db)
    try:
        done = pulse(source, "backup", "--out", str(tmp_path / "pulse.tar.gz"))
    finally:
        live.close()
    assert done.returncode == 0, done.stderr
    with tarfile.open(tmp_path / "pulse.tar.gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
    assert manifest["app_db"] == "included" and manifest["secret"] == "included"
    assert {p["name"] for p in manifest["parts"]} | {"manifest.json"} == names
    assert manifest["generation"] == "pulse.g000001.duckdb"

    target = pulse_env(tmp_path / "b")
    store_b = tmp_path / "b" / "data" / "store"
    done = pulse(target, "restore", str(tmp_path / "pulse.tar.gz"), "--store", str(store_b))
    assert done.returncode == 0, done.stdout + done.stderr
    assert publish.current_file(store_b / "pulse.duckdb").name == "pulse.g000001.duckdb"
    assert (store_b / "pulse.toml.from-backup").read_text(encoding="utf-8").startswith("[county]")

    figures = ["metrics", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json"]
    before = pulse(source, *figures)
    after = pulse(target, *figures, "--store", str(store_b))
    assert before.returncode == after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)

    # the same export loaded again hashes to the same values: duplicates only
    again = pulse(target, "load", str(cases), "--store", str(store_b), "--report", "json")
    (report,) = json.loads(again.stdout)
    assert (report["inserted"], report["updated"], report["duplicate"]) == (0, 0, 25), report

    con = sqlite3.connect(store_b / "app.sqlite3")
    assert con.execute("select name, role from users").fetchall() == [("zhangsan", "county")]
    con.close()

    # restoring over an installation that has an app database needs --force
    refused = pulse(target, "restore", str(tmp_path / "pulse.tar.gz"), "--store", str(store_b))
    assert refused.returncode == 1 and "--force" in refused.stderr
    forced = pulse(
        target, "restore", str(tmp_path / "pulse.tar.gz"), "--store", str(store_b), "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert publish.current_file(store_b / "pulse.duckdb").name == "pulse.g000003.duckdb"


def test_restore_refuses_a_different_secret_and_a_damaged_archive(tmp_path, reference_files):
    source = pulse_env(tmp_path / "a")
    assert pulse(source, "load", *map(str, reference_files)).returncode == 0
    archive = tmp_path / "one.tar"
    assert pulse(source, "backup", "--out", str(archive)).returncode == 0

    target = pulse_env(tmp_path / "b")
    (tmp_path / "b" / "data").mkdir(parents=True)
    (tmp_path / "b" / "data" / "secret.key").write_text("another installation's secret\n")
    refused = pulse(target, "restore", str(archive))
    assert refused.returncode == 1 and "密钥" in refused.stderr
    assert publish.current_file(tmp_path / "b" / "data" / "store" / "pulse.duckdb") is None

    damaged = tmp_path / "damaged.tar"
    data = bytearray(archive.read_bytes())
    data[-20000] ^= 0xFF  # inside the store file, the last member
    damaged.write_bytes(bytes(data))
    refused = pulse(pulse_env(tmp_path / "c"), "restore", str(damaged))
    assert refused.returncode == 1 and "校验失败" in refused.stderr


def test_backup_does_not_wait_for_a_running_load(tmp_path, reference_files):
    """A load holds the store's lock for minutes; the backup reads the published generation
    (immutable) and never takes the lock."""
    env = pulse_env(tmp_path)
    assert pulse(env, "load", *map(str, reference_files)).returncode == 0
    published = tmp_path / "data" / "store" / "pulse.duckdb"
    folder = tmp_path / "backups"
    folder.mkdir()
    with publish.exclusive_lock(published):  # as a load in progress would
        for _ in range(3):
            done = pulse(env, "backup", "--out", str(folder), "--keep", "2", timeout=120)
            assert done.returncode == 0, done.stderr
            time.sleep(1.1)  # archive names carry the second
    assert len(list(folder.glob("pulse-backup-*.tar.gz"))) == 2
