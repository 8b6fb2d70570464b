"""Receivers the management tests start on 127.0.0.1: a group-robot webhook (企业微信 / 钉钉
answer {"errcode": 0} when they take a message) and a small SMTP server. Both can be told to
fail their first N requests, to show that a failed delivery is retried."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Webhook:
    """POSTs are recorded as (path, query, json body). fail_first: answer that many with
    HTTP 502 (mode "http") or with errcode 310000 (mode "errcode")."""

    def __init__(self, fail_first: int = 0, mode: str = "http"):
        self.posts: list[tuple[str, dict, dict]] = []
        self.failed = 0
        self.fail_first, self.mode = fail_first, mode
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                parts = urlsplit(self.path)
                if receiver.failed < receiver.fail_first:
                    receiver.failed += 1
                    if receiver.mode == "http":
                        self.send_response(502)
                        self.end_headers()
                        return
                    self._answer({"errcode": 310000, "errmsg": "keywords not in content"})
                    return
                receiver.posts.append((parts.path, parse_qs(parts.query), body))
                self._answer({"errcode": 0, "errmsg": "ok"})

            def _answer(self, value: dict) -> None:
                data = json.dumps(value).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        srv = self.server
        srv.connections += 1
        if srv.connections <= srv.fail_first:
            self.reply("421 4.3.2 busy, try again later")
            return
        self.reply("220 test.local ESMTP")
        sender, rcpts = None, []
        while line := self.rfile.readline():
            cmd = line.decode("ascii", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test.local")
                self.reply("250 8BITMIME")
            elif verb in ("HELO", "RSET", "NOOP"):
                self.reply("250 OK")
            elif cmd.upper().startswith("MAIL FROM:"):
                sender = cmd[10:].strip().split()[0].strip("<>")
                self.reply("250 OK")
            elif cmd.upper().startswith("RCPT TO:"):
                rcpts.append(cmd[8:].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(part[1:] if part.startswith(b"..") else part)
                srv.messages.append((sender, rcpts, b"".join(data)))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class Smtp:
    def __init__(self, fail_first: int = 0):
        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), _SmtpHandler)
        self.server.connections, self.server.fail_first, self.server.messages = 0, fail_first, []
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def messages(self):
        return self.server.messages

    @property
    def connections(self) -> int:
        return self.server.connections

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
