"""Explicit backfill of older IMAP mail (``triage backfill --source NAME --since DATE``).

Backfilled messages are stored with ``backfill=True`` (never answered automatically) and are
deduplicated against the live sync by their external id, so running it twice, or alongside
the daemon, stores nothing twice. The live cursor is left where it is.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from triage.errors import ConfigError
from triage.models import FetchResult
from triage.pipeline import Pipeline, RunStats
from triage.sources.imap import ImapSource

log = logging.getLogger(__name__)


def parse_since(value: str) -> date:
    """Return the date in ``value`` (YYYY-MM-DD); raises ConfigError naming the option."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--since {value!r} is not a date",
                          fix="write it as YYYY-MM-DD, e.g. --since 2026-01-01") from None


def backfill(pipeline: Pipeline, source: Any, since: date,
             progress: Any = None) -> RunStats:
    """Import every message of ``source`` dated ``since`` or later, then process them.

    Raises ConfigError when the source is not an IMAP source, SourceError when it fails
    (what was stored before the failure stays stored; run it again to finish).
    """
    if not isinstance(source, ImapSource):
        raise ConfigError(f"source {source.name!r} is of type {source.type!r}; backfill reads "
                          "IMAP sources (use 'triage import' for files)",
                          key="--source", fix="name an [[sources]] entry with type = 'imap'")
    store = pipeline.store
    store.ensure_source(source.name, source.type)
    stats = RunStats()
    pos: dict[str, Any] = {}
    try:
        while not pipeline.stop.is_set():
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
    log.info("backfill %s since %s: fetched=%d stored=%d", source.name, since, stats.fetched,
             stats.stored)
    return stats
