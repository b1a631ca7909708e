"""``/healthz`` and ``/metrics``: a FastAPI router the review app includes, or served alone.

``/healthz`` says only ``up`` (200) or ``down`` (503) and the processing lag: the age in
seconds of the oldest message still waiting to be processed (0 when none waits). It is up when
the store answers and the scheduler runs. What is wrong when it is down goes to the log, not
to whoever can reach the port.

``/metrics`` is the Prometheus text. When ``[ops] metrics_token_env`` names a variable, it
answers only requests carrying ``Authorization: Bearer <that token>`` (401 otherwise).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from triage.clock import Clock
from triage.errors import StoreError
from triage.ops.metrics import OpsMetrics
from triage.store.ops_reads import OpsReads
from triage.store.status import StatusReads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthReport:
    """The outcome of one check: up or not, the lag, and the problems (for the log only)."""

    up: bool
    lag_seconds: int | None
    problems: tuple[str, ...] = ()

    def body(self) -> dict[str, object]:
        """What ``/healthz`` shows: ``{"status": "up"|"down", "lag_seconds": N|null}``."""
        return {"status": "up" if self.up else "down", "lag_seconds": self.lag_seconds}


@dataclass
class Health:
    """What ``/healthz`` checks: the store answers (``store.status``) and the scheduler runs;
    and how far behind processing is (``lag``)."""

    store: StatusReads
    lag: OpsReads
    scheduler_running: Callable[[], bool]
    clock: Clock
    _last_problems: tuple[str, ...] = field(default=(), init=False, repr=False)

    def check(self) -> HealthReport:
        """Return the report; logs a warning when the problems change (not on every probe)."""
        problems: list[str] = []
        lag: int | None = None
        try:
            self.store.ping()
            oldest = self.lag.oldest_waiting()
            lag = 0 if oldest is None else max(0, int((self.clock.now() - oldest)
                                                      .total_seconds()))
        except StoreError as exc:
            problems.append(f"store: {exc}")
        try:
            if not self.scheduler_running():
                problems.append("scheduler: not running")
        except Exception as exc:  # a broken probe is a down process, never a 500
            problems.append(f"scheduler: {type(exc).__name__}: {exc}")
        report = HealthReport(up=not problems, lag_seconds=lag, problems=tuple(problems))
        if report.problems != self._last_problems:
            if report.problems:
                log.warning("/healthz: down: %s", "; ".join(report.problems))
            else:
                log.info("/healthz: up again")
            self._last_problems = report.problems
        return report


def bearer_ok(authorization: str | None, token: str) -> bool:
    """True when ``authorization`` is ``Bearer <token>`` (compared in constant time)."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode())


def ops_router(metrics: OpsMetrics, health: Health, *, metrics_token: str = "") -> APIRouter:
    """Return a router with ``GET /healthz`` and ``GET /metrics`` (the latter behind
    ``metrics_token`` when it is not empty)."""
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        report = health.check()
        return JSONResponse(report.body(), status_code=200 if report.up else 503,
                            headers={"Cache-Control": "no-store"})

    @router.get("/metrics")
    def prometheus(authorization: Annotated[str | None, Header()] = None) -> Response:
        if metrics_token and not bearer_ok(authorization, metrics_token):
            return JSONResponse({"detail": "a bearer token is required for /metrics"},
                                status_code=401,
                                headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    return router
