"""Contract of the conversation summary (``triage.store.summary``), on SQLite and PostgreSQL.

The queue, its counts and the dashboard read ``conversation_summary`` rows that every writer
keeps. Here a random sequence of every write that changes an input (ingest, processing,
quarantine, met, answered, deadlines added, moved and closed, discard and undo, assign,
reclassify, a reply sent, resolve) runs through the store's public methods, and after each
step the queue is compared with the open conversations recomputed in Python from the raw
tables, and the summary with its SQL recomputation. A writer that forgets to refresh the
summary fails this test.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from tests.conftest import NOW, make_email
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.models import Classification, Draft, OutgoingReply
from triage.store import Ingest, Processed, Store
from triage.store import schema as s
from triage.store.conversations import RESPONSE_KINDS, ConversationFilter, StateCut
from triage.store.db import alembic_config
from triage.store.deadline_store import DeadlineStore
from triage.store.drafts import Reclassification

SUPPORT = "support@example.com"
CATEGORIES = ("complaint", "request", "suggestion", "technical_issue")
AGENTS = ("ann", "bob")
CUT = StateCut(NOW, {("email", ""): NOW + timedelta(hours=2),
                     ("email", "other"): NOW + timedelta(hours=6)})


def mail(n: int, sender: str, parent: dict[str, Any] | None, received: datetime) -> bytes:
    """Mail number ``n``; with ``parent`` (a stored message row) a reply in its thread."""
    if parent is None:
        return make_email(f"Case {n}", f"Order {n} {'crash' if n % 3 == 0 else 'late'}",
                          sender, f"<m{n}@x>", received)
    return make_email(f"Re: {parent['subject']}", f"About order {n}", sender, f"<m{n}@x>",
                      received, In_Reply_To=parent["message_id"],
                      References=parent["message_id"])


class World:
    """The store under test and what the random operations need to remember."""

    def __init__(self, store: Store, rng: random.Random) -> None:
        self.st, self.rng, self.n = store, rng, 0
        self.most_open = self.most_messages = 0  # the largest queue and conversation seen
        self.answered = DeadlineStore(store, [SUPPORT])
        for src in ("inbox", "other"):
            store.ensure_source(src, "maildir")

    # ------------------------------------------------------------ raw reads
    def rows(self, table: Any) -> list[dict[str, Any]]:
        with self.st.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(select(table))]

    def ids(self, status: str | None = None) -> list[int]:
        return sorted(m["id"] for m in self.rows(s.messages)
                      if status is None or m["status"] == status)

    def open_deadlines(self) -> list[dict[str, Any]]:
        return [d for d in self.rows(s.deadlines) if d["met_at"] is None
                and d["state"] not in ("met", "closed")]

    # ----------------------------------------------------------- operations
    def ingest(self) -> None:
        self.n += 1
        known = [m for m in self.rows(s.messages) if m["message_id"]]
        parent = self.rng.choice(known) if known and self.rng.random() < 0.4 else None
        sender = f"c{self.n % 5}@x.com"
        if parent is not None:  # the customer again, or our reply from the support address
            sender = SUPPORT if self.rng.random() < 0.2 else parent["sender"]
        raw = mail(self.n, sender, parent, NOW - timedelta(minutes=self.rng.randint(0, 600)))
        src = self.rng.choice(("inbox", "inbox", "other"))
        self.st.add_items(src, [Ingest(str(self.n), raw, parse_email(raw, fallback_received=NOW))],
                          {}, threader=assign_threads)

    def process(self) -> None:
        new = self.ids("new")
        if not new:
            return
        mid = self.rng.choice(new)
        cat = self.rng.choice(CATEGORIES)
        cl = Classification(cat, 0.8, self.rng.choice(("en", "vi")), "v1",
                            self.rng.random() < 0.3, {cat: 0.8})
        due = NOW + timedelta(minutes=self.rng.randint(-300, 600))
        self.st.save_processing(mid, cl, due if self.rng.random() < 0.9 else None, "p",
                                Draft("Re", "Hi", "t.j2", "en"),
                                kind=self.rng.choice(RESPONSE_KINDS))

    def quarantine(self) -> None:
        # a failure after processing takes an open message out of its conversation
        ids = [d["message_id"] for d in self.open_deadlines()] or self.ids()
        if ids:
            self.st.quarantine(self.rng.choice(ids), "broken")

    def met(self) -> None:
        if ds := self.open_deadlines():
            self.st.mark_met(self.rng.choice(ds)["message_id"], by="ann")

    def answered_sweep(self) -> None:
        self.answered.mark_answered()

    def add_deadline(self) -> None:
        if ids := self.ids("processed"):
            self.st.deadlines.add_deadline(self.rng.choice(ids), "next_response", "p",
                                           NOW + timedelta(minutes=self.rng.randint(-60, 300)),
                                           "normal")

    def move(self) -> None:
        if ds := self.open_deadlines():
            self.st.deadlines.set_due(self.rng.choice(ds)["id"],
                                      NOW + timedelta(minutes=self.rng.randint(-300, 600)))

    def close(self) -> None:
        if ds := self.open_deadlines():
            self.st.deadlines.set_states({self.rng.choice(ds)["id"]: "closed"})

    def discard_or_undo(self) -> None:
        drafts = self.rows(s.drafts)
        pending = [d for d in drafts if d["status"] == "pending_review"]
        closed = {d["message_id"] for d in self.rows(s.deadlines) if d["state"] == "closed"}
        gone = [d for d in drafts if d["status"] == "discarded"]
        gone = [d for d in gone if d["message_id"] in closed] or gone  # undo what reopens
        if gone and self.rng.random() < 0.5:
            self.st.drafts.undo_discard(self.rng.choice(gone)["id"], "ann",
                                        NOW - timedelta(minutes=5))
        elif pending:
            self.st.drafts.discard(self.rng.choice(pending)["id"], "ann")

    def assign(self) -> None:
        if ids := self.ids():
            self.st.drafts.assign(self.rng.choice(ids), self.rng.choice(AGENTS))

    def reclassify(self) -> None:
        sent = {d["message_id"] for d in self.rows(s.drafts)
                if d["status"] in ("approved", "sent")}
        ids = [i for i in self.ids("processed") if i not in sent]
        if not ids:
            return
        mid, cat = self.rng.choice(ids), self.rng.choice(CATEGORIES)
        self.st.drafts.reclassify(Reclassification(
            mid, Classification(cat, 1.0, self.rng.choice(("en", "vi")), "agent", False,
                                {cat: 1.0}), Draft("Re", "Hi", "t.j2", "en"),
            NOW + timedelta(minutes=self.rng.randint(-300, 600)), "p", "normal", "ok",
            "text", "email", None), "ann")

    def send(self) -> None:
        if not (ds := self.open_deadlines()):
            return
        self.n += 1
        mid = self.rng.choice(ds)["message_id"]
        oid, _ = self.st.outbox.enqueue(OutgoingReply(f"k{self.n}", mid, "email", "c@x.com",
                                                      "Re", "Hi"), None, "ann")
        if self.rng.random() < 0.7:  # else it stays on its way (open, not waiting)
            row = self.st.outbox.claim(oid, "me")
            assert row is not None
            self.st.outbox.mark_sent(row, f"r{self.n}", meet_deadline=True)

    def resolve(self) -> None:
        threaded = [m["id"] for m in self.rows(s.messages) if m["thread_id"]]
        if threaded:
            mid = self.rng.choice(threaded)
            self.st.deadlines.add_deadline(mid, "resolution", "p", NOW, "normal")
            self.st.deadlines.resolve(mid, "ann")

    OPS = ("ingest", "ingest", "ingest", "process", "process", "process", "process", "process",
           "quarantine", "met",
           "answered_sweep", "add_deadline", "move", "close", "discard_or_undo", "assign",
           "assign", "reclassify", "send", "resolve")

    # -------------------------------------------------------------- oracle
    def expected(self) -> list[dict[str, Any]]:
        """The open conversations as the module docstring of triage.store.conversations
        defines them, computed in Python from the raw rows, most urgent first."""
        msgs = {m["id"]: m for m in self.rows(s.messages)}
        current = {c["message_id"]: c for c in self.rows(s.classifications) if c["current"]}

        def conv(mid: int) -> int:
            return msgs[mid]["thread_id"] or -mid

        latest: dict[int, dict[str, Any]] = {}
        for a in sorted(self.rows(s.assignments), key=lambda a: a["id"]):
            latest[conv(a["message_id"])] = a
        groups: dict[int, list[dict[str, Any]]] = {}
        for d in self.rows(s.deadlines):
            m = msgs[d["message_id"]]
            if (d["kind"] in RESPONSE_KINDS and d["met_at"] is None and d["state"] != "closed"
                    and m["status"] == "processed" and not m["is_auto"]):
                groups.setdefault(conv(m["id"]), []).append(d)
        out = []
        for k, ds in groups.items():
            newest = msgs[max(d["message_id"] for d in ds)]
            due = min(d["due_at"] for d in ds).replace(tzinfo=NOW.tzinfo)
            chan = max(msgs[d["message_id"]]["channel"] for d in ds)
            src = max(msgs[d["message_id"]]["source"] for d in ds)
            soon = CUT.soon.get((chan, src), CUT.soon.get((chan, ""), NOW))
            cl = current.get(newest["id"], {})
            out.append({"conv": k, "id": newest["id"], "due_at": due,
                        "state": "breached" if due <= NOW else
                        "due_soon" if due <= soon else "ok",
                        "category": cl.get("category"), "language": cl.get("language"),
                        "needs_review": cl.get("needs_review"),
                        "assignee": latest[k]["agent"] if k in latest else None,
                        "received_at": newest["received_at"].replace(tzinfo=NOW.tzinfo),
                        "source": newest["source"]})
        return sorted(out, key=lambda r: (r["due_at"], r["conv"]))

    def check(self, step: str) -> None:
        want = self.expected()
        keys = ("conv", "id", "due_at", "state", "category", "language", "assignee")

        def page(**kw: Any) -> list[tuple[Any, ...]]:
            rows, total = self.st.conversations.page(ConversationFilter(me="ann", **kw), CUT,
                                                     size=1000)
            assert total == len(rows), step
            return [tuple(r[k] for k in keys) for r in rows]

        def rows(pred: Any = lambda r: True) -> list[tuple[Any, ...]]:
            return [tuple(r[k] for k in keys) for r in want if pred(r)]

        assert self.st.summary.drift() == [], step
        assert page() == rows(), step
        self.most_open = max(self.most_open, len(want))
        self.most_messages = max([self.most_messages, *(
            r["messages"] for r in self.st.conversations.page(ConversationFilter(), CUT)[0])])
        assert page(assignee="mine") == rows(lambda r: r["assignee"] == "ann"), step
        assert page(assignee="unassigned") == rows(lambda r: r["assignee"] is None), step
        assert page(state="due_soon") == rows(lambda r: r["state"] == "due_soon"), step
        assert page(state="breached") == rows(lambda r: r["state"] == "breached"), step
        assert page(category="request") == rows(lambda r: r["category"] == "request"), step
        assert page(needs_review="yes") == rows(lambda r: r["needs_review"] is True), step
        assert page(source="other") == rows(lambda r: r["source"] == "other"), step
        by_received = sorted(want, key=lambda r: (-r["received_at"].timestamp(), r["due_at"],
                                                  r["conv"]))
        assert page(sort="received") == [tuple(r[k] for k in keys) for r in by_received], step
        counts = self.st.conversations.counts(CUT)
        assert (counts.open, counts.ok, counts.due_soon, counts.breached) == (
            len(want), *(sum(r["state"] == st for r in want)
                         for st in ("ok", "due_soon", "breached"))), step
        breakdown = self.st.conversations.breakdown(CUT)
        assert sum(breakdown["category"].values()) == len(want), step


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_matches_a_recomputation_after_random_writes(any_store: Store,
                                                             seed: int) -> None:
    world = World(any_store, random.Random(seed))
    for _ in range(20):
        world.ingest()
    done = []
    for i in range(160):
        op = world.rng.choice(World.OPS)
        getattr(world, op)()
        done.append(op)
        world.check(f"step {i}: {op}")
    # every write path ran, on a queue that was not trivially small, with threads
    assert set(done) == set(World.OPS)
    assert world.most_open >= 5 and world.most_messages >= 3


def test_migration_fills_the_summary_from_existing_rows(any_store: Store) -> None:
    world = World(any_store, random.Random(3))
    for _ in range(15):
        world.ingest()
    for op in ("process",) * 12 + ("assign", "assign", "met", "reclassify", "close"):
        getattr(world, op)()
    before = world.expected()
    assert before
    cfg = alembic_config()
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0017_message_private")
        command.upgrade(cfg, "head")
    assert any_store.summary.drift() == []
    rows, total = any_store.conversations.page(ConversationFilter(), CUT, size=1000)
    assert [(r["conv"], r["id"], r["assignee"]) for r in rows] == [
        (r["conv"], r["id"], r["assignee"]) for r in before] and total == len(before)


def test_rebuild_repairs_a_summary_a_bulk_load_bypassed(any_store: Store) -> None:
    world = World(any_store, random.Random(4))
    for _ in range(6):
        world.ingest()
    for _ in range(6):
        world.process()
    with any_store.engine.begin() as c:  # a bulk load writing rows behind the store's back
        c.execute(s.conversation_summary.delete())
    assert any_store.summary.drift() != []
    assert any_store.summary.rebuild() == len(world.expected())
    assert any_store.summary.drift() == []


def test_concurrent_writers_of_one_conversation_leave_it_right(any_store: Store) -> None:
    """Two threads assigning the two messages of one thread over and over: each refresh sees
    the other's commit (PostgreSQL: the thread row is locked first), so the summary ends with
    the latest assignment and no refresh fails on the other's row."""
    import threading

    world = World(any_store, random.Random(5))
    world.ingest()
    first = world.ids()[0]
    raw = mail(99, "c1@x.com", world.rows(s.messages)[0], NOW)
    [second] = any_store.add_items("inbox", [Ingest("99", raw, parse_email(
        raw, fallback_received=NOW))], {}, threader=assign_threads)
    for mid in (first, second):
        any_store.save_processing(mid, Classification("request", 0.9, "en", "v1", False, {}),
                                  NOW + timedelta(hours=1), "p", None)
    errors: list[BaseException] = []

    def work(mid: int, agent: str) -> None:
        try:
            for _ in range(25):
                any_store.drafts.assign(mid, agent)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(first, "ann")),
               threading.Thread(target=work, args=(second, "bob"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert any_store.summary.drift() == []
    tids = {m["thread_id"] for m in world.rows(s.messages)}
    assert len(tids) == 1 and None not in tids, tids
    [row] = any_store.conversations.page(ConversationFilter(), CUT)[0]
    assert row["assignee"] == world.expected()[0]["assignee"]


class BatchWorld(World):
    """Processing in batches (``save_processing_many``, as the pipeline saves), whose summary
    rows are derived from the batch's own values (``summary.add_opened``) rather than
    recomputed: mixed with the writes that make the derivation fall back."""

    def __init__(self, store: Store, rng: random.Random) -> None:
        super().__init__(store, rng)
        self.seen: set[str] = set()

    def process_batch(self) -> None:
        new = self.ids("new")
        if not new:
            return
        picked = self.rng.sample(new, min(len(new), self.rng.randint(1, 8)))
        msgs = {m["id"]: m for m in self.rows(s.messages)}
        convs = [msgs[i]["thread_id"] or -i for i in picked]
        if len(set(convs)) < len(convs):
            self.seen.add("two of one conversation")
        summary = {r["conv"] for r in self.rows(s.conversation_summary)}
        if summary & set(convs):
            self.seen.add("conversation already open")
        results = []
        for mid in picked:
            cat = self.rng.choice(CATEGORIES)
            cl = (None if self.rng.random() < 0.1 else
                  Classification(cat, 0.7, self.rng.choice(("en", "vi")), "v1",
                                 self.rng.random() < 0.3, {cat: 0.7}))
            due = (None if self.rng.random() < 0.1 else
                   NOW + timedelta(minutes=self.rng.randint(-300, 600)))
            # (next_response is what a message may have been given while it waited)
            kind = self.rng.choice(("first_response", "first_response", "resolution"))
            results.append(Processed(mid, cl, due, "p", Draft("Re", "Hi", "t.j2", "en"),
                                     kind=kind))
        # a second daemon processed one of them meanwhile: it gets nothing twice
        if self.rng.random() < 0.2:
            self.st.save_processing_many(results[:1])
        self.st.save_processing_many(results)

    def deadline_while_waiting(self) -> None:
        if new := self.ids("new"):
            self.seen.add("deadline while waiting")
            self.st.deadlines.add_deadline(self.rng.choice(new), "next_response", "p",
                                           NOW + timedelta(minutes=self.rng.randint(-60, 300)),
                                           "normal")

    def assign_waiting(self) -> None:
        if new := self.ids("new"):
            self.seen.add("assigned while waiting")
            self.st.drafts.assign(self.rng.choice(new), self.rng.choice(AGENTS))

    OPS = ("ingest", "ingest", "ingest", "ingest", "process_batch", "process_batch",
           "process_batch", "deadline_while_waiting", "assign_waiting", "met", "close",
           "assign", "reclassify", "move")


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_summary_of_batches_matches_a_rebuild(any_store: Store, seed: int) -> None:
    world = BatchWorld(any_store, random.Random(seed))
    for _ in range(25):
        world.ingest()
    done = []
    for i in range(120):
        op = world.rng.choice(BatchWorld.OPS)
        getattr(world, op)()
        done.append(op)
        world.check(f"step {i}: {op}")
        if op == "process_batch":  # the derived rows are the rows a rebuild writes
            stored = world.rows(s.conversation_summary)
            any_store.summary.rebuild()
            assert sorted(world.rows(s.conversation_summary), key=lambda r: r["conv"]) == \
                sorted(stored, key=lambda r: r["conv"]), f"step {i}"
    assert set(done) == set(BatchWorld.OPS)
    assert world.seen >= {"two of one conversation", "conversation already open",
                          "deadline while waiting", "assigned while waiting"}, world.seen
    assert world.most_open >= 5 and world.most_messages >= 3
