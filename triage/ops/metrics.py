"""Prometheus metrics of a triage daemon.

Two kinds: what this process observed (processing latency, messages processed by source and
category), and what the store says at scrape time (messages by source, category and status,
deadline states, source failures and leases, the outbox when that table exists). The store
figures are the same whichever daemon is scraped, so one scrape target is enough.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, and_, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from triage.clock import Clock
from triage.models import Classification
from triage.store import schema as s

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class StoreCollector:
    """Reads gauges from the store on every scrape; a store that is down yields store_up 0."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """Yield the store's gauges (called by prometheus_client on each scrape)."""
        up = GaugeMetricFamily("triage_store_up", "1 when the store answered this scrape.")
        try:
            families = self._families()
        except SQLAlchemyError as exc:
            log.warning("metrics: store unreachable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list[Metric]:
        m, cl, d, src = s.messages, s.classifications, s.deadlines, s.sources
        msgs = GaugeMetricFamily("triage_messages", "Stored messages by source, category "
                                 "and status.", labels=["source", "category", "status"])
        states = GaugeMetricFamily("triage_deadlines", "Response deadlines by state.",
                                   labels=["state"])
        fails = GaugeMetricFamily("triage_source_consecutive_failures",
                                  "Polls of a source that failed in a row.", labels=["source"])
        last_ok = GaugeMetricFamily("triage_source_last_success_timestamp_seconds",
                                    "Unix time of a source's last good poll.", labels=["source"])
        leased = GaugeMetricFamily("triage_source_leased", "1 when a daemon holds the source's "
                                   "lease.", labels=["source", "owner"])
        out: list[Metric] = [msgs, states, fails, last_ok, leased]
        with self.engine.connect() as c:
            q = (select(m.c.source, func.coalesce(cl.c.category, "none"), m.c.status,
                        func.count())
                 .select_from(m)
                 .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
                 .group_by(m.c.source, func.coalesce(cl.c.category, "none"), m.c.status))
            for source, category, status, n in c.execute(q):
                msgs.add_metric([source, category, status], int(n))
            for state, n in c.execute(select(d.c.state, func.count()).group_by(d.c.state)):
                states.add_metric([state], int(n))
            for row in c.execute(select(src.c.name, src.c.failures, src.c.last_success_at,
                                        src.c.lease_owner)):
                fails.add_metric([row.name], int(row.failures or 0))
                if row.last_success_at is not None:
                    ts = row.last_success_at
                    if ts.tzinfo is None:
                        from datetime import UTC

                        ts = ts.replace(tzinfo=UTC)
                    last_ok.add_metric([row.name], ts.timestamp())
                leased.add_metric([row.name, row.lease_owner or ""],
                                  1 if row.lease_owner else 0)
            outbox = self._outbox(c)
            if outbox is not None:
                out.append(outbox)
        return out

    def _outbox(self, c: Any) -> Metric | None:
        """The outbox size by status, if the outbox table exists (built by the sender)."""
        insp = inspect(c)
        if not insp.has_table("outbox"):
            return None
        cols = {col["name"] for col in insp.get_columns("outbox")}
        fam = GaugeMetricFamily("triage_outbox", "Replies in the outbox by status.",
                                labels=["status"])
        if "status" in cols:
            for status, n in c.execute(text("SELECT status, COUNT(*) FROM outbox "
                                            "GROUP BY status")):
                fam.add_metric([str(status)], int(n))
        else:
            fam.add_metric(["all"], int(c.execute(text("SELECT COUNT(*) FROM outbox"))
                                        .scalar() or 0))
        return fam


class OpsMetrics:
    """The metrics registry of one daemon; ``observe`` is a pipeline after-processing step."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.clock = clock
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "triage_processing_latency_seconds",
            "Time from a message being stored to its classification, deadline and draft.",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.processed = Counter(
            "triage_processed", "Messages this daemon processed, by source and category.",
            ["source", "category"], registry=self.registry)
        self.registry.register(StoreCollector(engine))  # type: ignore[arg-type]

    def observe(self, row: dict[str, Any], cl: Classification | None) -> None:
        """Count one processed message and its latency since ingestion."""
        category = cl.category if cl is not None else ("automatic" if row.get("is_auto")
                                                        else "none")
        self.processed.labels(row.get("source", ""), category).inc()
        ingested = row.get("ingested_at")
        if ingested is not None:
            self.latency.observe(max(0.0, (self.clock.now() - ingested).total_seconds()))

    def render(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)
