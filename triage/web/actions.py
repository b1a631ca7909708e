"""What agents do on the review page (and through the JSON API): one function per button.

Each returns what changed and writes the audit log; errors are TriageError subclasses whose
text an agent can act on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from triage.drafting.render import DraftRequest
from triage.errors import NotFound, TriageError
from triage.models import CATEGORIES, Classification, OutgoingReply
from triage.send.outbox import Outbox, idempotency_key
from triage.store import schema as s
from triage.web import queries
from triage.web.accounts import User
from triage.web.placeholders import ensure_sendable


class ActionError(TriageError):
    """An action was refused (nothing to approve, already sent, bad category)."""


def _open_draft(app: Any, message_id: int) -> dict[str, Any]:
    draft = queries.current_draft(app.store, message_id)
    if draft is None or draft["status"] not in ("pending_review", "approved"):
        state = draft["status"] if draft else "none"
        raise ActionError(f"message {message_id} has no draft to change (draft: {state}); "
                          "reclassify it to make a new draft")
    return draft


def save_draft(app: Any, message_id: int, subject: str, text: str, user: User) -> int:
    """Save the agent's edit of the current draft; return the draft id."""
    draft = _open_draft(app, message_id)
    if draft["status"] != "pending_review":
        raise ActionError("this draft was approved and is being sent; it can no longer change")
    with app.store.engine.begin() as c:
        c.execute(update(s.drafts).where(s.drafts.c.id == draft["id"]).values(
            subject=subject.replace("\r", " ").replace("\n", " ").strip() or draft["subject"],
            text=text.replace("\r\n", "\n"), updated_at=app.store.clock.now(),
            updated_by=user.name))
    app.store.audit(user.name, "save_draft", message_id, {"draft_id": draft["id"]})
    return int(draft["id"])


def discard_draft(app: Any, message_id: int, user: User) -> int:
    """Discard the current draft (nothing will be sent); return its id."""
    draft = _open_draft(app, message_id)
    if draft["status"] != "pending_review":
        raise ActionError("this draft was approved and is being sent; it cannot be discarded")
    with app.store.engine.begin() as c:
        c.execute(update(s.drafts).where(s.drafts.c.id == draft["id"]).values(
            status="discarded", updated_at=app.store.clock.now(), updated_by=user.name))
    app.store.audit(user.name, "discard_draft", message_id, {"draft_id": draft["id"]})
    return int(draft["id"])


def approve(app: Any, outbox: Outbox, message_id: int, subject: str, text: str,
            user: User) -> int:
    """Save the edit, refuse unfilled placeholders, mark approved and queue the reply.

    Returns the outbox row id. Raises PlaceholderUnfilled or ActionError.
    """
    ensure_sendable(text)
    draft_id = save_draft(app, message_id, subject, text, user)
    msg = app.store.message(message_id)
    draft = queries.current_draft(app.store, message_id)
    assert draft is not None
    with app.store.engine.begin() as c:
        c.execute(update(s.drafts).where(s.drafts.c.id == draft_id).values(
            status="approved", updated_at=app.store.clock.now(), updated_by=user.name))
    reply = OutgoingReply(
        idempotency_key=idempotency_key(message_id, draft_id), message_id=message_id,
        channel=msg["channel"], to=msg["sender"], subject=draft["subject"], text=draft["text"],
        in_reply_to=msg["message_id"] or None, references=list(msg["references"] or []),
        source=msg["source"])
    app.store.audit(user.name, "approve", message_id, {"draft_id": draft_id})
    return outbox.enqueue(reply, draft_id=draft_id, actor=user.name)


def assign_to(app: Any, message_id: int, user: User) -> None:
    """Assign a message to ``user`` (replacing any earlier assignee)."""
    app.store.message(message_id)  # raises NotFound
    with app.store.engine.begin() as c:
        c.execute(delete(s.assignments).where(s.assignments.c.message_id == message_id))
        c.execute(insert(s.assignments).values(message_id=message_id, agent=user.name,
                                               assigned_at=app.store.clock.now()))
    app.store.audit(user.name, "assign", message_id, {"agent": user.name})


def resolve(app: Any, message_id: int, user: User) -> int:
    """Mark the thread of ``message_id`` resolved: its open resolution deadline is met now,
    by ``user`` (for the report). Returns how many deadlines changed (0: none was open)."""
    app.store.message(message_id)  # raises NotFound
    n = int(app.sweeper.dstore.resolve(message_id, user.name))
    if n:
        app.store.audit(user.name, "resolve", message_id, {"deadlines": n})
    return n


def reclassify(app: Any, message_id: int, category: str, user: User) -> int:
    """Set the category, re-draft from its template, move the deadline, record a correction.

    Returns the new draft id. Raises ActionError for an unknown category or a message that
    already has a reply on its way.
    """
    if category not in CATEGORIES:
        raise ActionError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
    msg = app.store.message(message_id)
    if msg["is_auto"] or msg["status"] != "processed":
        raise ActionError(f"message {message_id} is {msg['status']} / automatic; "
                          "it has no category to correct")
    old = queries.current_classification(app.store, message_id)
    draft = queries.current_draft(app.store, message_id)
    if draft is not None and draft["status"] in ("approved", "sent"):
        raise ActionError("a reply to this message was already approved; it cannot be "
                          "reclassified now")
    language = (old or {}).get("language") or msg.get("language_hint") or "en"
    dl = queries.deadline(app.store, message_id)
    due_at, policy = app.deadlines.due_at(msg["received_at"], msg["channel"], category)
    new_draft = app.renderer.render(DraftRequest(
        category=category, channel=msg["channel"], language=language, subject=msg["subject"],
        text=msg["text"], sender=msg["sender"], sender_name=msg["sender_name"],
        thread_id=msg["thread_id"] or message_id, due_at=due_at, needs_review=False))
    cl = Classification(category=category, confidence=1.0, language=language,
                        model_version=f"agent:{user.name}", needs_review=False,
                        scores=(old or {}).get("scores") or {})
    from classifiers.model import model_input

    now = app.store.clock.now()
    with app.store.engine.begin() as c:
        c.execute(update(s.classifications).where(
            s.classifications.c.message_id == message_id).values(current=False))
        c.execute(insert(s.classifications).values(
            message_id=message_id, category=cl.category, confidence=cl.confidence,
            language=cl.language, model_version=cl.model_version, needs_review=False,
            scores=cl.scores, created_at=now, current=True))
        c.execute(update(s.drafts).where(
            s.drafts.c.message_id == message_id,
            s.drafts.c.status.in_(["pending_review", "discarded"])).values(
            status="superseded", updated_at=now))
        res = c.execute(insert(s.drafts).values(
            message_id=message_id, status="pending_review", subject=new_draft.subject,
            text=new_draft.text, template=new_draft.template, language=new_draft.language,
            created_at=now, updated_at=now, updated_by=user.name))
        draft_id = int(res.inserted_primary_key[0])
        if dl is not None and dl["state"] != "met":
            c.execute(update(s.deadlines).where(s.deadlines.c.id == dl["id"]).values(
                due_at=due_at, policy=policy,
                state=app.deadlines.state(due_at, now, msg["channel"]).value))
        c.execute(insert(s.corrections).values(
            message_id=message_id, text=model_input(msg["text"] or msg["full_text"],
                                                    msg["subject"]),
            language=language, channel=msg["channel"],
            old_category=(old or {}).get("category"), new_category=category, agent=user.name,
            created_at=now))
    app.store.audit(user.name, "reclassify", message_id,
                    {"from": (old or {}).get("category"), "to": category,
                     "draft_id": draft_id})
    return draft_id


def explanation(app: Any, message: dict[str, Any],
                classification: dict[str, Any] | None) -> dict[str, Any]:
    """Return what explains the category: the message's terms that pushed hardest towards it
    (``classifiers.explain``) and the stored scores (sorted, highest first)."""
    scores = sorted(((k, float(v)) for k, v in ((classification or {}).get("scores") or {})
                     .items()), key=lambda kv: -kv[1])
    out: dict[str, Any] = {"scores": scores, "terms": []}
    try:
        clf = app.classifier
    except TriageError:
        return out
    if classification is not None:
        from classifiers.explain import explain
        from classifiers.model import model_input

        try:
            terms = explain(clf, model_input(message["text"] or message["full_text"],
                                             message["subject"]),
                            category=classification.get("category"), top=12)
            out["terms"] = [(t.term, round(t.weight, 3)) for t in terms]
        except Exception:  # explanation is a nicety; the page must still open
            out["terms"] = []
    return out


def require_message(app: Any, message_id: int) -> dict[str, Any]:
    """Return the message row or raise NotFound."""
    try:
        return app.store.message(message_id)
    except NotFound:
        raise
    except Exception as exc:  # pragma: no cover - store errors are StoreError already
        raise NotFound(f"message {message_id}: {exc}") from exc


def known_sources(app: Any) -> list[str]:
    """Names of every source that stored a message."""
    with app.store.engine.connect() as c:
        return sorted(r[0] for r in c.execute(select(s.messages.c.source).distinct()))
