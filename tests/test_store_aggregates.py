"""The store contract, part two: the read models and smaller aggregates behind the facade.

Run like ``test_store_contract.py`` against SQLite and a real PostgreSQL server
(``any_store``), so every statement of ``store.queue``, ``store.outbox``, ``store.accounts``,
``store.registry``, ``store.acks`` and ``store.status`` runs on both databases.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from tests.conftest import NOW, make_email
from triage.clock import FrozenClock
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.models import Classification, Draft, OutgoingReply
from triage.store import Ingest, Store
from triage.store import schema as s
from triage.store.conversations import ConversationFilter, StateCut
from triage.store.outbox import reply_of
from triage.store.ownership import Owner

DRAFT = Draft("Re: x", "Hello", "request.email.j2", "en")


def reply(key: str, mid: int, channel: str = "email", **kw: Any) -> OutgoingReply:
    return OutgoingReply(key, mid, channel, kw.pop("to", "ann@example.com"), "Re: x", "Hi", **kw)


def cl(category: str, needs_review: bool = False, language: str = "en") -> Classification:
    return Classification(category, 0.9, language, "v1", needs_review, {category: 0.9})


def ingest(store: Store, *mails: dict[str, str], source: str = "inbox") -> list[int]:
    """Store one email per keyword dict (make_email's arguments); return the ids."""
    store.ensure_source(source, "maildir")
    items = []
    for kw in mails:
        raw = make_email(**kw)
        items.append(Ingest(kw["msgid"], raw, parse_email(raw, fallback_received=NOW)))
    return store.add_items(source, items, {}, threader=assign_threads)


def seeded(store: Store) -> dict[str, int]:
    """Three customer mails (one a reply in the first one's thread) and an automatic one,
    processed; the first assigned, corrected and with an outbox row."""
    first, reply, other, auto = ingest(
        store,
        dict(msgid="<a@x>", subject="Order late", body="Where is my parcel?"),
        dict(msgid="<b@x>", subject="Re: Order late", In_Reply_To="<a@x>",
             References="<a@x>", body="Still nothing"),
        dict(msgid="<c@x>", subject="Idea", sender="Bo <bo@example.org>",
             body="Please add a dark mode"),
        dict(msgid="<d@x>", subject="Out of office", Auto_Submitted="auto-replied"))
    store.save_processing(first, cl("complaint"), NOW + timedelta(hours=2), "p", DRAFT)
    store.save_processing(reply, cl("complaint"), NOW + timedelta(hours=3), "p", None,
                          kind="next_response")
    store.save_processing(other, cl("suggestion", needs_review=True, language="vi"),
                          NOW + timedelta(hours=1), "p", DRAFT)
    store.save_processing(auto, None, None, "", None)
    store.drafts.assign(first, "ann")
    with store.engine.begin() as c:
        c.execute(insert(s.corrections).values(
            message_id=first, text="Where is my parcel?", language="en", channel="email",
            old_category="request", new_category="complaint", agent="ann", created_at=NOW))
        c.execute(insert(s.outbox).values(
            idempotency_key="k1", message_id=first, channel="email", payload={},
            status="pending", attempts=0, next_attempt_at=NOW, created_at=NOW, actor="ann"))
    store.deadlines.add_deadline(first, "resolution", "p", NOW + timedelta(days=3), "normal")
    return {"first": first, "reply": reply, "other": other, "auto": auto}


# -------------------------------------------------------------------------- queue
def test_queue_lists_open_customer_mail_soonest_due_first(any_store: Store) -> None:
    """The conversation queue (the message-level queue it replaced is gone): one row per open
    conversation, soonest due first, showing its newest open customer message."""
    ids = seeded(any_store)
    cut = StateCut(NOW, {("email", ""): NOW + timedelta(minutes=30)})

    def got(**kw: str) -> list[int]:
        return [r["id"] for r in any_store.conversations.page(ConversationFilter(**kw),
                                                              cut)[0]]

    rows, total = any_store.conversations.page(ConversationFilter(), cut)
    # the customer's follow-up (a next response) waits for a reply too (issue 16, defect 1):
    # it is the newest open message of the first thread, which is due when its first is
    assert [r["id"] for r in rows] == [ids["other"], ids["reply"]] and total == 2
    thread = rows[1]
    assert thread["category"] == "complaint" and thread["assignee"] == "ann"
    assert thread["due_at"] == NOW + timedelta(hours=2) and thread["messages"] == 2
    assert thread["draft_status"] is None and rows[0]["draft_status"] == "pending_review"
    by = {f"{k}={v}": got(**{k: v})
          for k, v in (("category", "suggestion"), ("language", "vi"), ("needs_review", "yes"),
                       ("needs_review", "no"), ("q", "NOTHING"), ("q", "parcel"),
                       ("source", "nowhere"), ("assignee", "ann"),
                       ("assignee", "unassigned"))}
    assert by == {"category=suggestion": [ids["other"]], "language=vi": [ids["other"]],
                  "needs_review=yes": [ids["other"]], "needs_review=no": [ids["reply"]],
                  "q=NOTHING": [ids["reply"]], "q=parcel": [], "source=nowhere": [],
                  "assignee=ann": [ids["reply"]], "assignee=unassigned": [ids["other"]]}
    # the first thread has a reply on its way (its outbox row is pending)
    assert any_store.conversations.counts(cut).as_dict() == {
        "open": 2, "waiting": 1, "ok": 2, "due_soon": 0, "breached": 0, "met": 0}
    any_store.mark_met(ids["other"])
    assert got() == [ids["reply"]]
    assert any_store.conversations.counts(cut).met == 1
    assert any_store.conversations.page(ConversationFilter(), cut, size=0)[0] == []
    assert any_store.summary.drift() == []


def test_queue_filter_choices_and_sources(any_store: Store) -> None:
    seeded(any_store)
    ingest(any_store, dict(msgid="<z@x>"), source="other-box")
    assert any_store.queue.filter_choices() == {"channel": ["email"],
                                                "source": ["inbox", "other-box"],
                                                "language": ["en", "vi"]}
    assert any_store.queue.known_sources() == ["inbox", "other-box"]


def test_message_page_read_models(any_store: Store) -> None:
    ids = seeded(any_store)
    q = any_store.queue
    msg = any_store.message(ids["reply"])
    assert [m["id"] for m in q.thread_messages(msg)] == [ids["first"], ids["reply"]]
    assert "raw" not in q.thread_messages(msg)[0]
    alone = {"id": 99, "thread_id": None}
    assert q.thread_messages(alone) == [alone] and q.open_resolution(alone) is None
    assert any_store.drafts.classification(ids["other"])["language"] == "vi"  # type: ignore[index]
    assert any_store.drafts.classification(ids["auto"]) is None
    assert any_store.drafts.current(ids["first"])["text"] == "Hello"  # type: ignore[index]
    assert any_store.drafts.current(ids["reply"]) is None
    assert q.deadline(ids["first"])["due_at"] == NOW + timedelta(hours=2)  # type: ignore[index]
    assert q.deadline(ids["reply"])["kind"] == "next_response"  # type: ignore[index]
    res = q.open_resolution(msg)
    assert res is not None and res["kind"] == "resolution" and res["message_id"] == ids["first"]
    drafts = any_store.drafts
    assert drafts.assignee(ids["first"]) == "ann" and drafts.assignee(ids["other"]) is None
    assert [c["new_category"] for c in q.corrections(ids["first"])] == ["complaint"]
    assert [o["idempotency_key"] for o in q.outbox_rows(ids["first"])] == ["k1"]
    assert q.outbox_rows(ids["other"]) == []


def test_dashboard_counts(any_store: Store) -> None:
    seeded(any_store)
    assert any_store.queue.dashboard() == {
        "state": {"ok": 2}, "category": {"complaint": 1, "suggestion": 1},
        "channel": {"email": 2}, "language": {"en": 1, "vi": 1},
        "messages": {"processed": 4}, "outbox": {"pending": 1}}


# ------------------------------------------------------------------------- outbox
def test_outbox_enqueue_is_idempotent(any_store: Store) -> None:
    (mid,) = ingest(any_store, dict(msgid="<a@x>"))
    box = any_store.outbox
    first = reply("k1", mid, to="a@x", references=["<p@x>"], extra={"kind": "acknowledgement"})
    oid, new = box.enqueue(first, None, "ann")
    assert new and box.enqueue(reply("k1", mid, to="b@x"), None, "bo") == (oid, False)
    row = box.get(oid)
    assert row is not None and row["status"] == "pending" and row["actor"] == "ann"
    assert reply_of(row) == first  # the payload keeps the whole reply
    assert row["next_attempt_at"] == NOW and box.get(oid + 1) is None
    other, _ = box.enqueue(reply("k2", mid, "x"), None, "ann")
    assert [r["id"] for r in box.rows()] == [other, oid]
    assert [r["id"] for r in box.rows("pending", limit=1)] == [other]
    assert box.rows("sent") == [] and box.counts() == {"pending": 2}
    assert box.due_ids(10) == [oid, other] and box.due_ids(10, only_ids=[other]) == [other]


def test_outbox_claim_fail_retry_and_send(any_store: Store, clock: FrozenClock) -> None:
    (mid,) = ingest(any_store, dict(msgid="<a@x>"))
    any_store.save_processing(mid, cl("request"), NOW + timedelta(hours=1), "p", DRAFT)
    draft = any_store.drafts.current(mid)
    assert draft is not None
    box = any_store.outbox
    oid, _ = box.enqueue(reply("k1", mid, "email"), draft["id"], "ann")
    row = box.claim(oid, "host:1:a")
    assert row is not None and (row["status"], row["attempts"]) == ("sending", 1)
    assert row["claimed_by"] == "host:1:a" and row["claimed_at"] == NOW
    assert box.claim(oid, "host:2:b") is None  # taken
    box.record_failure(oid, "timeout", NOW + timedelta(minutes=5))
    assert box.get(oid)["status"] == "pending" and box.due_ids(10) == []  # type: ignore[index]
    clock.advance(timedelta(minutes=5))
    assert box.due_ids(10) == [oid]
    row = box.claim(oid, "host:1:a")
    assert row is not None and row["attempts"] == 2
    box.mark_sent(row, "<r@x>", meet_deadline=True)
    sent = box.get(oid)
    assert sent is not None and (sent["status"], sent["remote_id"]) == ("sent", "<r@x>")
    assert sent["last_error"] is None and sent["sent_at"] == clock.now()
    assert any_store.drafts.current(mid)["status"] == "sent"  # type: ignore[index]
    assert any_store.queue.deadline(mid)["state"] == "met"  # type: ignore[index]
    other, _ = box.enqueue(reply("k2", mid, "email"), None, "ann")
    box.record_failure(other, "rejected", None)
    assert box.counts() == {"sent": 1, "failed": 1}


def test_outbox_acknowledgement_sent_leaves_the_deadline_open(any_store: Store) -> None:
    (mid,) = ingest(any_store, dict(msgid="<a@x>"))
    any_store.save_processing(mid, cl("request"), NOW + timedelta(hours=1), "p", None)
    oid, _ = any_store.outbox.enqueue(reply("ack", mid, "email"), None, "auto-ack")
    row = any_store.outbox.claim(oid, "me")
    assert row is not None
    any_store.outbox.mark_sent(row, "<ack@x>", meet_deadline=False)
    assert any_store.queue.deadline(mid)["state"] == "ok"  # type: ignore[index]


def test_outbox_in_doubt_settle_requeue_and_cancel(any_store: Store) -> None:
    (mid,) = ingest(any_store, dict(msgid="<a@x>"))
    box = any_store.outbox
    oid, _ = box.enqueue(reply("k1", mid, "x"), None, "ann")
    assert box.claim(oid, "host:1:a") is not None
    assert [(r["id"], r["claimed_by"]) for r in box.sending_rows()] == [(oid, "host:1:a")]
    assert not box.mark_in_doubt(oid, "host:9:z", "gone")  # someone else's claim now
    assert box.mark_in_doubt(oid, "host:1:a", "gone")
    assert box.get(oid)["last_error"] == "in doubt: gone"  # type: ignore[index]
    assert box.sending_rows() == [] and box.in_doubt_rows(["email"], 10) == []
    assert [r["id"] for r in box.in_doubt_rows(["x", "email"], 10)] == [oid]
    assert box.settle(oid, "host:2:b", found=False)
    row = box.get(oid)
    assert row is not None and (row["status"], row["claimed_by"]) == ("pending", "host:2:b")
    assert not box.settle(oid, "host:2:b", found=True)  # no longer in doubt
    box.set_in_doubt(oid, "broken pipe")
    assert box.settle(oid, "host:2:b", found=True)
    assert box.get(oid)["status"] == "in_doubt"  # type: ignore[index]  # sent is marked next
    assert not box.requeue(oid, "failed") and box.requeue(oid, "in_doubt")
    row = box.get(oid)
    assert row is not None and (row["status"], row["attempts"]) == ("pending", 0)
    assert box.cancel(oid, "pending") and not box.cancel(oid, "pending")
    assert box.counts() == {"cancelled": 1}


# ---------------------------------------------------------------- accounts, registry
def test_accounts_upsert_read_and_rehash(any_store: Store) -> None:
    acc = any_store.accounts
    assert acc.set_user("ann", "h1", "agent") and acc.set_user("bo", "h2", "admin")
    assert not acc.set_user("ann", "h3", "admin")  # reset: same row
    assert acc.user("ann") == ("ann", "admin", "h3") and acc.user("nobody") is None
    assert acc.users() == [("ann", "admin"), ("bo", "admin")]
    acc.set_password_hash("bo", "h4")
    assert acc.user("bo").password_hash == "h4"  # type: ignore[union-attr]
    with any_store.engine.begin() as c:
        c.execute(s.users.update().where(s.users.c.name == "bo").values(disabled=True))
    assert acc.user("bo") is None and acc.users() == [("ann", "admin")]
    assert acc.set_user("bo", "h5", "agent") is False and acc.user("bo") == ("bo", "agent", "h5")


def test_model_versions_and_corrections(any_store: Store, clock: FrozenClock) -> None:
    reg = any_store.registry
    assert reg.versions() == [] and reg.active() is None
    reg.add("v1", "/m/v1.skops", "aa", "c1", {"f1": 0.8})
    clock.advance(timedelta(hours=1))
    reg.add("v2", "/m/v2.skops", "bb", "c2", {"f1": 0.9})
    rows = reg.versions()
    assert [(r["version"], r["active"], r["metrics"]) for r in rows] == [
        ("v1", False, {"f1": 0.8}), ("v2", False, {"f1": 0.9})]
    assert rows[1]["created_at"] == NOW + timedelta(hours=1)  # aware UTC on both databases
    reg.activate("v1")
    clock.advance(timedelta(hours=1))
    reg.activate("v2")
    active = reg.active()
    assert active is not None and active["version"] == "v2"
    assert active["activated_at"] == NOW + timedelta(hours=2)
    assert [r["active"] for r in reg.versions()] == [False, True]
    (mid,) = ingest(any_store, dict(msgid="<a@x>"))
    with any_store.engine.begin() as c:
        for i, at in enumerate((NOW, NOW + timedelta(days=1))):
            c.execute(insert(s.corrections).values(
                message_id=mid, text=f"text {i}", language="en", channel="email",
                old_category="request", new_category="complaint", agent="ann", created_at=at))
    assert [r["text"] for r in reg.corrections()] == ["text 0", "text 1"]
    assert [r["text"] for r in reg.corrections(since=NOW)] == ["text 1"]
    assert reg.count_corrections() == 2 and reg.count_corrections(since=NOW) == 1


# ---------------------------------------------------------------- acks, status reads
def test_acknowledgement_reserved_once_per_thread_and_capped(any_store: Store,
                                                             clock: FrozenClock) -> None:
    a, b, c = ingest(any_store, dict(msgid="<a@x>", subject="One"),
                     dict(msgid="<b@x>", subject="Two"), dict(msgid="<c@x>", subject="Three"))
    ta, tb, tc = (any_store.message(i)["thread_id"] for i in (a, b, c))
    acks = any_store.acks
    assert acks.reserve(ta, a, "ann@example.com", "r", 2).reserved
    assert acks.reserve(ta, a, "ann@example.com", "r", 2) == (False, True, 0)
    assert acks.reserve(tb, b, "ann@example.com", "r", 2).reserved
    assert acks.reserve(tc, c, "ann@example.com", "r", 2) == (False, False, 2)
    acks.failed(tb, "smtp down")  # a failed one does not count against the cap
    assert acks.reserve(tc, c, "ann@example.com", "r", 2).reserved
    acks.sent(ta, "<ack@x>")
    with any_store.engine.connect() as conn:
        rows = {r.thread_id: r for r in conn.execute(s.acknowledgements.select())}
    assert (rows[ta].status, rows[ta].remote_id) == ("sent", "<ack@x>")
    assert (rows[tb].status, rows[tb].error) == ("failed", "smtp down")
    assert rows[tc].status == "reserved"
    clock.advance(timedelta(days=1, seconds=1))  # the 24 hours are over
    (d,) = ingest(any_store, dict(msgid="<d@x>", subject="Four"))
    td = any_store.message(d)["thread_id"]
    assert acks.reserve(td, d, "ann@example.com", "r", 1).reserved


def test_status_reads(any_store: Store, clock: FrozenClock) -> None:
    any_store.status.ping()
    ids = seeded(any_store)
    ingest(any_store, dict(msgid="<n@x>"), source="second")
    any_store.record_source_result("second", "timeout")
    counts = sorted(any_store.status.message_counts())
    assert counts == [("inbox", "complaint", "processed", 2), ("inbox", "none", "processed", 1),
                      ("inbox", "suggestion", "processed", 1), ("second", "none", "new", 1)]
    any_store.mark_met(ids["first"])
    assert any_store.status.deadline_states() == {"ok": 3, "met": 1}
    leases = any_store.leases(Owner("h", 1, "t"), timedelta(minutes=5), alive=lambda pid: True)
    assert leases.acquire_source("inbox")
    any_store.record_source_result("inbox", None)
    health = {r["name"]: r for r in any_store.status.source_health()}
    assert health["inbox"]["last_success_at"] == NOW and health["inbox"]["failures"] == 0
    assert health["inbox"]["lease_owner"] == "h:1:t"
    assert health["second"]["failures"] == 1 and health["second"]["lease_owner"] is None
    assert any_store.status.outbox_counts() == {"pending": 1}
    assert any_store.status.job_leases() == []
    leases.singleton("sweep", lambda: None)()
    (job,) = any_store.status.job_leases()
    assert (job["name"], job["owner"], job["last_run_at"]) == ("sweep", "h:1:t", NOW)
