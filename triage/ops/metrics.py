"""Prometheus metrics of a triage daemon.

Two kinds: what this process observed (processing latency, messages processed by source and
category), and what the store says at scrape time (messages by source, category and status,
deadline states, source failures and leases, the outbox when that table exists). The store
figures are the same whichever daemon is scraped, so one scrape target is enough.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from triage.clock import Clock
from triage.errors import StoreError
from triage.models import Classification
from triage.store.conversations import Counts
from triage.store.status import StatusReads

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class StoreCollector:
    """Reads gauges from the store on every scrape; a store that is down yields store_up 0."""

    def __init__(self, reads: StatusReads,
                 conversations: Callable[[], Counts] | None = None) -> None:
        self.reads = reads
        self.conversations = conversations

    def collect(self) -> Iterator[Metric]:
        """Yield the store's gauges (called by prometheus_client on each scrape)."""
        up = GaugeMetricFamily("triage_store_up", "1 when the store answered this scrape.")
        try:
            families = self._families()
        except StoreError as exc:
            log.warning("metrics: store unreachable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list[Metric]:
        msgs = GaugeMetricFamily("triage_messages", "Stored messages by source, category "
                                 "and status.", labels=["source", "category", "status"])
        states = GaugeMetricFamily(
            "triage_deadlines", "Conversations by state (open, waiting, ok, due_soon, "
            "breached) and response deadlines met (met), as the queue and dashboard count "
            "them.", labels=["state"])
        fails = GaugeMetricFamily("triage_source_consecutive_failures",
                                  "Polls of a source that failed in a row.", labels=["source"])
        last_ok = GaugeMetricFamily("triage_source_last_success_timestamp_seconds",
                                    "Unix time of a source's last good poll.", labels=["source"])
        leased = GaugeMetricFamily("triage_source_leased", "1 when a daemon holds the source's "
                                   "lease.", labels=["source", "owner"])
        out: list[Metric] = [msgs, states, fails, last_ok, leased]
        for n in self.reads.message_counts():
            msgs.add_metric([n.source, n.category, n.status], n.count)
        if self.conversations is not None:
            for state, count in self.conversations().as_dict().items():
                states.add_metric([state], count)
        for row in self.reads.source_health():
            fails.add_metric([row["name"]], int(row["failures"] or 0))
            if row["last_success_at"] is not None:
                last_ok.add_metric([row["name"]], row["last_success_at"].timestamp())
            leased.add_metric([row["name"], row["lease_owner"] or ""],
                              1 if row["lease_owner"] else 0)
        outbox = self.reads.outbox_counts()
        if outbox is not None:  # the outbox size by status
            fam = GaugeMetricFamily("triage_outbox", "Replies in the outbox by status.",
                                    labels=["status"])
            for status, count in outbox.items():
                fam.add_metric([status], count)
            out.append(fam)
        return out


class OpsMetrics:
    """The metrics registry of one daemon; ``observe`` is a pipeline after-processing step."""

    def __init__(self, reads: StatusReads, clock: Clock,
                 conversations: Callable[[], Counts] | None = None) -> None:
        """``reads`` are the store's status reads (``store.status``); ``conversations``
        returns the counts of ``triage.deadlines.states`` (the ``triage_deadlines`` gauge)."""
        self.clock = clock
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "triage_processing_latency_seconds",
            "Time from a message being stored to its classification, deadline and draft.",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.processed = Counter(
            "triage_processed", "Messages this daemon processed, by source and category.",
            ["source", "category"], registry=self.registry)
        self.registry.register(StoreCollector(reads, conversations))  # type: ignore[arg-type]

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
