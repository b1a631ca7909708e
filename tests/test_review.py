"""The review service (``triage.review``) on SQLite and PostgreSQL (``any_store``): every agent
action, what it writes, and what it refuses. Messages are processed by the real pipeline and
model first, so the drafts, classifications and deadlines are the ones agents see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import NOW, make_email
from triage.clock import FrozenClock, ensure_utc
from triage.config import settings_from_mapping
from triage.deadlines.policy import DeadlinePolicy
from triage.drafting.render import Renderer
from triage.errors import NotFound, PlaceholderUnfilled, ReviewError
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.pipeline import Pipeline
from triage.review import ReviewService
from triage.send.log import LogSender
from triage.send.outbox import Outbox
from triage.store import Ingest, Store
from triage.store import schema as s
from triage.store.deadline_store import DeadlineStore

RECEIVED = NOW - timedelta(hours=1)  # the Date of make_email's messages
TARGETS = {"complaint": "4h", "request": "24h", "suggestion": "72h", "technical_issue": "8h"}


@dataclass
class Desk:
    """A processed store with the review service and what it sends through."""

    store: Store
    review: ReviewService
    sender: LogSender
    clock: FrozenClock
    ids: dict[str, int]

    def rows(self, table: Any, message_id: int) -> list[dict[str, Any]]:
        with self.store.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(
                select(table).where(table.c.message_id == message_id).order_by(table.c.id))]

    def audit(self, message_id: int) -> list[str]:
        return [r["action"] for r in self.rows(s.audit_log, message_id)]


@pytest.fixture
def desk(any_store: Store, clock: FrozenClock, classifier: Any) -> Desk:
    settings = settings_from_mapping({"deadlines": {
        "overrides": {"email": TARGETS}, "resolution": {"email": "72h"}}})
    policy = DeadlinePolicy(settings.deadlines)
    renderer = Renderer()
    mails = {
        "late": make_email("My order is late", "I ordered 3 weeks ago and nothing arrived. "
                           "Where is my order?", msgid="<late@example.com>",
                           References="<earlier@example.com>"),
        "crash": make_email("App crashes on login", "The app crashes every time I log in, "
                            "error 500.", sender="Budi <budi@example.co.id>",
                            msgid="<crash@example.com>"),
        "auto": make_email("Out of office", "I am away until Monday.",
                           sender="Away <away@example.com>", msgid="<auto@example.com>",
                           Auto_Submitted="auto-replied"),
    }
    any_store.ensure_source("inbox", "maildir")
    ids = any_store.add_items("inbox", [
        Ingest(k, raw, parse_email(raw, fallback_received=NOW)) for k, raw in mails.items()], {},
        threader=assign_threads)
    Pipeline(any_store, classifier, renderer, policy, clock).process_pending()
    sender = LogSender()
    outbox = Outbox(any_store, {"email": sender})
    review = ReviewService(any_store, renderer, policy, DeadlineStore(any_store), clock,
                           outbox=lambda: outbox, classifier=lambda: classifier)
    return Desk(any_store, review, sender, clock, dict(zip(mails, ids, strict=True)))


def test_save_keeps_the_edit_on_one_subject_line(desk: Desk) -> None:
    mid = desk.ids["late"]
    before = desk.store.drafts.current(mid)
    done = desk.review.save(mid, "ann", "Re: late\nparcel", "Hello,\r\nit ships today.")
    assert done.draft_id == before["id"]
    after = desk.store.drafts.current(mid)
    assert (after["subject"], after["text"]) == ("Re: late parcel", "Hello,\nit ships today.")
    assert (after["status"], after["updated_by"]) == ("pending_review", "ann")
    desk.review.save(mid, "bo", "  ", None)  # empty subject and no text: both kept
    kept = desk.store.drafts.current(mid)
    assert (kept["subject"], kept["text"], kept["updated_by"]) == (
        "Re: late parcel", "Hello,\nit ships today.", "bo")
    assert desk.audit(mid) == ["save_draft", "save_draft"]


def test_approve_queues_one_threaded_reply_and_send_meets_the_deadline(desk: Desk) -> None:
    mid = desk.ids["late"]
    done = desk.review.approve(mid, "ann", None, "We are on it; it ships today.")
    draft = desk.store.drafts.current(mid)
    assert (draft["id"], draft["status"], draft["text"]) == (
        done.draft_id, "approved", "We are on it; it ships today.")
    [row] = desk.rows(s.outbox, mid)
    assert row["id"] == done.outbox_id and row["status"] == "pending"
    assert row["payload"]["to"] == "ann@example.com"
    assert row["payload"]["in_reply_to"] == "<late@example.com>"
    assert row["payload"]["references"] == ["<earlier@example.com>"]  # the sender adds ours
    assert row["payload"]["subject"] == draft["subject"] and row["actor"] == "ann"
    with pytest.raises(ReviewError, match="approved and is being sent"):
        desk.review.approve(mid, "ann", None, "again")
    assert desk.review.send(done.outbox_id).sent == 1
    assert [r.text for r in desk.sender.sent] == ["We are on it; it ships today."]
    assert desk.store.drafts.current(mid)["status"] == "sent"
    [deadline] = [d for d in desk.rows(s.deadlines, mid) if d["kind"] == "first_response"]
    assert deadline["state"] == "met"
    with pytest.raises(ReviewError, match=r"no draft to change \(draft: sent\)"):
        desk.review.approve(mid, "ann")
    assert desk.review.send(done.outbox_id).sent == 0 and len(desk.sender.sent) == 1
    assert {"save_draft", "approve", "enqueue_reply", "send"} <= set(desk.audit(mid))


def test_approve_refuses_placeholders_and_empty_replies(desk: Desk) -> None:
    mid = desk.ids["late"]
    before = desk.store.drafts.current(mid)
    marked = "We refund [[fill: refund amount]] today."
    with pytest.raises(PlaceholderUnfilled, match="refund amount") as err:
        desk.review.approve(mid, "ann", None, marked)
    assert err.value.labels == ["refund amount"]
    assert desk.store.drafts.current(mid)["text"] == before["text"]  # nothing written
    with pytest.raises(PlaceholderUnfilled, match="refund amount"):
        desk.review.approve(mid, "ann", None, marked, keep_edit=True)
    assert desk.store.drafts.current(mid)["text"] == marked  # the page keeps the edit
    with pytest.raises(PlaceholderUnfilled, match="refund amount"):
        desk.review.approve(mid, "ann")  # the saved text still has the marker
    with pytest.raises(PlaceholderUnfilled, match="empty"):
        desk.review.approve(mid, "ann", None, " \n ")
    assert desk.rows(s.outbox, mid) == []
    assert desk.store.drafts.current(mid)["status"] == "pending_review"


def test_discard_then_nothing_can_change_the_draft(desk: Desk) -> None:
    mid = desk.ids["crash"]
    draft_id = desk.store.drafts.current(mid)["id"]
    assert desk.review.discard(mid, "ann").draft_id == draft_id
    assert desk.store.drafts.current(mid)["status"] == "discarded"
    for act in (lambda: desk.review.discard(mid, "ann"),
                lambda: desk.review.save(mid, "ann", None, "x"),
                lambda: desk.review.approve(mid, "ann", None, "x")):
        with pytest.raises(ReviewError, match=r"no draft to change \(draft: discarded\)"):
            act()
    assert desk.audit(mid) == ["discard_draft"]


def test_a_draft_changed_meanwhile_is_not_overwritten(desk: Desk) -> None:
    """The store's guard: a write finds the draft no longer open (another agent approved it
    between our read and our write) and changes nothing."""
    mid = desk.ids["late"]
    draft = desk.store.drafts.current(mid)
    desk.store.drafts.approve(draft["id"], draft["subject"], draft["text"], "bo")
    for write in (lambda: desk.store.drafts.save_edit(draft["id"], "s", "t", "ann"),
                  lambda: desk.store.drafts.discard(draft["id"], "ann"),
                  lambda: desk.store.drafts.approve(draft["id"], "s", "t", "ann")):
        with pytest.raises(ReviewError, match=r"changed meanwhile .*approved now"):
            write()
    after = desk.store.drafts.current(mid)
    assert (after["status"], after["text"], after["updated_by"]) == (
        "approved", draft["text"], "bo")


def test_assign_replaces_the_assignee(desk: Desk) -> None:
    mid = desk.ids["crash"]
    assert desk.review.assign(mid, "ann").agent == "ann"
    desk.review.assign(mid, "bo")
    assert [r["agent"] for r in desk.rows(s.assignments, mid)] == ["bo"]
    assert desk.store.drafts.assignee(mid) == "bo"
    assert desk.audit(mid) == ["assign", "assign"]


def test_resolve_meets_the_open_resolution_deadline_once(desk: Desk) -> None:
    mid = desk.ids["crash"]
    assert desk.review.resolve(mid, "ann").deadlines == 0  # none open yet
    dstore = DeadlineStore(desk.store)
    assert dstore.add_deadline(mid, "resolution", "email/default", NOW + timedelta(days=3),
                               "normal")
    assert desk.review.resolve(mid, "ann").deadlines == 1
    [row] = [d for d in desk.rows(s.deadlines, mid) if d["kind"] == "resolution"]
    assert (row["state"], row["met_by"]) == ("met", "ann")
    assert desk.review.resolve(mid, "ann").deadlines == 0
    assert desk.audit(mid) == ["resolve"]


def test_reclassify_redrafts_moves_the_deadline_and_records_the_correction(desk: Desk) -> None:
    mid = desk.ids["late"]
    old_cl = desk.store.drafts.classification(mid)
    old_draft = desk.store.drafts.current(mid)
    target = "suggestion" if old_cl["category"] != "suggestion" else "complaint"
    desk.clock.advance(timedelta(minutes=5))
    done = desk.review.reclassify(mid, target, "ann")
    assert (done.old_category, done.new_category) == (old_cl["category"], target)
    cl = desk.store.drafts.classification(mid)
    assert (cl["category"], cl["confidence"], cl["model_version"], cl["needs_review"]) == (
        target, 1.0, "agent:ann", False)
    assert cl["language"] == old_cl["language"] and cl["scores"] == old_cl["scores"]
    assert sum(r["current"] for r in desk.rows(s.classifications, mid)) == 1
    draft = desk.store.drafts.current(mid)
    assert draft["id"] == done.draft_id != old_draft["id"]
    assert draft["template"].endswith(f"{target}.email.j2")
    assert (draft["status"], draft["updated_by"]) == ("pending_review", "ann")
    assert "[#T-" in draft["subject"]
    assert [d["status"] for d in desk.rows(s.drafts, mid)] == ["superseded", "pending_review"]
    [deadline] = [d for d in desk.rows(s.deadlines, mid) if d["kind"] == "first_response"]
    due = RECEIVED + {"suggestion": timedelta(hours=72), "complaint": timedelta(hours=4)}[target]
    assert ensure_utc(deadline["due_at"]) == due == done.due_at
    assert deadline["policy"] == f"email/{target}" and deadline["state"] == "ok"
    [fix] = desk.rows(s.corrections, mid)
    assert (fix["old_category"], fix["new_category"], fix["agent"], fix["channel"]) == (
        old_cl["category"], target, "ann", "email")
    assert "nothing arrived" in fix["text"]
    assert desk.audit(mid) == ["reclassify"]


def test_reclassify_supersedes_a_discarded_draft_and_may_breach(desk: Desk) -> None:
    mid = desk.ids["crash"]
    desk.review.discard(mid, "ann")
    desk.clock.advance(timedelta(hours=5))  # received 6 h ago: a 4 h target is breached
    done = desk.review.reclassify(mid, "complaint", "ann")
    assert [d["status"] for d in desk.rows(s.drafts, mid)] == ["superseded", "pending_review"]
    [deadline] = [d for d in desk.rows(s.deadlines, mid) if d["kind"] == "first_response"]
    assert deadline["state"] == "breached" and done.due_at == RECEIVED + timedelta(hours=4)
    assert deadline["next_check_at"] is None  # the sweep looks at it again


def test_reclassify_refusals(desk: Desk) -> None:
    late, auto = desk.ids["late"], desk.ids["auto"]
    with pytest.raises(ReviewError, match="unknown category 'praise'"):
        desk.review.reclassify(late, "praise", "ann")
    with pytest.raises(ReviewError, match="automatic"):
        desk.review.reclassify(auto, "request", "ann")
    desk.review.approve(late, "ann", None, "It ships today.")
    with pytest.raises(ReviewError, match="already approved"):
        desk.review.reclassify(late, "complaint", "ann")
    assert desk.rows(s.corrections, late) == []
    assert len(desk.rows(s.classifications, late)) == 1


@pytest.mark.parametrize("action", ["save", "approve", "discard", "assign", "resolve",
                                    "reclassify"])
def test_every_action_on_an_unknown_message_is_not_found(desk: Desk, action: str) -> None:
    calls = {
        "save": lambda: desk.review.save(9999, "ann", None, "x"),
        "approve": lambda: desk.review.approve(9999, "ann", None, "x"),
        "discard": lambda: desk.review.discard(9999, "ann"),
        "assign": lambda: desk.review.assign(9999, "ann"),
        "resolve": lambda: desk.review.resolve(9999, "ann"),
        "reclassify": lambda: desk.review.reclassify(9999, "request", "ann"),
    }
    with pytest.raises(NotFound, match="message 9999 does not exist"):
        calls[action]()
    with desk.store.engine.connect() as c:
        assert c.execute(select(s.audit_log).where(s.audit_log.c.message_id == 9999)).first() \
            is None


def test_explain_names_terms_of_the_message(desk: Desk) -> None:
    mid = desk.ids["crash"]
    msg = desk.store.message(mid)
    cl = desk.store.drafts.classification(mid)
    ex = desk.review.explain(msg, cl)
    assert ex.scores[0][0] == max(cl["scores"], key=cl["scores"].get)
    assert ex.terms and any("crash" in t for t, _ in ex.terms)
    assert desk.review.explain(msg, None).terms == []
