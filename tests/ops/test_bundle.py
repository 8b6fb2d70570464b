"""The offline bundle, end to end: `.ci/bundle.sh` builds it (this step reaches the package
registries), then, inside a network namespace with no network (`unshare -n`), install.sh
installs it under a service user, and the installed `pulse` builds a small demo county,
renders the weekly PDF and serves pages on loopback. Needs root (CI runs as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="installs Debian packages and a user: root"),
    pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare"),
]
USER = "pulsebundletest"

INSIDE = r"""
set -euo pipefail
ip link set lo up
if python3 -c 'import socket; socket.create_connection(("1.1.1.1", 53), 2)' 2>/dev/null; then
  echo "network reachable inside the namespace" >&2; exit 9
fi
start=$(date +%s.%N)
"$BUNDLE/install.sh" --prefix "$T/opt" --data "$T/data" --config "$T/etc" --logs "$T/logs" \
  --backups "$T/backups" --user "$PULSE_USER" --no-systemd --no-path-link
echo "install_seconds $(echo "$(date +%s.%N) - $start" | bc)"
pulse="$T/opt/bin/pulse"
"$pulse" --help | grep serve > /dev/null
"$pulse" demo --scale 0.02 --out "$T/data/demo" > /dev/null
"$pulse" load "$T/data/demo" > /dev/null
"$pulse" status
"$pulse" snapshot --out "$T/data/week.pdf"
runuser -u "$PULSE_USER" -- env PULSE_CONFIG="$T/etc/pulse.toml" \
  "$T/opt/current/venv/bin/python" -m dashboard.cli serve --port 18931 > "$T/serve.log" 2>&1 &
server=$!
"$T/opt/current/venv/bin/python" - <<'PY'
import json, time, urllib.request
deadline = time.time() + 60
while True:
    try:
        with urllib.request.urlopen("http://127.0.0.1:18931/healthz", timeout=30) as r:
            print("healthz", r.status, json.load(r)["status"])
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.3)
# the home page (or, once logins exist, the login page it leads to): /healthz above
# already read the store in a worker
with urllib.request.urlopen("http://127.0.0.1:18931/", timeout=30) as r:
    assert r.status == 200 and r.read()
    print("page 200")
PY
kill $server
wait $server || true
"""


@pytest.fixture
def open_tmp():
    """A temporary folder the service user can reach (pytest's tmp_path is root's only)."""
    path = Path(tempfile.mkdtemp(prefix="pulse-bundle-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_bundle_builds_and_installs_offline(open_tmp):
    tmp_path = open_tmp
    t0 = time.monotonic()
    built = subprocess.run(
        ["bash", str(ROOT / ".ci" / "bundle.sh"), "--out", str(tmp_path / "dist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    build_seconds = time.monotonic() - t0
    assert built.returncode == 0, built.stdout + built.stderr
    (archive,) = (tmp_path / "dist").glob("service-pulse-*-debian12-amd64.tar.gz")
    size_mb = archive.stat().st_size / 2**20
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    (bundle,) = (tmp_path / "unpacked").iterdir()
    wheels = sorted(p.name for p in (bundle / "wheels").iterdir())
    assert any(w.startswith("uv-") for w in wheels)
    assert any(w.startswith("duckdb-") and "cp311" in w and "x86_64" in w for w in wheels)
    assert (bundle / "app" / "dashboard" / "cli.py").exists()

    # the Debian packages are a complete closure: apt resolves them on a machine with nothing
    # installed, from the bundle alone, with no network
    apt = tmp_path / "apt"
    (apt / "lists" / "partial").mkdir(parents=True)
    (apt / "status").write_text("")
    (apt / "sources.list").write_text(f"deb [trusted=yes] file:{bundle / 'debs'} ./\n")
    options = [
        f"-oDir::Etc::SourceList={apt / 'sources.list'}",
        "-oDir::Etc::SourceParts=/nonexistent",
        f"-oDir::State::Lists={apt / 'lists'}",
        f"-oDir::State::status={apt / 'status'}",
        "-oDir::Cache::pkgcache=",
        "-oDir::Cache::srcpkgcache=",
        "-oAPT::Sandbox::User=root",
    ]
    wanted = (bundle / "debs" / "wanted.txt").read_text().split()
    simulated = subprocess.run(
        [
            "unshare",
            "-n",
            "sh",
            "-c",
            'apt-get "$@" update -qq && apt-get "$@" install -s '
            "--no-install-recommends " + " ".join(wanted),
            "sh",
            *options,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr
    assert "Inst chromium " in simulated.stdout

    target = tmp_path / "installed"
    target.mkdir()
    try:
        t1 = time.monotonic()
        inside = subprocess.run(
            ["unshare", "-n", "bash", "-c", INSIDE],
            env={**os.environ, "BUNDLE": str(bundle), "T": str(target), "PULSE_USER": USER},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        offline_seconds = time.monotonic() - t1
        assert inside.returncode == 0, inside.stdout + inside.stderr
        assert "healthz 200 ok" in inside.stdout and "page 200" in inside.stdout
        assert (target / "data" / "week.pdf").read_bytes().startswith(b"%PDF")
        # the installed systemd units are valid for this systemd
        units = []
        for unit in sorted((bundle / "deploy").glob("service-pulse*")):
            text = unit.read_text()
            for key, value in {
                "@PREFIX@": target / "opt",
                "@DATA@": target / "data",
                "@CONFIG@": target / "etc",
                "@LOGS@": target / "logs",
                "@BACKUPS@": target / "backups",
                "@USER@": USER,
            }.items():
                text = text.replace(key, str(value))
            (tmp_path / unit.name).write_text(text)
            units.append(str(tmp_path / unit.name))
        if shutil.which("systemd-analyze"):
            verify = subprocess.run(
                ["systemd-analyze", "verify", *units], capture_output=True, text=True, check=False
            )
            assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr
    finally:
        subprocess.run(["userdel", USER], capture_output=True, check=False)
        subprocess.run(["groupdel", USER], capture_output=True, check=False)
    install = next(
        line.split()[1] for line in inside.stdout.splitlines() if line.startswith("install_seconds")
    )
    print(
        f"\nbundle {archive.name}: {size_mb:.0f} MB, {len(wheels)} wheels; built in "
        f"{build_seconds:.0f} s; install {float(install):.1f} s; install + demo + PDF + serve "
        f"offline {offline_seconds:.0f} s"
    )
