"""``base.insert_rows`` (COPY on PostgreSQL, #19) stores what an INSERT stores.

The store's bulk inserts (messages, raw bytes, threads, classifications, deadlines, drafts,
conversation summary rows) go in by binary COPY on PostgreSQL; these tests insert the same
rows both ways into a real server and compare what reads back, column by column, and check
that a constraint violation is still SQLAlchemy's IntegrityError (the store's StoreError).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import NOW, make_email
from triage.clock import FrozenClock
from triage.errors import StoreError
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.models import Classification, Draft
from triage.store import Ingest, Store
from triage.store import schema as s
from triage.store.base import insert_rows
from triage.store.drafts import classification_values, draft_values
from triage.store.messages import message_row


def messages(n: int, first_id: int) -> list[dict[str, Any]]:
    """``n`` message rows (one quarantined) with JSON lists, booleans, NULLs and texts."""
    rows = []
    for i in range(n):
        raw = make_email(subject=f"Order {i} late \u00e9\u4e2d", body=f"Where is #{i}?\n" * 40,
                         msgid=f"<copy{i}@example.com>")
        parsed = None if i == 3 else parse_email(raw, fallback_received=NOW)
        item = Ingest(f"x{first_id + i}", raw, parsed, error="unparseable" if i == 3 else None)
        rows.append(dict(message_row("inbox", item, NOW, "email", None), id=first_id + i))
    return rows


def read(store: Store, table: Any, key: Any, ids: list[int]) -> list[dict[str, Any]]:
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(
            select(table).where(key.in_(ids)).order_by(key))]


def both_ways(store: Store, table: Any, key: Any, rows_for: Any) -> None:
    """Insert ``rows_for(offset)`` by INSERT and by insert_rows; compare all but the key."""
    by_insert, by_copy = rows_for(0), rows_for(1000)
    with store.engine.begin() as c:
        c.execute(insert(table), by_insert)
        insert_rows(c, table, by_copy)
    a = read(store, table, key, [r[key.name] for r in by_insert])
    b = read(store, table, key, [r[key.name] for r in by_copy])
    assert len(a) == len(b) == len(by_insert)
    for x, y in zip(a, b, strict=True):
        # serial ids (left to the database) and the messages' unique external ids differ,
        # the rest must not
        for k in ("id", "external_id"):
            x.pop(k, None), y.pop(k, None)
        x[key.name] = y[key.name] = None
        assert x == y


@pytest.mark.parametrize("db", ["postgresql", "sqlite"])
def test_insert_rows_stores_what_an_insert_stores(db: str, request: pytest.FixtureRequest,
                                                  tmp_path: Any, clock: FrozenClock) -> None:
    url = (request.getfixturevalue("pg_server").create_db() if db == "postgresql"
           else f"sqlite:///{tmp_path / 'store.db'}")
    store = Store.open(url, clock)
    try:
        both_ways(store, s.messages, s.messages.c.id, lambda o: messages(6, 1 + o))
        both_ways(store, s.message_raw, s.message_raw.c.message_id,
                  lambda o: [dict(message_id=i + o, raw=bytes(range(256)) * (i + 1) * 40)
                             for i in range(1, 7)])
        cl = Classification("request", 0.9, "en", "v1", True, {"request": 0.9, "other": 0.1})
        both_ways(store, s.classifications, s.classifications.c.message_id,
                  lambda o: [classification_values(i + o, cl, NOW) for i in range(1, 7)])
        d = Draft("Re: x \u00e9", "Hello\n" * 50, "request.email.j2", "en")
        both_ways(store, s.drafts, s.drafts.c.message_id,
                  lambda o: [draft_values(i + o, d, NOW, "triage") for i in range(1, 7)])
        # deadlines leave columns out: their Python defaults and the database's apply
        both_ways(store, s.deadlines, s.deadlines.c.message_id, lambda o: [
            dict(message_id=i + o, kind="first_response", policy="standard",
                 due_at=NOW + timedelta(hours=i), state="ok", warnings_sent=[],
                 priority="normal") for i in range(1, 7)])
    finally:
        store.close()


def test_a_violation_in_copy_is_an_integrity_error(pg_url: str, clock: FrozenClock) -> None:
    store = Store.open(pg_url, clock)
    try:
        rows = messages(2, 1)
        with pytest.raises(IntegrityError), store.engine.begin() as c:
            insert_rows(c, s.messages, [rows[0], dict(rows[1], id=1)])  # the same id twice
        with store.engine.begin() as c:  # the connection is usable again, nothing was stored
            assert c.execute(select(s.messages.c.id)).all() == []
            insert_rows(c, s.messages, rows)
            c.execute(delete(s.messages))
        # through the store's own calls it is a StoreError, as from an INSERT
        raw = make_email(msgid="<dup@example.com>")
        store.ensure_source("inbox", "maildir")
        with store.engine.begin() as c:
            c.execute(insert(s.messages).values(dict(messages(1, 1)[0], external_id="e")))
            # the next id from the sequence is 1 again: taken
            c.exec_driver_sql("SELECT setval(pg_get_serial_sequence('messages', 'id'), 1, false)")
        parsed = parse_email(raw, fallback_received=NOW)
        with pytest.raises(StoreError):
            store.add_items("inbox", [Ingest("f", raw, parsed)], {}, threader=assign_threads)
    finally:
        store.close()
