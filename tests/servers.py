"""Real servers on loopback for tests: an SMTP server (aiosmtpd) and an HTTP server collecting
JSON posts (Apprise's ``json://``). The fixtures ``smtp`` and ``hook`` are in tests/conftest.py. Also the free
port and the processes still running for a home, which the tests of served processes share."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def processes_of(home: Path) -> list[str]:
    """Live processes whose environment names ``home`` as their GONGKAI_HOME (or PREFECT_HOME under it), as
    ``"PID: command line"``."""
    marks = (f"GONGKAI_HOME={home}".encode(), f"PREFECT_HOME={home}".encode())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(var == marks[0] or var.startswith(marks[1]) for var in env):
            found.append(f"{entry.name}: {cmd[:160]}")
    return found


@dataclass
class Mail:
    """One message as the SMTP server received it."""

    to: list[str]
    subject: str
    text: str
    html: str | None


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.delay:
            import asyncio

            await asyncio.sleep(self.sink.delay)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        plain = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        with self.sink.lock:
            self.sink.messages.append(
                Mail(
                    to=list(envelope.rcpt_tos),
                    subject=str(msg["subject"]),
                    text=plain.get_content() if plain is not None else "",
                    html=html.get_content() if html is not None else None,
                )
            )
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    return AuthResult(success=auth_data.login == b"user" and auth_data.password == b"S3cretPw")


@dataclass
class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives; it can be stopped and started again on the
    same port (a mail server that is down, then back). AUTH is offered without TLS (loopback test only)."""

    port: int = field(default_factory=free_port)
    messages: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            _Collect(self),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_authenticate,
            auth_require_tls=False,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self, to: str, *, credentials: str = "") -> str:
        auth = f"{credentials}@" if credentials else ""
        return f"mailto://{auth}127.0.0.1:{self.port}?from=gongkai@example.com&to={to}"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.messages if address in m.to]


class HookServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 keeping every JSON body POSTed to it (Apprise's ``json://`` plugin)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.posts: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server_address[1]}/"


class _HookHandler(BaseHTTPRequestHandler):
    server: HookServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posts.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass
