"""The daemon's jobs: poll each source (with backoff and pause), sweep deadlines, drain the
outbox, apply retention, retrain; and the loop that runs them until stopped.

The collaborators come from the composition root (:class:`triage.services.App`); this module
only decides when each job runs and contains its failures, so one broken mailbox or job never
stops the others (architecture rule 5).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from triage.backoff import backoff_delay
from triage.errors import ConfigError, LeaseLost, RateLimited, SourceAuthError, TriageError
from triage.models import FetchResult
from triage.ops.memtrim import limit_arenas, release_free_heap
from triage.pipeline import RunStats
from triage.scheduler import Scheduler
from triage.services import App
from triage.sources.base import Source
from triage.sources.imap import ImapSource
from triage.sources.pause import active_pause, record_pause
from triage.sources.table import build_source
from triage.workers import ParsePool, WorkerPool, worker_count

log = logging.getLogger(__name__)

WORKER_CHECK = timedelta(seconds=5)
"""How often the daemon replaces a worker process that died."""


class Daemon:
    """The jobs of one triage instance, run once (``poll_all``) or on a schedule
    (``run``). Holds no state of its own beyond the push watchers it started."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.push_watchers: list[Any] = []
        """Push watchers (IMAP IDLE threads) started by :meth:`run`."""
        self.workers: WorkerPool | None = None
        """The worker processes started by :meth:`run`, if ``[scheduler] workers`` asks."""
        self.parsers: ParsePool | None = None
        """The parse processes started with them (the poll hands its emails to them)."""
        self.help_workers = False
        """Whether a poll that stored messages then processes waiting ones here too, beside
        the workers (set by :meth:`start_workers`)."""

    # ------------------------------------------------------------------ sources
    def sources(self) -> list[Source]:
        """Build every enabled source, each wrapped in this daemon's lease."""
        app = self.app
        return [app.ops.leased(build_source(s, app.environ, app.settings.resolve_path))
                for s in app.settings.sources if s.enabled]

    def poll_source(self, source: Source) -> RunStats:
        """Poll one source; errors are recorded on the source and re-raised.

        A source whose rate budget is spent is paused (see ``triage.sources.pause``), not
        failed. Raises TriageError subclasses (SourceError, SourceAuthError, StoreError).
        """
        app = self.app
        if active_pause(app.store, app.clock, source.name) is not None:
            log.info("source %s: paused (rate limit), not polled", source.name)
            source.close()
            return RunStats()
        try:
            stats = app.pipeline.poll(source)
            after_poll = getattr(source, "after_poll", None)  # IMAP write-back
            if after_poll is not None:
                after_poll(app.store, app.settings)
        except RateLimited as exc:
            record_pause(app.store, app.clock, source.name, exc)
            stats = RunStats()
        except TriageError as exc:
            app.store.record_source_failure(source.name, source.type, str(exc))
            raise
        finally:
            source.close()
        app.store.record_source_result(source.name, None)
        if self.help_workers and stats.stored:
            # With workers this process only fetches and stores, and would idle while they
            # work through what it stored: it claims batches like a worker (the same claims,
            # so still exactly once) until none is left, and both cores stay busy.
            stats.merge(app.pipeline.process_pending())
        return stats

    def poll_all(self) -> dict[str, RunStats | str]:
        """Poll every source once; one failing source does not stop the others."""
        out: dict[str, RunStats | str] = {}
        for source in self.sources():
            try:
                if not self.app.ops.holds(source):
                    out[source.name] = "skipped: another daemon holds its lease"
                    continue
                out[source.name] = self.poll_source(source)
            except TriageError as exc:
                log.error("source %s failed: %s", source.name, exc)
                out[source.name] = f"error: {exc}"
        self.app.pipeline.process_pending()
        return out

    def backfill(self, source_name: str, since: date,
                 progress: Callable[[RunStats], object] | None = None) -> RunStats:
        """Import every message of IMAP source ``source_name`` dated ``since`` or later, then
        process them. Backfilled messages are stored with ``backfill=True`` (never answered
        automatically) and deduplicated against the live sync by external id; the live cursor
        stays where it is, so running it twice or beside the daemon stores nothing twice.

        Raises ConfigError when the source is not an IMAP source, SourceError when it fails
        (what was stored before the failure stays stored; run it again to finish).
        """
        app = self.app
        cfg = app.settings.source(source_name)
        source = build_source(cfg, app.environ, app.settings.resolve_path)
        if not isinstance(source, ImapSource):
            raise ConfigError(f"source {source.name!r} is of type {source.type!r}; backfill "
                              "reads IMAP sources (use 'triage import' for files)",
                              key="--source", fix="name an [[sources]] entry with type = 'imap'")
        pipeline, store = app.pipeline, app.store
        store.ensure_source(source.name, source.type)
        stats = RunStats()
        pos: dict[str, Any] = {}
        try:
            while not app.stop.is_set():
                items, pos = source.fetch_since(since, pos, pipeline.batch_size)
                if not items:
                    break
                # the live cursor is saved unchanged with each batch
                batch = FetchResult(items, store.get_cursor(source.name))
                stats.merge(pipeline.ingest(source.name, "email", batch, backfill=True))
                if progress is not None:
                    progress(stats)
            stats.merge(pipeline.process_pending())
        finally:
            source.close()
        log.info("backfill %s since %s: fetched=%d stored=%d", source.name, since,
                 stats.fetched, stats.stored)
        return stats

    # ------------------------------------------------------------- other jobs
    def sweep_deadlines(self) -> dict[str, int]:
        """Sweep every open deadline (replies seen, states, warnings, notices); return
        counts by new state. See ``triage.deadlines.sweep``."""
        return self.app.sweeper.sweep()

    def apply_retention(self, *, dry_run: bool = False) -> dict[str, int]:
        """Apply ``[retention]``: drop raw bytes older than ``raw_after``; return counts."""
        app = self.app
        keep = app.settings.retention.raw_after
        if keep.total_seconds() <= 0:
            return {"raw_dropped": 0}
        n = app.store.purge_raw(app.clock.now() - keep, dry_run=dry_run)
        if n and not dry_run:
            log.info("retention: dropped the raw bytes of %d message(s) older than %s", n, keep)
        return {"raw_dropped": n}

    def start_web(self, scheduler_running: Callable[[], bool] | None = None) -> Any:
        """Serve the review page in a thread until ``stop`` is set; return the server.

        ``scheduler_running`` tells ``/healthz`` whether this process's scheduler is up.
        """
        from triage.ops.config_audit import record_config_changes
        from triage.web.app import create_app, session_secret
        from triage.web.server import WebServer

        app = self.app
        record_config_changes(app.store, app.settings)  # policies and templates in force
        web = create_app(app.web_parts(scheduler_running=scheduler_running),
                         secret_key=session_secret(app.settings, app.environ))
        server = WebServer(web, app.settings.web.host, app.settings.web.port, app.stop)
        server.start()
        return server

    # ------------------------------------------------------------------ loops
    def run_outbox_only(self) -> None:
        """Run just the outbox drain job until stopped (``triage web`` without the daemon)."""
        scheduler = Scheduler(self.app.stop)
        scheduler.add_interval("outbox", guarded("outbox", self.app.outbox.drain),
                               self.app.settings.send.drain_interval)
        scheduler.run_forever()

    def run(self) -> None:
        """Run until stopped: one job per source, the sweep, the outbox, retention, retrain."""
        app = self.app
        # before any thread starts: one arena per job thread made memory creep (#19)
        limit_arenas(app.settings.ops.malloc_arenas)
        scheduler = Scheduler(app.stop)
        sched = app.settings.scheduler
        # Load the model and migrate before the first job, so failures show at start-up;
        # then settle the heap (what loading and training freed, ~6 MB, and the GC, #19)
        app.warm_up()
        from triage.ops.config_audit import record_config_changes

        record_config_changes(app.store, app.settings)
        pool = self.start_workers()
        if pool is not None:
            scheduler.add_interval("workers", guarded("workers", pool.replace_dead),
                                   WORKER_CHECK)
        app.pipeline.process_pending()
        for cfg in app.settings.sources:
            if not cfg.enabled:
                continue
            source = app.ops.leased(build_source(cfg, app.environ, app.settings.resolve_path))
            job_id = f"poll:{cfg.name}"
            scheduler.add_interval(job_id, self.poll_job(scheduler, job_id, source),
                                   cfg.poll_interval, sched.jitter)
            start_push = getattr(source, "start_push", None)  # IMAP IDLE wakes the poll early
            if start_push is not None:
                self.push_watchers += start_push(functools.partial(scheduler.wake, job_id),
                                                 app.stop)
        # keep the sources this daemon holds between polls (a dead daemon stops renewing)
        scheduler.add_interval("leases", guarded("leases", app.ops.leases.renew_held),
                               app.settings.ops.lease_ttl / 3)
        # jobs that must run once across all daemons sharing the store hold a job lease
        ttl = max(sched.sweep_interval * 3, app.settings.ops.lease_ttl)
        sweep = app.ops.leases.singleton("sweep", self.sweep_deadlines, ttl)
        scheduler.add_interval("sweep", guarded("sweep", sweep), sched.sweep_interval)
        if app.settings.retention.raw_after.total_seconds() > 0:
            keep = app.ops.leases.singleton("retention", self.apply_retention,
                                            app.settings.retention.every * 2)
            scheduler.add_interval("retention", guarded("retention", keep),
                                   app.settings.retention.every)
        # messages claimed by a daemon that died are taken over when the claim expires, also
        # when no new mail arrives to trigger processing (a quiet mailbox)
        if pool is None:  # worker processes take expired claims over themselves
            scheduler.add_interval("pending", guarded("pending", app.pipeline.process_pending),
                                   pending_interval(app.settings.ops.claim_ttl))
        # the outbox claims each row before sending, so every daemon may drain it
        scheduler.add_interval("outbox", guarded("outbox", app.outbox.drain),
                               app.settings.send.drain_interval)
        web = (self.start_web(lambda: bool(scheduler.scheduler.running))
               if app.settings.web.enabled else None)
        self.add_classifier_jobs(scheduler)
        app.ops.start_server(lambda: bool(scheduler.scheduler.running))
        try:
            scheduler.run_forever()
        finally:
            if pool is not None:
                pool.stop()
            if self.parsers is not None:
                self.parsers.stop()
            app.ops.shutdown()
            if web is not None:
                web.stop()
            for watcher in self.push_watchers:  # they see stop within a second; log out
                watcher.join(timeout=10)

    def add_classifier_jobs(self, scheduler: Scheduler) -> list[str]:
        """Add the classifier's optional jobs to ``scheduler``: scheduled retraining
        (``classifier.retrain_interval``), the local LLM's second opinions
        (``[classifier.llm]``) and the sentence encoder's re-scores
        (``[classifier.encoder]``), each held by one daemon at a time. Return their ids."""
        app = self.app
        added = []
        every = app.settings.classifier.retrain_interval
        if every.total_seconds() > 0:
            from classifiers.scheduled import retrain_job

            retrain = app.ops.leases.singleton("retrain", retrain_job(app), every * 2)
            scheduler.add_interval("retrain", guarded("retrain", retrain), every,
                                   first_run=app.clock.now() + every)
            added.append("retrain")
        llm = app.settings.classifier.llm
        if llm.enabled:
            from classifiers.second_opinion import second_opinion_job

            ask = second_opinion_job(app.store, llm, app.environ, app.stop)
            # the lease outlives a run that waits on a slow server for every message
            ttl = max(llm.interval * 2, llm.timeout * (llm.retries + 1) * llm.max_per_run)
            scheduler.add_interval("llm", guarded("llm", app.ops.leases.singleton(
                "llm", ask, ttl)), llm.interval)
            added.append("llm")
        enc = app.settings.classifier.encoder
        if enc.enabled:
            from triage.review.rescore import rescore_job

            rescore = rescore_job(app.review, enc, app.stop, app.settings.resolve_path)
            scheduler.add_interval("encoder", guarded("encoder", app.ops.leases.singleton(
                "encoder", rescore, enc.interval * 4)), enc.interval)
            added.append("encoder")
        return added

    def start_workers(self) -> WorkerPool | None:
        """Start ``[scheduler] workers`` worker processes for the processing and as many
        parse processes (see :mod:`triage.workers`); polling then fetches and stores, and
        after a poll that stored messages processes waiting ones beside the workers. None
        when there are none."""
        app = self.app
        count = worker_count(app.settings.scheduler.workers)
        if count <= 0:
            return None
        pool = WorkerPool(app.settings, app.environ, app.model_path, count)
        pool.start()
        app.pipeline.process_after_ingest = False
        self.parsers = ParsePool(count)
        self.parsers.start()
        log.info("started %d parse process(es): %s", count,
                 ", ".join(str(p) for p in self.parsers.pids()))
        app.pipeline.parser = self.parsers
        app.pipeline.after_store = pool.notify  # idle workers start on a stored batch at once
        self.workers = pool
        self.help_workers = True
        return pool

    def poll_job(self, scheduler: Scheduler, job_id: str,
                 source: Source) -> Callable[[], None]:
        """Return the scheduled job that polls ``source``: skips when another daemon holds
        it, waits out rate-limit pauses, backs off after failures, never raises."""
        app = self.app
        sched = app.settings.scheduler

        def job() -> None:
            try:
                if not app.ops.holds(source):
                    return  # another daemon polls this source
                if self.poll_source(source).fetched:
                    release_free_heap()  # a poll's batch and cursor are transient (#19)
                until = active_pause(app.store, app.clock, source.name)
                if until is not None:  # only this job waits for the rate limit to reset
                    scheduler.delay(job_id, until - app.clock.now())
            except LeaseLost as exc:
                log.info("%s", exc)
            except SourceAuthError as exc:
                log.error("source %s: %s (will retry; fix the credentials)", source.name, exc)
                scheduler.delay(job_id, sched.retry.max)
            except TriageError as exc:
                failures = app.store.source_failures(source.name)
                wait = backoff_delay(failures, sched.retry.base, sched.retry.max)
                log.error("source %s failed (%d in a row), retrying in %ss: %s", source.name,
                          failures, int(wait.total_seconds()), exc)
                scheduler.delay(job_id, wait)
            except Exception:  # never let one job kill the daemon
                log.exception("source %s: unexpected error", source.name)
                scheduler.delay(job_id, sched.retry.base)

        return job


def pending_interval(claim_ttl: timedelta) -> timedelta:
    """How often a daemon looks for waiting messages nobody holds: half the claim TTL (at
    least a second), so an expired claim is taken over within ``claim_ttl`` plus that."""
    return max(timedelta(seconds=1), claim_ttl / 2)


def guarded(name: str, fn: Callable[[], object]) -> Callable[[], None]:
    """Return ``fn`` as a job that logs its failure instead of raising (it runs again at its
    next interval)."""

    def job() -> None:
        try:
            fn()
        except Exception:
            log.exception("job %s failed; it runs again at its next interval", name)

    return job
