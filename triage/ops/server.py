"""Serve the ops router on its own (``[ops] listen``), in a thread of the daemon."""

from __future__ import annotations

import logging
import threading

import uvicorn
from fastapi import APIRouter, FastAPI

from triage.errors import ConfigError

log = logging.getLogger(__name__)


class OpsServer:
    """A small uvicorn server for ``/healthz`` and ``/metrics``; ``start`` and ``stop``."""

    def __init__(self, listen: str, router: APIRouter) -> None:
        host, _, port = listen.rpartition(":")
        app = FastAPI(title="triage ops", docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(router)
        self.app = app
        self.listen = listen
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=int(port),
                                                    log_level="warning", access_log=False,
                                                    lifespan="off", proxy_headers=False,
                                                    forwarded_allow_ips=""))
        self.thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; raises ConfigError when the address cannot be bound."""
        self.thread = threading.Thread(target=self.server.run, name="ops-http", daemon=True)
        self.thread.start()
        ready = threading.Event()
        # uvicorn flips ``started`` once bound; poll it with a bounded deadline
        for _ in range(int(timeout / 0.05)):
            if self.server.started or not self.thread.is_alive():
                break
            ready.wait(0.05)
        if not self.server.started:
            raise ConfigError(f"cannot serve /healthz and /metrics on {self.listen}",
                              key="ops.listen", fix="pick a free host:port, or set it to ''")
        log.info("serving /healthz and /metrics on http://%s", self.listen)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
