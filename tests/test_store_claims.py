"""Message claims in their own narrow table (``message_claims``, migration 0024, #19).

A claim inserts a row there instead of updating the wide messages row; the flip to
``processed`` deletes it and records its holder in ``messages.claim_owner``; a quarantine
deletes it. The claims' guarantees (no message claimed by two daemons, expiry, dead holders,
threads, exactly-once) are the store contract's tests (``tests/test_store_contract.py``),
which run on both databases; these check the table itself and the race the upsert guards.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
from sqlalchemy import select, text, update

from tests.conftest import NOW
from tests.fixtures_ops import PgServer
from tests.test_store_contract import CL, DRAFT, add, item, live_claims
from triage.clock import FrozenClock
from triage.store import Processed, Store
from triage.store import schema as s
from triage.store.base import aware
from triage.store.ownership import Owner


def claims_table(store: Store) -> dict[int, str]:
    with store.engine.connect() as c:
        return dict(c.execute(text("SELECT message_id, owner FROM message_claims")).all())


def holders(store: Store) -> dict[int, str | None]:
    with store.engine.connect() as c:
        return dict(c.execute(text("SELECT id, claim_owner FROM messages")).all())


def test_claim_rows_come_and_go_with_the_flip_and_the_quarantine(
        any_store: Store, clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<c{i}@x>") for i in range(5)], {})
    a = live_claims(any_store.engine, Owner("h", 1, "a"), clock)
    assert a.claim(4) == ids[:4]
    me = a._me()
    assert claims_table(any_store) == dict.fromkeys(ids[:4], me)
    assert set(holders(any_store).values()) == {None}  # the wide rows are not touched
    done = any_store.save_processing_many([Processed(i, CL, NOW, "p", DRAFT) for i in ids[:2]])
    assert done == set(ids[:2])
    assert claims_table(any_store) == dict.fromkeys(ids[2:4], me)
    # who processed it: the holder of its claim at the flip; unclaimed: nobody
    assert any_store.save_processing(ids[4], CL, NOW, "p", DRAFT)
    assert holders(any_store) == {ids[0]: me, ids[1]: me, ids[2]: None, ids[3]: None,
                                  ids[4]: None}
    # a second save of the same message flips nothing and takes no claim away
    assert not any_store.save_processing(ids[0], CL, NOW, "p", DRAFT)
    any_store.quarantine(ids[2], "broken")
    assert claims_table(any_store) == {ids[3]: me}
    a.release()
    assert claims_table(any_store) == {}
    assert any_store.counts() == {"processed": 3, "quarantined": 1, "new": 1}


def test_an_expired_claim_row_is_taken_over_in_place(any_store: Store,
                                                     clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<e{i}@x>") for i in range(3)], {})
    a = live_claims(any_store.engine, Owner("far", 1, "a"), clock)
    b = live_claims(any_store.engine, Owner("near", 2, "b"), clock)
    assert a.claim(3) == ids and b.claim(3) == []
    clock.advance(timedelta(minutes=6))
    assert b.claim(2) == ids[:2]  # the upsert's update: one row per message, b's now
    assert claims_table(any_store) == {ids[0]: b._me(), ids[1]: b._me(), ids[2]: a._me()}
    assert a.claim(3) == [ids[2]]  # a's own expired claim renewed; b's fresh ones not taken


def test_a_claim_committed_meanwhile_is_not_taken(pg_server: PgServer,
                                                  clock: FrozenClock) -> None:
    """The race the upsert's condition guards (PostgreSQL, where claims run concurrently):
    another daemon's claim row is inserted after our claim's snapshot, so our pick sees the
    message free; our insert meets that row, waits for its transaction, and must leave a live
    claim alone when it commits. Without the condition on ON CONFLICT it would steal it."""
    url = pg_server.create_db()
    store = Store.open(url, clock)
    try:
        store.ensure_source("inbox", "maildir")
        [mid] = add(store, "inbox", [item("1", msgid="<race@x>")], {})
        other = psycopg.connect(url.replace("+psycopg", ""))
        other.execute("INSERT INTO message_claims (message_id, owner, until) "
                      "VALUES (%s, 'far:9:z.t1', %s)", (mid, NOW + timedelta(hours=1)))
        pid = other.info.backend_pid
        got: list[list[int]] = []
        mine = live_claims(store.engine, Owner("near", 1, "a"), clock)
        t = threading.Thread(target=lambda: got.append(mine.claim(5)))
        t.start()
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as watch:
            # wait for an event, not a duration: our claim waits for the other transaction's
            # lock. A claim that ends without ever waiting did not meet the other row.
            waiting = False
            while t.is_alive() and not waiting:
                waiting = bool(watch.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                    "locktype = 'transactionid' AND transactionid = "
                    "(SELECT backend_xid FROM pg_stat_activity WHERE pid = %s)",
                    (pid,)).fetchone()[0])  # type: ignore[index]
                t.join(0.05)
            assert waiting, "the claim never waited for the other daemon's claim"
        other.commit()
        other.close()
        t.join()
        assert got == [[]]
        assert claims_table(store) == {mid: "far:9:z.t1"}
    finally:
        store.close()


def test_migration_moves_waiting_claims_to_their_table_and_back(any_store: Store) -> None:
    """Migration 0024: the claims on waiting messages move from the messages row to
    ``message_claims`` and back on a downgrade; a processed message keeps its holder."""
    from alembic import command

    from triage.store.db import alembic_config

    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<m{i}@x>") for i in range(4)], {})
    until = NOW + timedelta(minutes=5)
    cfg = alembic_config()
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0023_rescore_confidence")
    m = s.messages
    with any_store.engine.begin() as c:  # as the version before claimed and processed
        c.execute(update(m).where(m.c.id.in_(ids[:3])).values(claim_owner="h:1:a.t1",
                                                                claim_until=until))
        c.execute(update(m).where(m.c.id == ids[2]).values(status="processed"))
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert claims_table(any_store) == {ids[0]: "h:1:a.t1", ids[1]: "h:1:a.t1"}
    assert holders(any_store) == {ids[0]: None, ids[1]: None, ids[2]: "h:1:a.t1",
                                  ids[3]: None}
    cl = s.message_claims
    with any_store.engine.connect() as c:
        [when] = c.execute(select(cl.c.until).where(cl.c.message_id == ids[0])).one()
    assert aware(when) == until
    # the moved claims hold: another daemon does not get them, their holder does
    clock = FrozenClock(NOW)
    b = live_claims(any_store.engine, Owner("h", 2, "b"), clock)
    assert b.claim(10) == [ids[3]]
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0023_rescore_confidence")
    with any_store.engine.connect() as c:
        back = dict(c.execute(text("SELECT id, claim_owner FROM messages")).all())
    assert back == {ids[0]: "h:1:a.t1", ids[1]: "h:1:a.t1", ids[2]: "h:1:a.t1",
                    ids[3]: b._me()}
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
