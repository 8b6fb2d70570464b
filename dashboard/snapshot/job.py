"""周报 on request (issue 16): an admin's button on the 周报 page makes last week's county
report — `pulse snapshot` without options, the same produce() as the weekly job — in a
process of its own, never in a web worker's request thread.

start() writes "starting" into <archive>/.job.json and spawns `python -m
dashboard.snapshot.job`, detached (own session, no terminal). That process holds an exclusive
lock on <archive>/.job.lock for its whole life — one report at a time, whoever asks, and a
killed job frees the lock with its death — and runs `python -m dashboard.cli snapshot`, which
renders on a private server of its own with the PDF job's one-time credential (login stays
on). How it went goes into .job.json; its output into <log_dir>/snapshot-job.log. status()
reads the lock and the file, from any worker.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dashboard.snapshot import archive
from etl import settings

STATE = ".job.json"
LOCK = ".job.lock"
STARTING_SECONDS = 120  # a job asked for but not yet running is "starting" this long
MAX_SECONDS = 30 * 60  # a job running longer than this is stopped and reported failed
MESSAGE_CHARS = 300


@dataclass(frozen=True)
class JobStatus:
    state: str  # idle | starting | running | done | failed
    by: str | None = None
    week: str | None = None
    requested_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    message: str = ""

    @property
    def busy(self) -> bool:
        return self.state in ("starting", "running")


def _folder(folder: Path | None) -> Path:
    return folder or archive.out_dir()


def _read(folder: Path) -> dict[str, Any]:
    try:
        value = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write(folder: Path, state: dict[str, Any]) -> None:
    body = json.dumps(state, ensure_ascii=False, indent=2).encode("utf-8")
    archive.write_atomic(folder / STATE, body)


def _locked(folder: Path) -> bool:
    """Whether a job process holds the lock now."""
    path = folder / LOCK
    if not path.exists():
        return False
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def status(folder: Path | None = None) -> JobStatus:
    folder = _folder(folder)
    state = _read(folder)
    common = {
        "by": state.get("by"),
        "week": state.get("week"),
        "requested_at": _time(state.get("requested_at")),
    }
    if _locked(folder):
        return JobStatus("running", **common)
    kind = state.get("state")
    requested = common["requested_at"]
    if kind in ("starting", "running"):
        fresh = requested and (datetime.now() - requested).total_seconds() < STARTING_SECONDS
        if kind == "starting" and fresh:
            return JobStatus("starting", **common)
        # asked for, but no process holds the lock: it died without a word
        return JobStatus("failed", **common, message="生成进程意外结束,请查看服务器日志")
    if kind in ("done", "failed"):
        return JobStatus(
            kind,
            **common,
            finished_at=_time(state.get("finished_at")),
            seconds=state.get("seconds"),
            message=str(state.get("message") or ""),
        )
    return JobStatus("idle")


def start(by: str, week: str | None, folder: Path | None = None) -> bool:
    """Ask for last week's report in the background. False if one is being made already."""
    folder = _folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if status(folder).busy:
        return False
    now = datetime.now().isoformat(sep=" ", timespec="seconds")
    _write(folder, {"state": "starting", "by": by, "week": week, "requested_at": now})
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.snapshot.job"],
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not in the worker's process group: a worker restart spares it
        close_fds=True,
    )
    # reap it when it ends (no zombie while this worker lives; init reaps it otherwise)
    threading.Thread(target=proc.wait, name="snapshot-job-reaper", daemon=True).start()
    return True


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:MESSAGE_CHARS] if lines else ""


def _summary(out: str) -> str:
    """`pulse snapshot` prints "<path>  (<period>, <seconds> s)": the file's name and the rest."""
    path, _, rest = _last_line(out).partition("  ")
    return f"{Path(path).name} {rest}".strip()


def _log(folder: Path, text: str) -> None:
    try:
        log_dir = settings.log_dir()
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / "snapshot-job.log").open("a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now():%Y-%m-%d %H:%M:%S} (archive {folder})\n{text}\n")
    except OSError:
        pass


def main() -> int:
    """The job's process: one `pulse snapshot` under the lock, its outcome in .job.json."""
    folder = _folder(None)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # another job is making it right now
        state = _read(folder)
        state.update(state="running", pid=os.getpid())
        state.setdefault("requested_at", datetime.now().isoformat(sep=" ", timespec="seconds"))
        _write(folder, state)
        begun = time.monotonic()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "dashboard.cli", "snapshot"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=MAX_SECONDS,
            )
            ok, out, err = done.returncode == 0, done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            ok, out = False, str(exc.stdout or "")
            err = f"周报生成超时({MAX_SECONDS // 60} 分钟),已停止"
        _log(folder, out + err)
        state.update(
            state="done" if ok else "failed",
            finished_at=datetime.now().isoformat(sep=" ", timespec="seconds"),
            seconds=round(time.monotonic() - begun, 1),
            message=_summary(out) if ok else (_last_line(err) or "周报生成失败"),
        )
        state.pop("pid", None)
        _write(folder, state)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
