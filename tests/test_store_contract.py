"""The store's contract, run against SQLite and a real PostgreSQL server (``any_store``).

Ingest dedup, cursor and messages in one transaction, processing exactly once (also under
concurrency), threads, deadlines, export, leases and claims: the same assertions on both.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import NOW, make_email
from triage.clock import FrozenClock
from triage.errors import StoreError
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.models import (
    Classification,
    Draft,
    NewThread,
    ThreadChoice,
    ThreadLookups,
    ThreadPlan,
)
from triage.store import Ingest, Processed, Store
from triage.store.deadline_store import DeadlineStore
from triage.store.ownership import Claims, Leases, Owner


def add(store: Store, source: str, items: list[Ingest], cursor: dict) -> list[int]:
    """Ingest ``items`` with the pipeline's threader."""
    return store.add_items(source, items, cursor, threader=assign_threads)


def item(ext: str, **kw: str) -> Ingest:
    raw = make_email(**kw)
    return Ingest(ext, raw, parse_email(raw, fallback_received=NOW))


def live_claims(engine: Engine, owner: Owner, clock: FrozenClock) -> Claims:
    """A claimer with 5-minute claims whose holders are all alive (no dead-holder lookup)."""
    return Claims(engine, owner, timedelta(minutes=5), clock, alive=lambda pid: True)


CL = Classification("request", 0.9, "en", "v1", False, {"request": 0.9})
DRAFT = Draft("Re: x", "Hello", "request.email.j2", "en")


def test_ingest_dedups_on_source_and_external_id(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    first = add(any_store, "inbox", [item("a", msgid="<a@x>"), item("b", msgid="<b@x>")],
                                {"seen": ["a", "b"]})
    again = add(any_store, "inbox", [item("a", msgid="<a@x>"), item("c", msgid="<c@x>")],
                                {"seen": ["a", "b", "c"]})
    assert len(first) == 2 and len(again) == 1
    assert any_store.counts() == {"new": 3}
    # the same external id in another source is another message
    any_store.ensure_source("other", "maildir")
    assert len(add(any_store, "other", [item("a", msgid="<a@x>")], {})) == 1


def test_cursor_and_messages_commit_together(any_store: Store) -> None:
    """The cursor update, the last statement, fails after the messages were inserted:
    neither stays (SQLAlchemy wraps the JSON error on SQLite, psycopg raises it as is)."""
    any_store.ensure_source("inbox", "maildir")
    add(any_store, "inbox", [], {"seen": ["old"]})
    with pytest.raises((StoreError, TypeError)):
        add(any_store, "inbox", [item("a", msgid="<a@x>"), item("b", msgid="<b@x>")],
            {"seen": ["old", "a", "b"], "not json": object()})
    assert any_store.get_cursor("inbox") == {"seen": ["old"]}
    assert any_store.counts() == {}


def test_threads_and_messages_commit_together(any_store: Store) -> None:
    """A batch whose second message names a thread that does not exist: the thread started
    for the first one is rolled back with it."""
    any_store.ensure_source("inbox", "maildir")

    def bad_threader(messages, read):  # type: ignore[no-untyped-def]
        read(ThreadLookups())
        return ThreadPlan([ThreadChoice(new=0), ThreadChoice(thread_id=999_999)],
                          [NewThread(None, "s", "email", "c@x")])

    with pytest.raises(StoreError, match="cannot store messages of source 'inbox'"):
        any_store.add_items("inbox", [item("a", msgid="<a@x>"), item("b", msgid="<b@x>")],
                            {"seen": ["a", "b"]}, threader=bad_threader)
    assert any_store.get_cursor("inbox") == {} and any_store.counts() == {}
    with any_store.engine.connect() as c:
        from sqlalchemy import func, select

        from triage.store import schema as s

        assert c.execute(select(func.count()).select_from(s.threads)).scalar() == 0


def test_quarantined_item_keeps_raw_and_reason(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    (mid,) = add(any_store, "inbox", [Ingest("bad", b"\x00junk", None, error="garbage")],
                                 {})
    row = any_store.message(mid)
    assert row["status"] == "quarantined" and row["error"] == "garbage"
    assert any_store.raw(mid) == b"\x00junk"


def test_processing_is_written_exactly_once(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    (mid,) = add(any_store, "inbox", [item("a")], {})
    due = NOW + timedelta(hours=24)
    assert any_store.save_processing(mid, CL, due, "email/default", DRAFT) is True
    assert any_store.save_processing(mid, CL, due, "email/default", DRAFT) is False
    (row,) = any_store.export_rows()
    assert row["status"] == "processed" and row["category"] == "request"
    assert row["draft_status"] == "pending_review" and row["due_at"] == due


def test_concurrent_processing_writes_once(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<{i}@x>") for i in range(20)], {})
    wins: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for mid in ids:
            ok = any_store.save_processing(mid, CL, NOW, "p", DRAFT)
            with lock:
                wins.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == len(ids)
    rows = any_store.export_rows()
    assert all(r["status"] == "processed" for r in rows)
    with any_store.engine.connect() as c:
        from sqlalchemy import func, select

        from triage.store import schema as s

        assert c.execute(select(func.count()).select_from(s.drafts)).scalar() == len(ids)
        assert c.execute(select(func.count()).select_from(s.deadlines)).scalar() == len(ids)


def test_threads_by_references_and_token(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    a, b, c = add(any_store, "inbox", [
        item("1", msgid="<o@x>"),
        item("2", msgid="<r@x>", subject="Re: Order late", In_Reply_To="<o@x>",
             References="<o@x>"),
        item("3", msgid="<n@x>", subject="Something else")], {})
    ta, tb, tc = (any_store.message(i)["thread_id"] for i in (a, b, c))
    assert ta == tb != tc
    (d,) = add(any_store, "inbox", [item("4", msgid="<t@x>",
                                              subject=f"Re: Something else [#T-{tc}]")], {})
    assert any_store.message(d)["thread_id"] == tc


def test_threads_within_one_batch_keep_the_guards(any_store: Store) -> None:
    """Replies to messages of the same (not yet inserted) batch: the latest parent wins and a
    changed subject still starts a new thread."""
    any_store.ensure_source("inbox", "maildir")
    (p,) = add(any_store, "inbox", [item("p", msgid="<p@x>", subject="Refund")], {})
    a, b, c = add(any_store, "inbox", [
        item("a", msgid="<a@x>", subject="Re: Refund", In_Reply_To="<p@x>", References="<p@x>"),
        item("b", msgid="<b@x>", subject="Totally different", In_Reply_To="<a@x>",
             References="<p@x> <a@x>"),
        item("c", msgid="<c@x>", subject="Re: Totally different", In_Reply_To="<b@x>",
             References="<p@x> <a@x> <b@x>")], {})
    tp, ta, tb, tc = (any_store.message(i)["thread_id"] for i in (p, a, b, c))
    assert ta == tp
    assert tb != tp
    assert tc == tb
    assert [p, a, b, c] == sorted([p, a, b, c])  # ids follow arrival order


def test_batch_processing_writes_each_message_once(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<{i}@x>") for i in range(5)], {})
    assert any_store.save_processing(ids[1], CL, NOW, "p", DRAFT) is True
    done = any_store.save_processing_many([Processed(i, CL, NOW, "p", DRAFT) for i in ids])
    assert done == set(ids) - {ids[1]}
    assert any_store.save_processing_many([Processed(i, CL, NOW, "p", DRAFT) for i in ids]) \
        == set()
    with any_store.engine.connect() as c:
        from sqlalchemy import func, select

        from triage.store import schema as s

        for table in (s.drafts, s.deadlines, s.classifications):
            assert c.execute(select(func.count()).select_from(table)).scalar() == len(ids)
    assert {r["status"] for r in any_store.export_rows()} == {"processed"}


def test_deadlines_states_and_met(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    m1, m2 = add(any_store, "inbox", [item("1", msgid="<1@x>"), item("2", msgid="<2@x>")],
                                 {})
    any_store.save_processing(m1, CL, NOW + timedelta(hours=1), "p", None)
    any_store.save_processing(m2, CL, NOW + timedelta(hours=2), "p", None)
    dstore = DeadlineStore(any_store)
    open_ = {r["message_id"]: r for r in dstore.open_deadlines()}
    assert set(open_) == {m1, m2} and open_[m1]["due_at"] == NOW + timedelta(hours=1)
    dstore.set_states({open_[m1]["id"]: "breached"})
    any_store.mark_met(m2)
    left = dstore.open_deadlines()
    assert [(r["message_id"], r["state"]) for r in left] == [(m1, "breached")]


def test_export_joins_current_classification_and_newest_draft(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item("1", msgid="<1@x>"), item("2", msgid="<2@x>")], {})
    any_store.save_processing(ids[0], CL, NOW, "p", DRAFT)
    rows = any_store.export_rows()
    assert [r["id"] for r in rows] == ids
    assert rows[0]["category"] == "request" and rows[0]["draft"] == "Hello"
    assert rows[1]["category"] is None and rows[1]["status"] == "new"
    assert [r["id"] for r in any_store.export_rows([ids[1]])] == [ids[1]]


# --------------------------------------------------------------------- leases and claims
def owners(instance: str = "host-a") -> tuple[Owner, Owner]:
    return Owner(instance, 1001, "aaaa"), Owner(instance, 1002, "bbbb")


def test_source_lease_is_exclusive_then_expires(any_store: Store, clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    a, b = owners()
    la = Leases(any_store.engine, a, timedelta(minutes=2), clock, alive=lambda pid: True)
    lb = Leases(any_store.engine, b, timedelta(minutes=2), clock, alive=lambda pid: True)
    assert la.acquire_source("inbox") and not lb.acquire_source("inbox")
    clock.advance(timedelta(minutes=1))
    assert la.acquire_source("inbox")  # renewal
    clock.advance(timedelta(minutes=1, seconds=30))
    assert not lb.acquire_source("inbox")  # renewed 90 s ago, still valid
    clock.advance(timedelta(minutes=1))
    assert lb.acquire_source("inbox") and not la.acquire_source("inbox")
    assert any_store.source_rows()[0]["lease_owner"] == str(b)


def test_dead_local_holder_is_taken_over_at_once(any_store: Store, clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    a, b = owners()
    Leases(any_store.engine, a, timedelta(hours=1), clock).acquire_source("inbox")
    # a is pid 1001 of host-a; b runs on host-a too and sees 1001 is gone
    lb = Leases(any_store.engine, b, timedelta(hours=1), clock, alive=lambda pid: pid != 1001)
    assert lb.acquire_source("inbox")
    # a holder on another machine cannot be checked: it must expire
    other = Owner("host-b", 1001, "cccc")
    lo = Leases(any_store.engine, other, timedelta(hours=1), clock, alive=lambda pid: False)
    assert not lo.acquire_source("inbox")


def test_singleton_job_runs_in_one_daemon(any_store: Store, clock: FrozenClock) -> None:
    a, b = owners()
    runs: list[str] = []
    la = Leases(any_store.engine, a, timedelta(minutes=3), clock, alive=lambda pid: True)
    lb = Leases(any_store.engine, b, timedelta(minutes=3), clock, alive=lambda pid: True)
    ja = la.singleton("sweep", lambda: runs.append("a"))
    jb = lb.singleton("sweep", lambda: runs.append("b"))
    for _ in range(3):
        ja()
        jb()
        clock.advance(timedelta(minutes=1))
    assert runs == ["a"] * 3
    clock.advance(timedelta(minutes=5))  # a stopped renewing: b takes over
    jb()
    ja()
    assert runs == ["a", "a", "a", "b"]
    la.release_all()


def test_claims_split_work_and_expire(any_store: Store, clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<{i}@x>") for i in range(10)], {})
    a, b = owners()
    ca = live_claims(any_store.engine, a, clock)
    cb = live_claims(any_store.engine, b, clock)
    got_a = ca.claim(4)
    got_b = cb.claim(100)
    assert got_a == ids[:4] and got_b == ids[4:]
    assert ca.claim(100) == got_a  # our own claims come back, renewed
    any_store.save_processing(got_a[0], CL, NOW, "p", None)
    clock.advance(timedelta(minutes=6))
    assert cb.claim(100) == sorted(set(ids) - {got_a[0]})
    cb.release()
    assert ca.claim(2) == sorted(set(ids) - {got_a[0]})[:2]


def test_concurrent_claims_never_overlap(any_store: Store, clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<{i}@x>") for i in range(60)], {})
    got: dict[int, list[int]] = {}

    def worker(n: int) -> None:
        c = live_claims(any_store.engine, Owner("h", 2000 + n, "t"), clock)
        mine: list[int] = []
        while True:
            batch = c.claim(5)
            fresh = [i for i in batch if i not in mine]
            if not fresh:
                break
            mine.extend(fresh)
            for i in fresh:
                any_store.save_processing(i, None, None, "", None)
        got[n] = mine

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for mine in got.values() for i in mine]
    assert sorted(claimed) == ids  # every message claimed, none by two workers
    assert any_store.counts() == {"processed": 60}


def test_claims_of_a_dead_local_process_are_taken_over(any_store: Store,
                                                       clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<{i}@x>") for i in range(12)], {})
    a, b = owners()
    dead: set[int] = set()
    ca = Claims(any_store.engine, a, timedelta(hours=1), clock, alive=lambda pid: True)
    cb = Claims(any_store.engine, b, timedelta(hours=1), clock,
                alive=lambda pid: pid not in dead)
    assert cb.claim(2) == ids[:2]  # b's first claim looks for dead holders: none
    for i in ids[:2]:
        any_store.save_processing(i, None, None, "", None)
    assert ca.claim(3) == ids[2:5]
    dead.add(a.pid)  # a dies holding three claims (an hour's TTL left)
    # free rows fill b's batch and b looked a moment ago: it takes those first
    assert cb.claim(2) == ids[5:7]
    # DEAD_CHECK later it looks again: a's oldest claims are taken over, before newer mail
    clock.advance(Claims.DEAD_CHECK)
    assert cb.claim(4) == sorted([*ids[2:5], ids[5]])
    for i in [*ids[2:5], *ids[5:7]]:
        any_store.save_processing(i, None, None, "", None)
    # and at once when free rows run short: a second process dies holding claims
    c2 = Claims(any_store.engine, Owner("host-a", 1003, "cccc"), timedelta(hours=1), clock,
                alive=lambda pid: True)
    assert c2.claim(3) == ids[7:10]
    dead.add(1003)
    assert cb.claim(100) == ids[7:]
    # a holder on another machine cannot be checked: its claims wait for their expiry
    far = Claims(any_store.engine, Owner("host-b", 1001, "dddd"), timedelta(hours=1), clock,
                 alive=lambda pid: True)
    cb.release()
    assert far.claim(3) == ids[7:10]
    assert cb.claim(100) == ids[10:]


def test_threads_of_one_daemon_get_different_batches(any_store: Store,
                                                     clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<{i}@x>") for i in range(10)], {})
    claims = live_claims(any_store.engine, Owner("h", 1, "t"), clock)
    got: list[list[int]] = []
    t = threading.Thread(target=lambda: got.append(claims.claim(4)))
    t.start()
    t.join()
    mine = claims.claim(100)
    assert got == [ids[:4]] and mine == ids[4:]
    claims.release()  # gives back the claims of every thread of this process
    assert claims.claim(100) == ids


def test_source_failures_count_in_a_row(any_store: Store) -> None:
    any_store.ensure_source("inbox", "imap")
    assert any_store.source_failures("inbox") == 0
    assert any_store.record_source_result("inbox", "timeout") == 1
    assert any_store.record_source_result("inbox", "timeout") == 2
    assert any_store.source_failures("inbox") == 2
    any_store.record_source_result("inbox", None)
    assert any_store.source_failures("inbox") == 0
    assert any_store.source_failures("never-seen") == 1


def test_migrations_build_exactly_the_declared_schema(any_store: Store) -> None:
    """Every table, column and index in ``schema.py`` is created by the Alembic migrations
    (a column added to the schema without a migration fails here, on both databases)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from triage.store import schema as s

    dialect = any_store.engine.dialect.name

    def declared_here(obj: object, _name: object, type_: str, reflected: bool,
                      _other: object) -> bool:
        # an index declared for one database only (``Index(...).ddl_if(dialect=...)``)
        cond = getattr(obj, "_ddl_if", None)
        return reflected or type_ != "index" or cond is None or cond.dialect in (None, dialect)

    with any_store.engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(
            c, opts={"include_object": declared_here}), s.metadata) == []


def test_held_leases_are_renewed_between_polls(any_store: Store, clock: FrozenClock) -> None:
    for name in ("a", "b"):
        any_store.ensure_source(name, "maildir")
    x, y = owners()
    lx = Leases(any_store.engine, x, timedelta(minutes=2), clock, alive=lambda pid: True)
    ly = Leases(any_store.engine, y, timedelta(minutes=2), clock, alive=lambda pid: True)
    assert lx.acquire_source("a") and ly.acquire_source("b")
    clock.advance(timedelta(seconds=90))
    assert lx.renew_held() == 1  # only its own
    clock.advance(timedelta(seconds=90))  # 3 min after taking it: alive only by the renewal
    assert not ly.acquire_source("a")
    assert lx.acquire_source("b")  # y did not renew: its lease expired


def test_daemons_registering_one_source_at_once_do_not_fail(any_store: Store) -> None:
    errors: list[BaseException] = []

    def register() -> None:
        try:
            any_store.ensure_source("shared", "maildir")
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    for _ in range(5):
        threads = [threading.Thread(target=register) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert [r["name"] for r in any_store.source_rows()] == ["shared"]


def test_retention_drops_only_old_processed_raw_bytes(any_store: Store,
                                                      clock: FrozenClock) -> None:
    any_store.ensure_source("inbox", "maildir")
    store = Store(any_store.engine, clock)
    old = add(store, "inbox", [item(str(i), msgid=f"<o{i}@x>") for i in range(5)], {})
    for mid in old[:4]:
        store.save_processing(mid, CL, NOW, "p", DRAFT)  # old[4] stays new: never dropped
    clock.advance(timedelta(days=100))
    (young,) = add(store, "inbox", [item("y", msgid="<y@x>")], {})
    store.save_processing(young, CL, NOW, "p", DRAFT)
    cutoff = clock.now() - timedelta(days=90)
    assert store.purge_raw(cutoff, dry_run=True) == 4
    assert store.raw(old[0])  # a dry run changes nothing
    assert store.purge_raw(cutoff, chunk=3) == 4  # two chunks
    assert [bool(store.raw(i)) for i in [*old, young]] == [False] * 4 + [True, True]
    assert store.purge_raw(cutoff) == 0
    (row,) = [r for r in store.export_rows() if r["id"] == old[0]]
    assert row["category"] == "request" and row["draft"] == "Hello" and row["text"]


def test_known_message_ids_per_source_or_any(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    add(any_store, "inbox", [item("1", msgid="<a@x>")], {})
    any_store.ensure_source("other", "maildir")
    add(any_store, "other", [item("1", msgid="<b@x>")], {})
    ids = ["<a@x>", "<b@x>", "<c@x>"]
    assert any_store.known_message_ids("inbox", ids) == {"<a@x>"}
    assert any_store.known_message_ids(None, ids) == {"<a@x>", "<b@x>"}
    any_store.record_source_failure("new-source", "imap", "login refused")
    assert any_store.source_failures("new-source") == 1


def test_export_streams_in_chunks_with_the_same_rows(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(f"e{n}", msgid=f"<e{n}@x>", subject=f"Order {n}")
                                   for n in range(7)], {})
    any_store.save_processing(ids[2], CL, NOW + timedelta(hours=4), "email", DRAFT)
    rows = any_store.iter_export_rows(chunk=3)
    assert iter(rows) is rows  # a generator: read as it is written, not a list
    streamed = list(rows)
    assert streamed == any_store.export_rows()
    assert [r["id"] for r in streamed] == sorted(ids)
    assert streamed[2]["draft"] == "Hello" and streamed[2]["category"] == "request"


def test_drafts_keep_situation_and_drafted_text_and_report_outcomes(any_store: Store) -> None:
    """A processed draft keeps the situation it was written for and its text as drafted
    while agents edit it; a situation switch supersedes it (refused once a reply was
    approved); ``Drafts.outcomes`` lists the decided drafts (sent, approved, discarded)."""
    from triage.drafting.usage import outcomes_from_rows, usage_report
    from triage.errors import ReviewError

    any_store.ensure_source("inbox", "maildir")
    a, b, c = add(any_store, "inbox", [item(str(i), msgid=f"<{i}@x>") for i in range(3)], {})
    drafted = Draft("Re: x", "Hello Ann, your refund is on its way.\n",
                    "en/situations/refund.email.j2", "en", situation="refund")
    any_store.save_processing_many([Processed(i, CL, NOW, "p", drafted) for i in (a, b, c)])
    d = any_store.drafts
    first = d.current(a)
    assert first is not None and first["situation"] == "refund"
    assert first["drafted_text"] == drafted.text and first["drafted_by"] == "triage"
    d.save_edit(first["id"], "Re: x", "Hi Ann, the refund left us today.\n", "linh")
    d.approve(first["id"], "Re: x", "Hi Ann, the refund left us today.\n", "linh")
    edited = d.current(a)
    assert edited is not None and edited["drafted_text"] == drafted.text
    assert edited["text"].startswith("Hi Ann")
    with pytest.raises(ReviewError, match="already approved"):
        d.redraft(a, Draft("Re: x", "Holding", "en/situations/holding.email.j2", "en",
                           situation="holding"), "linh")
    second = d.current(b)
    assert second is not None
    d.approve(second["id"], "Re: x", drafted.text, "minh")  # sent as drafted
    d.discard(d.current(c)["id"], "minh")  # type: ignore[index]
    new_id = d.redraft(c, Draft("Re: x", "We are looking into it.\n",
                                "en/situations/holding.email.j2", "en",
                                situation="holding"), "minh")
    now_c = d.current(c)
    assert now_c is not None and (now_c["id"], now_c["status"], now_c["situation"],
                                  now_c["drafted_by"]) == (new_id, "pending_review", "holding",
                                                           "minh")
    rows = d.outcomes(NOW - timedelta(days=1), NOW + timedelta(days=365))
    # the discarded draft of c was superseded by the switch: it is no longer an outcome
    assert sorted(r["status"] for r in rows) == ["approved", "approved"]
    d.discard(new_id, "minh")
    rows = d.outcomes()
    assert sorted((r["template"], r["status"]) for r in rows) == [
        ("en/situations/holding.email.j2", "discarded"),
        ("en/situations/refund.email.j2", "approved"),
        ("en/situations/refund.email.j2", "approved")]
    report = {r.template: r for r in usage_report(outcomes_from_rows(rows))}
    refund = report["en/situations/refund.email.j2"]
    assert (refund.sent, refund.discarded, refund.situation) == (2, 0, "refund")
    assert 0.3 < refund.mean_edit < 0.7 and refund.median_edit == refund.mean_edit
    assert refund.untouched == 0.5
    holding = report["en/situations/holding.email.j2"]
    assert (holding.discarded, holding.discard_rate) == (1, 1.0)
    assert d.outcomes(NOW + timedelta(days=400)) == []


def test_migration_moves_raw_bytes_to_their_table_and_back(any_store: Store) -> None:
    """Migration 0020 moves each message's raw bytes out of the messages row (#19): none is
    lost either way, and a message whose bytes retention dropped stays without them."""
    from alembic import command
    from sqlalchemy import text

    from triage.store.db import alembic_config

    any_store.ensure_source("inbox", "maildir")
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<r{i}@x>", body=f"body {i}")
                                   for i in range(3)], {})
    raws = [any_store.raw(i) for i in ids]
    assert all(raws) and len(set(raws)) == 3
    with any_store.engine.begin() as c:  # retention dropped the first one's
        c.execute(text("DELETE FROM message_raw WHERE message_id = :i"), {"i": ids[0]})
    cfg = alembic_config()
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0020_encoder_rescores")
    with any_store.engine.connect() as c:
        back = dict(c.execute(text("SELECT id, raw FROM messages")).all())
    assert [back[i] and bytes(back[i]) for i in ids] == [None, *raws[1:]]
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert [any_store.raw(i) for i in ids] == [b"", *raws[1:]]
    if any_store.engine.dialect.name == "postgresql":  # lz4, not pglz (the server has it)
        with any_store.engine.connect() as c:
            assert c.execute(text(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = "
                "'message_raw'::regclass AND attname = 'raw'")).scalar() == "l"
