"""``/healthz`` and ``/metrics``: a FastAPI router the review app includes, or served alone.

``/healthz`` answers 200 only when the store answers a query and the scheduler is running;
otherwise 503 with what is wrong, so a load balancer or systemd watchdog can act on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from triage.ops.metrics import OpsMetrics
from triage.store.status import StatusReads

log = logging.getLogger(__name__)


@dataclass
class Health:
    """What ``/healthz`` checks: the store (``store.status``) and whether the scheduler runs."""

    store: StatusReads
    scheduler_running: Callable[[], bool]

    def check(self) -> dict[str, str]:
        """Return ``{"store": ..., "scheduler": ...}``; each value is "ok" or the problem."""
        out: dict[str, str] = {}
        try:
            self.store.ping()
            out["store"] = "ok"
        except Exception as exc:
            out["store"] = f"unreachable: {type(exc).__name__}"
        try:
            out["scheduler"] = "ok" if self.scheduler_running() else "not running"
        except Exception as exc:
            out["scheduler"] = f"error: {type(exc).__name__}"
        return out


def ops_router(metrics: OpsMetrics, health: Health) -> APIRouter:
    """Return a router with ``GET /healthz`` and ``GET /metrics``."""
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        checks = health.check()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks},
                            status_code=200 if ok else 503)

    @router.get("/metrics")
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
