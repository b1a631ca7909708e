"""The store contract, part two: the read models and smaller aggregates behind the facade.

Run like ``test_store_contract.py`` against SQLite and a real PostgreSQL server
(``any_store``), so every statement of ``store.queue``, ``store.outbox``, ``store.accounts``,
``store.registry``, ``store.acks`` and ``store.status`` runs on both databases.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from tests.conftest import NOW, make_email
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.models import Classification, Draft
from triage.store import Ingest, Store
from triage.store import schema as s
from triage.store.queue import QueueFilter

DRAFT = Draft("Re: x", "Hello", "request.email.j2", "en")


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
    with store.engine.begin() as c:
        c.execute(insert(s.assignments).values(message_id=first, agent="ann",
                                               assigned_at=NOW))
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
    ids = seeded(any_store)
    rows = any_store.queue.queue(QueueFilter())
    assert [r["id"] for r in rows] == [ids["other"], ids["first"]]  # the reply is next_response
    first = rows[1]
    assert first["category"] == "complaint" and first["assignee"] == "ann"
    assert first["draft_status"] == "pending_review" and first["due_at"] == NOW + timedelta(hours=2)
    by = {k: [r["id"] for r in any_store.queue.queue(QueueFilter(**{k: v}))]
          for k, v in (("category", "suggestion"), ("language", "vi"), ("needs_review", "yes"),
                       ("needs_review", "no"), ("q", "PARCEL"), ("source", "nowhere"))}
    assert by == {"category": [ids["other"]], "language": [ids["other"]],
                  "needs_review": [ids["first"]], "q": [ids["first"]], "source": []}
    any_store.mark_met(ids["other"])
    assert [r["id"] for r in any_store.queue.queue(QueueFilter())] == [ids["first"]]
    assert [r["id"] for r in any_store.queue.queue(QueueFilter(state="met"))] == [ids["other"]]
    assert len(any_store.queue.queue(QueueFilter(), limit=0)) == 0


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
    assert q.current_classification(ids["other"])["language"] == "vi"  # type: ignore[index]
    assert q.current_classification(ids["auto"]) is None
    assert q.current_draft(ids["first"])["text"] == "Hello"  # type: ignore[index]
    assert q.current_draft(ids["reply"]) is None
    assert q.deadline(ids["first"])["due_at"] == NOW + timedelta(hours=2)  # type: ignore[index]
    assert q.deadline(ids["reply"]) is None  # a next response, not a first one
    res = q.open_resolution(msg)
    assert res is not None and res["kind"] == "resolution" and res["message_id"] == ids["first"]
    assert q.assignee(ids["first"]) == "ann" and q.assignee(ids["other"]) is None
    assert [c["new_category"] for c in q.corrections(ids["first"])] == ["complaint"]
    assert [o["idempotency_key"] for o in q.outbox_rows(ids["first"])] == ["k1"]
    assert q.outbox_rows(ids["other"]) == []


def test_dashboard_counts(any_store: Store) -> None:
    seeded(any_store)
    assert any_store.queue.dashboard() == {
        "state": {"ok": 2}, "category": {"complaint": 1, "suggestion": 1},
        "channel": {"email": 2}, "language": {"en": 1, "vi": 1},
        "messages": {"processed": 4}, "outbox": {"pending": 1}}
