"""Statements with an array parameter are planned for their values on PostgreSQL (#19).

psycopg prepares a statement on the server after its fifth run on a connection; PostgreSQL
then reuses a generic plan chosen while the tables were small (a sequential scan). The
store's ``col = ANY(:values)`` lookups (``one_of``) run unprepared instead
(``triage.store.db.plan_arrays_per_call``), while other repeated statements (the cursor's
UPDATE) stay prepared. The batch inserts go by COPY (``triage.store.base.insert_rows``).
"""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import NOW, make_email
from triage.clock import FrozenClock
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.store import Ingest, Store


def prepared(store: Store) -> list[str]:
    """The statements prepared on the pool's connection (one is used at a time here)."""
    with store.engine.connect() as c:
        return [str(r[0]) for r in c.execute(text("SELECT statement FROM pg_prepared_statements"))]


def test_array_lookups_are_not_prepared_others_are(pg_url: str) -> None:
    store = Store.open(pg_url, FrozenClock(NOW))
    try:
        store.ensure_source("mail", "imap")
        for batch in range(8):  # more runs than psycopg's prepare threshold (5)
            items = []
            for n in range(3):
                raw = make_email(subject=f"Order {batch}-{n}",
                                 msgid=f"<m{batch}-{n}@example.com>")
                items.append(Ingest(f"{batch}-{n}", raw, parse_email(raw, fallback_received=NOW)))
            ids = store.add_items("mail", items, {"uid": batch}, threader=assign_threads)
            assert len(ids) == 3
            # the same batch again: the dedupe lookup (an ANY statement) still finds them
            assert store.add_items("mail", items, {"uid": batch}, threader=assign_threads) == []
        statements = prepared(store)
        assert any("UPDATE sources SET cursor" in s for s in statements), statements
        assert not [s for s in statements if "INSERT INTO messages" in s], statements  # COPY
        assert not [s for s in statements if "ANY (" in s.upper()], statements
        assert len(store.messages_by_ids(ids)) == 3
    finally:
        store.close()


def test_hot_tables_grown_from_empty_are_analysed_on_their_lookup_columns(
        any_store: Store) -> None:
    """A burst into a new store gets planner statistics before autovacuum would look
    (``triage.store.planner_stats``): once per doubling, only the filtered columns."""
    from triage.store.planner_stats import analyze_grown

    any_store.ensure_source("mail", "imap")
    items = []
    for n in range(30):
        raw = make_email(subject=f"Order {n}", msgid=f"<g{n}@example.com>")
        items.append(Ingest(str(n), raw, parse_email(raw, fallback_received=NOW)))
    any_store.add_items("mail", items, {"uid": 30}, threader=assign_threads)
    if any_store.engine.dialect.name != "postgresql":
        assert analyze_grown(any_store.engine, slack=0) == []  # SQLite: nothing to do
        return
    assert "messages" in analyze_grown(any_store.engine, slack=0)
    assert analyze_grown(any_store.engine, slack=0) == []  # not grown since
    with any_store.engine.connect() as c:
        analysed = {r[0] for r in c.execute(text(
            "SELECT attname FROM pg_stats WHERE tablename = 'messages'"))}
        pages = c.execute(text("SELECT relpages FROM pg_class WHERE relname = 'messages'"))
        assert pages.scalar_one() > 0
    assert {"status", "external_id", "thread_id"} <= analysed
    assert "full_text" not in analysed  # texts are left to autovacuum
