"""Serving the review page with uvicorn in a thread, stopped by the daemon's stop event."""

from __future__ import annotations

import logging
import threading
from typing import Any

import uvicorn

from triage.errors import ConfigError

log = logging.getLogger(__name__)


class WebServer:
    """uvicorn in a background thread; ``stop()`` (or the app's stop event) ends it."""

    def __init__(self, asgi: Any, host: str, port: int, stop: threading.Event) -> None:
        # proxy_headers off: uvicorn would believe X-Forwarded-For from loopback; the app
        # reads it only from [web] trusted_proxies (triage.web.clientaddr)
        self.config = uvicorn.Config(asgi, host=host, port=port, log_level="warning",
                                     access_log=False, lifespan="off", server_header=False,
                                     proxy_headers=False, forwarded_allow_ips="")
        self.server = uvicorn.Server(self.config)
        self.stop_event = stop
        self._thread = threading.Thread(target=self.server.run, name="web", daemon=True)
        self._watch = threading.Thread(target=self._stop_on_event, name="web-stop",
                                       daemon=True)

    def _stop_on_event(self) -> None:
        self.stop_event.wait()
        self.server.should_exit = True

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; return once the socket accepts connections.

        Raises ConfigError when uvicorn did not start in ``timeout`` seconds (port taken).
        """
        self._thread.start()
        self._watch.start()
        started = threading.Event()

        def poll() -> None:
            if self.server.started or not self._thread.is_alive():
                started.set()
            else:
                threading.Timer(0.02, poll).start()

        poll()
        started.wait(timeout)
        if not self.server.started:
            raise ConfigError(f"review page did not start on {self.config.host}:"
                              f"{self.config.port}", key="web.port",
                              fix="pick a free port or stop what is using it")
        log.info("review page at %s", self.url)

    @property
    def url(self) -> str:
        """The page's base URL."""
        return f"http://{self.config.host}:{self.config.port}"

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self._thread.join(timeout=10)
