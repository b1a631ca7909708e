"""Fixtures of the deadline tests: a local HTTP webhook receiver and an aiosmtpd SMTP sink,
both on 127.0.0.1 with a free port, stopped after the test."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Receiver:
    """What the webhook receiver got; ``fail_next`` makes the next N requests answer 500."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    """A real HTTP server that records every JSON POST."""
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with rec.lock:
                if rec.fail_next > 0:
                    rec.fail_next -= 1
                    status = 500
                else:
                    rec.bodies.append(json.loads(body))
                    rec.headers.append(dict(self.headers))
                    status = 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield rec
    server.shutdown()
    server.server_close()


@dataclass
class Sink:
    """Mail the SMTP sink received: (mail_from, rcpt_tos, raw bytes)."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[Sink]:
    """A real SMTP server (aiosmtpd) that keeps every message."""
    from aiosmtpd.controller import Controller

    sink = Sink(port=_free_port())
    ctl = Controller(sink, hostname=sink.host, port=sink.port)
    ctl.start()
    yield sink
    ctl.stop()
