"""Plumbing shared by the fake social APIs: a threaded HTTP server on 127.0.0.1 that counts
requests, keeps a rate-limit window on an injected clock, and fails requests on demand."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from triage.clock import FrozenClock


@dataclass
class Window:
    """One rate-limit window: ``limit`` requests until ``reset`` (clock time)."""

    clock: FrozenClock
    limit: int = 1000
    length: timedelta = timedelta(minutes=15)
    used: int = 0
    reset: datetime | None = None

    def take(self) -> bool:
        """Count one request; False when the window is already spent (answer 429)."""
        now = self.clock.now()
        if self.reset is None or now >= self.reset:
            self.reset, self.used = now + self.length, 0
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        """Requests left in the window."""
        return max(0, self.limit - self.used)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class FakeBase:
    """Shared plumbing: a threaded server, a request log, injected failures."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.fail_next: list[int | str] = []
        self.fail_on: dict[int, int | str] = {}
        """Fail the request with this 1-based number (counting every request served)."""
        self.auth: list[str] = []
        self.served_429 = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._dispatch(self, "GET")

            def do_POST(self) -> None:
                fake._dispatch(self, "POST")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, path_part: str) -> int:
        """How many requests of ``method`` had ``path_part`` in their path."""
        return sum(1 for m, p, _ in self.requests if m == method and path_part in p)

    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(h.path)
        query = parse_qs(url.query)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, url.path, query))
            self.auth.append(h.headers.get("Authorization", ""))
            failure = self.fail_on.pop(len(self.requests), None)
            if failure is None and self.fail_next:
                failure = self.fail_next.pop(0)
            if failure is not None:
                if failure == "malformed":
                    return self._send(h, 200, b'{"data": [{"id": "1", "te', {})
                if failure == 429:
                    self.served_429 += 1
                    return self._send(h, 429, json.dumps(self.error_body(429)).encode(),
                                      self.limit_headers(force_zero=True))
                return self._send(h, int(failure), json.dumps(self.error_body(int(failure)))
                                  .encode(), {})
            status, payload, headers = self.handle(method, url.path, query, body, h.headers)
            if status == 429:
                self.served_429 += 1
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self._send(h, status, data, headers)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, data: bytes,
              headers: dict[str, str]) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    # subclasses
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        return {"title": "error", "status": status}

    def limit_headers(self, force_zero: bool = False) -> dict[str, str]:
        return {}
