"""Operations wiring of one daemon process: its owner identity, leases, claims, metrics,
acknowledgements and the optional /healthz + /metrics server. Built by ``App.ops``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from triage.ops.metrics import OpsMetrics
from triage.store.ownership import Claims, LeasedSource, Leases, Owner

if TYPE_CHECKING:
    from triage.ops.server import OpsServer
    from triage.services import App

log = logging.getLogger(__name__)


class OpsRuntime:
    """Everything a daemon needs to share a store with other daemons and be watched."""

    def __init__(self, app: App, sender: Any = None) -> None:
        self.app = app
        self._sender = sender
        self.server: OpsServer | None = None

    @cached_property
    def owner(self) -> Owner:
        """This process as a lease and claim owner."""
        return Owner.for_this_process(self.app.settings.ops.instance)

    @cached_property
    def leases(self) -> Leases:
        """Source and singleton-job leases of this process."""
        return self.app.store.leases(self.owner, self.app.settings.ops.lease_ttl)

    @cached_property
    def claims(self) -> Claims:
        """Message claims of this process."""
        return self.app.store.claims(self.owner, self.app.settings.ops.claim_ttl)

    @cached_property
    def metrics(self) -> OpsMetrics:
        """This process's Prometheus metrics."""
        return OpsMetrics(self.app.store.status, self.app.clock)

    @cached_property
    def acknowledger(self) -> Any:
        """The acknowledger, or None when no ``[[acknowledgements]]`` rule is enabled."""
        rules = [r for r in self.app.settings.acknowledgements if r.enabled]
        if not rules:
            return None
        from triage.drafting.acks import Acknowledger
        from triage.send.outbox import OutboxSender

        # queued into the outbox, which sends them with the configured senders and retries
        sender = self._sender if self._sender is not None else OutboxSender(self.app.outbox)
        return Acknowledger(self.app.store, sender, rules, self.app.deadlines, self.app.clock,
                            team=self.app.settings.drafting.team_name)

    def observers(self) -> list[Callable[[dict, Any], Any]]:
        """The pipeline's after-processing steps: metrics, then acknowledgements."""
        out: list[Callable[[dict, Any], Any]] = [self.metrics.observe]
        if self.acknowledger is not None:
            out.append(self.acknowledger)
        return out

    def leased(self, source: Any) -> LeasedSource:
        """Wrap ``source`` so that it is only fetched under this daemon's lease."""
        return LeasedSource(source, self.leases)

    def holds(self, source: Any) -> bool:
        """Take or renew this daemon's lease on ``source``; False when another daemon has it."""
        self.app.store.ensure_source(source.name, source.type)  # raises StoreError
        return self.leases.acquire_source(source.name)

    def router(self, scheduler_running: Callable[[], bool]) -> Any:
        """The /healthz + /metrics router."""
        from triage.ops.health import Health, ops_router

        return ops_router(self.metrics, Health(self.app.store.status, scheduler_running))

    def start_server(self, scheduler_running: Callable[[], bool]) -> None:
        """Serve /healthz and /metrics when ``[ops] listen`` is set."""
        listen = self.app.settings.ops.listen
        if not listen:
            return
        from triage.ops.server import OpsServer

        self.server = OpsServer(listen, self.router(scheduler_running))
        self.server.start()

    def shutdown(self) -> None:
        """Stop the server and give up leases and claims (clean stop)."""
        if self.server is not None:
            self.server.stop()
        try:
            self.leases.release_all()
            self.claims.release()
        except Exception as exc:  # the store may be down; leases then simply expire
            log.warning("could not release leases on shutdown: %s", exc)
