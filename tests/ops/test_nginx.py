"""The deployment's nginx example, run for real with its addresses pointed at loopback: HTTPS,
the single sign-on user passed as X-Remote-User, a client-sent copy never reaching the app,
/healthz without login. The app behind it is a stand-in that echoes the headers it got."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.ops.served import free_port

NGINX = "/usr/sbin/nginx"
EXAMPLE = ROOT / "docs" / "deploy" / "nginx-service-pulse.conf"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists() or shutil.which("openssl") is None,
    reason="nginx and openssl (installed by .ci/sysdeps.sh)",
)


class _Echo(BaseHTTPRequestHandler):
    """The app's stand-in: answers with the headers nginx sent it."""

    def do_GET(self):
        body = json.dumps([[k, v] for k, v in self.headers.items()]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Gateway(BaseHTTPRequestHandler):
    """The county's SSO gateway: a user for the cookie sso=zhangsan, else 401."""

    def do_GET(self):
        cookie = self.headers.get("Cookie") or ""
        self.send_response(200 if "sso=zhangsan" in cookie else 401)
        if "sso=zhangsan" in cookie:
            self.send_header("X-Remote-User", "zhangsan")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(handler) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def proxy(tmp_path):
    app, app_port = _serve(_Echo)
    gateway, gateway_port = _serve(_Gateway)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    http_port, https_port = free_port(), free_port()
    site = EXAMPLE.read_text(encoding="utf-8")
    for old, new in {
        "server 127.0.0.1:8050;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server_name pulse.example.gov.cn;": "server_name localhost;",
        "/etc/ssl/service-pulse/fullchain.pem": str(cert),
        "/etc/ssl/service-pulse/privkey.pem": str(key),
        "/var/log/nginx/": f"{tmp_path}/",
        "http://sso-gateway.example.gov.cn/verify": f"http://127.0.0.1:{gateway_port}/verify",
    }.items():
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = "".join(
        f"    {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/nginx-error.log;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log off;\n{temp}    include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"https://localhost:{https_port}"
    deadline = time.time() + 20
    while True:
        try:
            requests.get(base + "/healthz", verify=str(cert), timeout=5)
            break
        except requests.ConnectionError:
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read()
            time.sleep(0.1)
    try:
        yield base, f"http://127.0.0.1:{http_port}", str(cert)
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()
        app.shutdown()
        gateway.shutdown()
        app.server_close()
        gateway.server_close()


def _headers(resp: requests.Response) -> dict[str, list[str]]:
    assert resp.status_code == 200, resp.status_code
    seen: dict[str, list[str]] = {}
    for name, value in resp.json():
        seen.setdefault(name.lower(), []).append(value)
    return seen


def test_the_user_comes_from_single_sign_on_never_from_the_client(proxy):
    base, plain, cert = proxy
    forged = {"X-Remote-User": "admin", "X_Remote_User": "admin", "X-Forwarded-For": "10.9.9.9"}
    got = _headers(
        requests.get(base + "/", headers=forged, cookies={"sso": "zhangsan"}, verify=cert)
    )
    assert got["x-remote-user"] == ["zhangsan"]
    assert "x_remote_user" not in got  # underscore headers are dropped
    assert got["x-forwarded-for"] == ["127.0.0.1"]  # replaced, not appended
    assert got["x-forwarded-proto"] == ["https"]

    # no SSO session: sent to the gateway's login, the app never sees the request
    resp = requests.get(base + "/", headers=forged, verify=cert, allow_redirects=False)
    assert resp.status_code == 302 and "/login?service=" in resp.headers["Location"]

    # /healthz needs no login, and a forged user does not pass with it
    got = _headers(requests.get(base + "/healthz", headers=forged, verify=cert))
    assert "x-remote-user" not in got

    # plain HTTP is sent to HTTPS; no version in nginx's Server header
    resp = requests.get(plain + "/", allow_redirects=False, timeout=10)
    assert resp.status_code == 301 and resp.headers["Location"].startswith("https://")
    assert resp.headers["Server"] == "nginx"
