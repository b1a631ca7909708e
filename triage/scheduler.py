"""The scheduler the daemon runs its jobs on (:mod:`triage.daemon` says which jobs).

This is the only module that imports APScheduler. Jobs coalesce, never overlap, get jitter,
and a failing source is retried with capped exponential backoff (``triage.backoff``) without
delaying the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


class QuietOverruns(logging.Filter):
    """Demote APScheduler's "skipped: maximum number of running instances" and "run time
    was missed" warnings to DEBUG.

    Jobs never overlap and coalesce by design, so a poll that outlasts its interval (a big
    backlog, an IMAP IDLE wake-up during a poll) is normal, not a warning; left alone, a
    daemon running for months fills its log with them.
    """

    MARKERS = ("maximum number of running instances reached", "was missed by")

    def filter(self, record: logging.LogRecord) -> bool:
        """Lower matching records to DEBUG (they are kept, not dropped)."""
        if record.levelno == logging.WARNING and any(
                m in record.getMessage() for m in self.MARKERS):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def quiet_overruns() -> None:
    """Install :class:`QuietOverruns` on APScheduler's loggers (once)."""
    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietOverruns) for f in logger.filters):
            logger.addFilter(QuietOverruns())


class Scheduler:
    """Owns the scheduler; ``run_forever`` blocks until ``stop`` is set (SIGTERM/SIGINT)."""

    def __init__(self, stop: threading.Event, *, max_workers: int = 4) -> None:
        self.stop = stop
        quiet_overruns()
        self.scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})

    def add_interval(self, job_id: str, fn: Callable[[], object], every: timedelta,
                     jitter: timedelta = timedelta(0), first_run: datetime | None = None) -> None:
        """Run ``fn`` every ``every`` (first at ``first_run``, default now)."""
        self.scheduler.add_job(
            fn, "interval", id=job_id, seconds=max(1.0, every.total_seconds()),
            jitter=int(jitter.total_seconds()) or None, replace_existing=True,
            next_run_time=first_run or datetime.now(UTC))

    def delay(self, job_id: str, by: timedelta) -> None:
        """Push the next run of ``job_id`` back by ``by`` (backoff after a failure)."""
        job = self.scheduler.get_job(job_id)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC) + by)

    def wake(self, job_id: str) -> None:
        """Run ``job_id`` as soon as possible (IMAP IDLE saw new mail)."""
        job = self.scheduler.get_job(job_id)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def run_forever(self) -> None:
        """Start the scheduler and block until stop is set, then shut down cleanly."""
        self.scheduler.start()
        log.info("daemon started with %d job(s)", len(self.scheduler.get_jobs()))
        try:
            self.stop.wait()
        finally:
            log.info("shutting down: finishing the current message")
            self.scheduler.shutdown(wait=True)
            log.info("daemon stopped")
