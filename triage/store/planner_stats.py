"""Fresh planner statistics while a burst grows the hot tables (PostgreSQL, #19).

PostgreSQL plans each statement from the statistics ANALYZE leaves in ``pg_class`` and
``pg_statistic``. A burst of 10,000 messages into a new or small store grows ``messages``
and the tables processing writes from nothing to thousands of rows in seconds, long before
autovacuum's next look (a minute) and its threshold: planned without statistics, the
dedupe, thread and draft look-ups by an array of ids (``one_of``) scanned whole tables, and
the claim read and sorted every waiting row to take 200. So after storing or saving a batch
the store asks, in one cheap query, which of the hot tables have more than doubled (in
pages) since their last ANALYZE, and analyses those: a handful of times as a burst fills an
empty store (at about 64, 192, 448, ... pages), never in a store whose size is steady.
``SKIP_LOCKED`` leaves a table that another process (or autovacuum) is analysing to it.
SQLite plans without such statistics; nothing is done there.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

HOT_TABLES = {
    "messages": ("id", "source", "external_id", "message_id", "thread_id", "status"),
    "threads": ("id", "key"),
    "classifications": ("message_id", "current"),
    "deadlines": ("message_id", "kind"),
    "drafts": ("message_id", "status"),
    "conversation_summary": ("conv",),
}
"""The tables a burst grows, and the columns their per-batch look-ups filter on: only those
are analysed (statistics of the texts cost most of an ANALYZE of ``messages``, decompressing
every sampled one, and no burst statement filters on them; autovacuum analyses every column
later as usual)."""

SLACK_PAGES = 64
"""Pages a table may grow beyond twice its analysed size before it is analysed again."""

GROWN = text(
    "SELECT c.relname FROM pg_class c WHERE c.oid IN ("
    + ", ".join(f"'{t}'::regclass" for t in HOT_TABLES)
    + ") AND pg_relation_size(c.oid) / current_setting('block_size')::int"
    " > 2 * greatest(c.relpages, 0) + :slack")


def analyze_grown(engine: Engine, slack: int = SLACK_PAGES) -> list[str]:
    """ANALYZE the hot tables that grew beyond twice their analysed size plus ``slack``
    pages; return their names. On SQLite, or when the store cannot be analysed, nothing
    (logged, never raised: statistics only speed the plans up)."""
    if engine.dialect.name != "postgresql":
        return []
    try:
        with engine.begin() as c:
            grown = [str(r[0]) for r in c.execute(GROWN, {"slack": slack})]
            if grown:
                c.exec_driver_sql("ANALYZE (SKIP_LOCKED) " + ", ".join(
                    f"{t} ({', '.join(HOT_TABLES[t])})" for t in grown))
    except SQLAlchemyError as exc:
        log.warning("cannot refresh the planner statistics of the hot tables: %s", exc)
        return []
    if grown:
        log.debug("analysed %s", ", ".join(grown))
    return grown
