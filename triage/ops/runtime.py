"""Operations wiring of one daemon process: its owner identity, leases, claims, metrics and
the optional /healthz + /metrics server. Built by the composition root from its parts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from triage.clock import Clock
from triage.errors import MissingSecretError
from triage.ops.metrics import OpsMetrics
from triage.store.ownership import Claims, LeasedSource, Leases, Owner

if TYPE_CHECKING:
    from triage.config import OpsSettings
    from triage.ops.server import OpsServer
    from triage.store import Store
    from triage.store.conversations import Counts

log = logging.getLogger(__name__)


class OpsRuntime:
    """Everything a daemon needs to share a store with other daemons and be watched."""

    def __init__(self, settings: OpsSettings, store: Store, clock: Clock,
                 environ: Mapping[str, str] | None = None,
                 conversations: Callable[[], Counts] | None = None) -> None:
        """``conversations`` returns the counts of ``triage.deadlines.states`` (metrics)."""
        self.settings = settings
        self.conversations = conversations
        self.store = store
        self.clock = clock
        self.environ = environ or {}
        self.server: OpsServer | None = None

    @property
    def metrics_token(self) -> str:
        """The token ``/metrics`` requires ('' when ``metrics_token_env`` is not set).

        Raises MissingSecretError when the variable is named but not set: an open /metrics
        must never be the result of a typo.
        """
        name = self.settings.metrics_token_env
        if not name:
            return ""
        value = self.environ.get(name, "")
        if not value:
            raise MissingSecretError(f"environment variable {name} is not set",
                                     key="ops.metrics_token_env",
                                     fix=f"export {name} or put it in .env")
        return value

    @cached_property
    def owner(self) -> Owner:
        """This process as a lease and claim owner."""
        return Owner.for_this_process(self.settings.instance)

    @cached_property
    def leases(self) -> Leases:
        """Source and singleton-job leases of this process."""
        return self.store.leases(self.owner, self.settings.lease_ttl)

    @cached_property
    def claims(self) -> Claims:
        """Message claims of this process."""
        return self.store.claims(self.owner, self.settings.claim_ttl)

    @cached_property
    def metrics(self) -> OpsMetrics:
        """This process's Prometheus metrics."""
        return OpsMetrics(self.store.status, self.clock, self.conversations)

    def leased(self, source: Any) -> LeasedSource:
        """Wrap ``source`` so that it is only fetched under this daemon's lease."""
        return LeasedSource(source, self.leases)

    def holds(self, source: Any) -> bool:
        """Take or renew this daemon's lease on ``source``; False when another daemon has it."""
        self.store.ensure_source(source.name, source.type)  # raises StoreError
        return self.leases.acquire_source(source.name)

    def router(self, scheduler_running: Callable[[], bool]) -> Any:
        """The /healthz + /metrics router."""
        from triage.ops.health import Health, ops_router
        from triage.store.ops_reads import OpsReads

        health = Health(self.store.status, OpsReads(self.store.engine, self.clock),
                        scheduler_running, self.clock)
        return ops_router(self.metrics, health, metrics_token=self.metrics_token)

    def start_server(self, scheduler_running: Callable[[], bool]) -> None:
        """Serve /healthz and /metrics when ``[ops] listen`` is set."""
        listen = self.settings.listen
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
