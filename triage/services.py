"""Composition root: builds every collaborator from the settings, once, and wires them."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from triage.backoff import backoff_delay
from triage.clock import Clock, SystemClock
from triage.config import Settings
from triage.deadlines.policy import DeadlinePolicy
from triage.deadlines.sweep import DeadlineSweeper
from triage.drafting.render import Renderer
from triage.errors import LeaseLost, RateLimited, SourceAuthError, StoreError, TriageError
from triage.ops.runtime import OpsRuntime
from triage.pipeline import Pipeline, RunStats
from triage.scheduler import Daemon
from triage.sources.base import Source, build_source
from triage.sources.pause import active_pause, record_pause
from triage.store import Store

log = logging.getLogger(__name__)


class App:
    """One configured triage instance; collaborators are built lazily and reused."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 environ: Mapping[str, str] | None = None, model_path: str | None = None,
                 stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.environ = dict(os.environ if environ is None else environ)
        self.model_path = model_path
        self.stop = stop or threading.Event()
        self.push_watchers: list[Any] = []
        """Push watchers (IMAP IDLE threads) started by :meth:`run_daemon`."""

    @cached_property
    def store(self) -> Store:
        """The store, migrated."""
        return Store.open(self.settings.database_url(self.environ), self.clock)

    @cached_property
    def classifier(self) -> Any:
        """The classifier (trained from the bundled corpus on first use)."""
        from triage.modelstore import active_model, load_classifier

        return load_classifier(self.settings, self.model_path,
                               active=active_model(self.settings, self.store, self.model_path))

    @cached_property
    def renderer(self) -> Renderer:
        """The draft renderer."""
        d = self.settings.drafting
        return Renderer(default_language=d.default_language,
                        template_dir=self.settings.resolve_path(d.template_dir)
                        if d.template_dir else None,
                        team_name=d.team_name, agent_name=d.agent_name,
                        customer_timezone=d.customer_timezone,
                        language_timezones=d.language_timezones,
                        social_max_length=d.social_max_length)

    @cached_property
    def deadlines(self) -> DeadlinePolicy:
        """The deadline policy, with the configured business calendars."""
        from triage.deadlines.policy import build_calendars

        d = self.settings.deadlines
        return DeadlinePolicy(d, build_calendars(d, self.settings.resolve_path))

    @cached_property
    def sweeper(self) -> DeadlineSweeper:
        """The deadline sweep with its notifier (webhook, e-mail digest)."""
        from triage.deadlines.notify import build_notifier
        from triage.store.deadline_store import DeadlineStore

        dstore = DeadlineStore(self.store, (self.settings.drafting.support_address,))
        notifier = build_notifier(dstore, self.clock, self.settings.notifications, self.environ)
        return DeadlineSweeper(self.deadlines, dstore, notifier, self.clock, self.stop)

    @cached_property
    def pipeline(self) -> Pipeline:
        """The pipeline wired to this app's collaborators."""
        own = (self.settings.drafting.support_address.lower(),)
        return Pipeline(self.store, self.classifier, self.renderer, self.deadlines, self.clock,
                        batch_size=self.settings.scheduler.batch_size, own_addresses=own,
                        stop=self.stop, claims=self.ops.claims,
                        after_processed=self.ops.observers())

    @cached_property
    def ops(self) -> OpsRuntime:
        """Leases, claims, metrics, acknowledgements of this process (triage.ops.runtime)."""
        return OpsRuntime(self)

    @cached_property
    def outbox(self) -> Any:
        """The outbox of approved replies, with the senders ``[send]`` asks for."""
        from triage.send.factory import build_outbox

        return build_outbox(self)

    def start_web(self, scheduler_running: Any = None) -> Any:
        """Serve the review page in a thread until ``stop`` is set; return the server.

        ``scheduler_running`` tells ``/healthz`` whether this process's scheduler is up.
        """
        from triage.web.app import create_app
        from triage.web.server import WebServer

        server = WebServer(create_app(self, outbox=self.outbox,
                                      scheduler_running=scheduler_running),
                           self.settings.web.host,
                           self.settings.web.port, self.stop)
        server.start()
        return server

    def run_outbox_only(self) -> None:
        """Run just the outbox drain job until stopped (``triage web`` without the daemon)."""
        daemon = Daemon(self.stop)
        daemon.add_interval("outbox", self._guarded("outbox", self.outbox.drain),
                            self.settings.send.drain_interval)
        daemon.run_forever()

    def sources(self) -> list[Source]:
        """Build every enabled source."""
        return [self.ops.leased(build_source(s, self.environ, self.settings.resolve_path))
                for s in self.settings.sources if s.enabled]

    # -------------------------------------------------------------------- jobs
    def poll_source(self, source: Source) -> RunStats:
        """Poll one source; errors are recorded on the source and re-raised.

        A source whose rate budget is spent is paused (see ``triage.sources.pause``), not failed.
        """
        if active_pause(self.store, self.clock, source.name) is not None:
            log.info("source %s: paused (rate limit), not polled", source.name)
            source.close()
            return RunStats()
        try:
            stats = self.pipeline.poll(source)
            after_poll = getattr(source, "after_poll", None)  # IMAP write-back
            if after_poll is not None:
                after_poll(self.store, self.settings)
        except RateLimited as exc:
            record_pause(self.store, self.clock, source.name, exc)
            stats = RunStats()
        except TriageError as exc:
            try:
                self.store.ensure_source(source.name, source.type)
                self.store.record_source_result(source.name, str(exc))
            except StoreError as rec:  # the store itself is down: the log must say it
                log.error("cannot record the failure of source %s: %s", source.name, rec)
            raise
        finally:
            source.close()
        self.store.record_source_result(source.name, None)  # raises StoreError
        return stats

    def poll_all(self) -> dict[str, RunStats | str]:
        """Poll every source once; one failing source does not stop the others."""
        out: dict[str, RunStats | str] = {}
        for source in self.sources():
            try:
                if not self.ops.holds(source):
                    out[source.name] = "skipped: another daemon holds its lease"
                    continue
                out[source.name] = self.poll_source(source)
            except TriageError as exc:
                log.error("source %s failed: %s", source.name, exc)
                out[source.name] = f"error: {exc}"
        self.pipeline.process_pending()
        return out

    def sweep_deadlines(self) -> dict[str, int]:
        """Sweep every open deadline (replies seen, states, warnings, notices); return
        counts by new state. See ``triage.deadlines.sweep``."""
        return self.sweeper.sweep()

    def apply_retention(self, *, dry_run: bool = False) -> dict[str, int]:
        """Apply ``[retention]``: drop raw bytes older than ``raw_after``; return counts."""
        keep = self.settings.retention.raw_after
        if keep.total_seconds() <= 0:
            return {"raw_dropped": 0}
        n = self.store.purge_raw(self.clock.now() - keep, dry_run=dry_run)
        if n and not dry_run:
            log.info("retention: dropped the raw bytes of %d message(s) older than %s", n, keep)
        return {"raw_dropped": n}

    def run_daemon(self) -> None:
        """Run until stopped: one job per source plus the deadline sweep."""
        daemon = Daemon(self.stop)
        sched = self.settings.scheduler
        # Load the model and migrate before the first job, so failures show at start-up.
        _ = self.store, self.pipeline
        self.pipeline.process_pending()
        for cfg in self.settings.sources:
            if not cfg.enabled:
                continue
            source = self.ops.leased(build_source(cfg, self.environ, self.settings.resolve_path))
            job_id = f"poll:{cfg.name}"
            daemon.add_interval(job_id, self._poll_job(daemon, job_id, source),
                                cfg.poll_interval, sched.jitter)
            start_push = getattr(source, "start_push", None)  # IMAP IDLE wakes the poll early
            if start_push is not None:
                self.push_watchers += start_push(functools.partial(daemon.wake, job_id),
                                                 self.stop)
        # keep the sources this daemon holds between polls (a dead daemon stops renewing)
        daemon.add_interval("leases", self._guarded("leases", self.ops.leases.renew_held),
                            self.settings.ops.lease_ttl / 3)
        # jobs that must run once across all daemons sharing the store hold a job lease
        ttl = max(sched.sweep_interval * 3, self.settings.ops.lease_ttl)
        sweep = self.ops.leases.singleton("sweep", self.sweep_deadlines, ttl)
        daemon.add_interval("sweep", self._guarded("sweep", sweep), sched.sweep_interval)
        if self.settings.retention.raw_after.total_seconds() > 0:
            keep = self.ops.leases.singleton("retention", self.apply_retention,
                                             self.settings.retention.every * 2)
            daemon.add_interval("retention", self._guarded("retention", keep),
                                self.settings.retention.every)
        # the outbox claims each row before sending, so every daemon may drain it
        daemon.add_interval("outbox", self._guarded("outbox", self.outbox.drain),
                            self.settings.send.drain_interval)
        web = (self.start_web(lambda: bool(daemon.scheduler.running))
               if self.settings.web.enabled else None)
        every = self.settings.classifier.retrain_interval
        if every.total_seconds() > 0:
            from classifiers.scheduled import retrain_job

            retrain = self.ops.leases.singleton("retrain", retrain_job(self), every * 2)
            daemon.add_interval("retrain", self._guarded("retrain", retrain), every,
                                first_run=self.clock.now() + every)
        self.ops.start_server(lambda: bool(daemon.scheduler.running))
        try:
            daemon.run_forever()
        finally:
            self.ops.shutdown()
            if web is not None:
                web.stop()
            for watcher in self.push_watchers:  # they see stop within a second; log out
                watcher.join(timeout=10)

    def _poll_job(self, daemon: Daemon, job_id: str, source: Source):  # type: ignore[no-untyped-def]
        sched = self.settings.scheduler

        def job() -> None:
            try:
                if not self.ops.holds(source):
                    return  # another daemon polls this source
                self.poll_source(source)
                until = active_pause(self.store, self.clock, source.name)
                if until is not None:  # only this job waits for the rate limit to reset
                    daemon.delay(job_id, until - self.clock.now())
            except LeaseLost as exc:
                log.info("%s", exc)
            except SourceAuthError as exc:
                log.error("source %s: %s (will retry; fix the credentials)", source.name, exc)
                daemon.delay(job_id, sched.backoff_max)
            except TriageError as exc:
                failures = self._failures(source.name)
                wait = backoff_delay(failures, sched.backoff_base, sched.backoff_max)
                log.error("source %s failed (%d in a row), retrying in %ss: %s", source.name,
                          failures, int(wait.total_seconds()), exc)
                daemon.delay(job_id, wait)
            except Exception:  # never let one job kill the daemon
                log.exception("source %s: unexpected error", source.name)
                daemon.delay(job_id, sched.backoff_base)

        return job

    def _failures(self, name: str) -> int:
        try:
            return self.store.source_failures(name)
        except StoreError:  # the store is down too: back off as after one failure
            return 1

    @staticmethod
    def _guarded(name: str, fn):  # type: ignore[no-untyped-def]
        def job() -> None:
            try:
                fn()
            except Exception:
                log.exception("job %s failed; it runs again at its next interval", name)

        return job
