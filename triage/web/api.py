"""The JSON API: the same actions as the pages, described by OpenAPI at /api/openapi.json.

Authentication is the session cookie (``POST /api/login``); writes need the ``X-CSRF-Token``
header with the token that login returned.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from pydantic import BaseModel

from triage.errors import ReviewError
from triage.store.conversations import ConversationFilter
from triage.web import models_admin, queries
from triage.web.accounts import User
from triage.web.deps import ADMIN, AGENT, current_user, require_admin
from triage.web.parts import parts
from triage.web.routes_admin import policies
from triage.web.routes_queue import conversations

router = APIRouter(prefix="/api", dependencies=AGENT, tags=["agent"])
admin = APIRouter(prefix="/api/admin", dependencies=ADMIN, tags=["admin"])


class DraftBody(BaseModel):
    """A draft edit."""

    subject: str = ""
    text: str


class CategoryBody(BaseModel):
    """A reclassification."""

    category: str


class SituationBody(BaseModel):
    """A situation switch."""

    situation: str


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()
            if k not in ("raw",)}


@router.get("/queue")
def api_queue(request: Request, category: str = "", channel: str = "", language: str = "",
              source: str = "", state: str = "", needs_review: str = "", q: str = "",
              assignee: str = "", sort: str = "due", page: int = 1,
              user: User = Depends(current_user)) -> list[dict[str, Any]]:  # noqa: B008
    """Open conversations, most urgent first, one page (same filters as the page); ``id`` is
    each conversation's newest open message."""
    f = ConversationFilter.from_mapping(
        {"category": category, "channel": channel, "language": language, "source": source,
         "state": state, "needs_review": needs_review, "q": q, "assignee": assignee,
         "sort": sort, "page": page}, me=user.name)
    rows, _total = conversations(request, f)
    return [_jsonable(r) for r in rows]


@router.get("/messages/{message_id}")
def api_message(request: Request, message_id: int) -> dict[str, Any]:
    """A message with its thread, classification, deadline, draft and outbox rows (and
    ``superseded_by``: the newer message whose draft replaced this one's, or None), and a
    local LLM's second opinion (``llm_opinion``, None when it was never asked) and the
    sentence encoder's re-score (``encoder_rescore``, None when it never re-scored it)."""
    store = parts(request).store
    msg = store.message(message_id)  # raises NotFound (404)
    window = parts(request).review.windows.of(msg)
    opinion = parts(request).review.second_opinion(message_id)
    rescore = parts(request).review.encoder_rescore(message_id)
    draft = queries.current_draft(store, message_id)
    stale = store.drafts.superseded_by(message_id) if draft is None else None
    return {
        "message": _jsonable(msg),
        "thread": [t["id"] for t in queries.thread_messages(store, msg)],
        "classification": _jsonable(queries.current_classification(store, message_id)
                                    or {}),
        "deadline": _jsonable(queries.deadline(store, message_id) or {}),
        "draft": _jsonable(draft or {}),
        # the draft was superseded by the draft of a newer message of the conversation
        "superseded_by": stale[1] if stale else None,
        "assignee": queries.assignee(store, message_id),
        "outbox": [_jsonable(o) for o in queries.outbox_rows(store, message_id)],
        "reply_window": None if window is None else _jsonable({
            "text": str(window), "closed": window.closed, "tagged": window.tagged,
            "closes_at": window.closes_at, "last_customer_message_at": window.last}),
        "llm_opinion": None if opinion is None else _jsonable({
            "status": opinion.status, "label": opinion.label or None,
            "reason": opinion.reason or None, "model": opinion.model,
            "asked_at": opinion.asked_at, "attempts": opinion.attempts,
            "error": opinion.error or None, "text": str(opinion)}),
        "encoder_rescore": None if rescore is None else _jsonable({
            "old_category": rescore.old_category, "new_category": rescore.new_category,
            "confidence": rescore.confidence, "head": rescore.head, "weight": rescore.weight,
            "changed": rescore.changed, "rescored_at": rescore.rescored_at,
            "text": str(rescore)}),
    }


@router.put("/messages/{message_id}/draft")
def api_save(request: Request, message_id: int, body: DraftBody,
             user: User = Depends(current_user)) -> dict[str, Any]:  # noqa: B008
    """Save draft."""
    done = parts(request).review.save(message_id, user.name, body.subject, body.text)
    return {"draft_id": done.draft_id}


@router.post("/messages/{message_id}/approve")
def api_approve(request: Request, message_id: int, body: DraftBody,
                background: BackgroundTasks,
                user: User = Depends(current_user)) -> dict[str, Any]:  # noqa: B008
    """Approve and send (queued in the outbox and sent right away)."""
    review = parts(request).review
    done = review.approve(message_id, user.name, body.subject, body.text)
    background.add_task(review.send, done.outbox_id)
    return {"outbox_id": done.outbox_id}


@router.post("/messages/{message_id}/discard")
def api_discard(request: Request, message_id: int,
                user: User = Depends(current_user)) -> dict[str, Any]:  # noqa: B008
    """Discard draft."""
    return {"draft_id": parts(request).review.discard(message_id, user.name).draft_id}


@router.post("/messages/{message_id}/reclassify")
def api_reclassify(request: Request, message_id: int, body: CategoryBody,
                   user: User = Depends(current_user)) -> dict[str, Any]:  # noqa: B008
    """Reclassify (re-drafts and records a correction)."""
    done = parts(request).review.reclassify(message_id, body.category, user.name)
    return {"draft_id": done.draft_id}


@router.post("/messages/{message_id}/confirm")
def api_confirm(request: Request, message_id: int,
                user: User = Depends(current_user)) -> dict[str, Any]:  # noqa: B008
    """Confirm the model's category as the agent's label (re-drafts, records it)."""
    done = parts(request).review.confirm(message_id, user.name)
    return {"draft_id": done.draft_id, "category": done.new_category}


@router.get("/help-the-model")
def api_help_the_model(request: Request, limit: int = 5) -> list[dict[str, Any]]:
    """The untouched messages whose label would teach the model most, most unsure first."""
    return [{"id": u.message_id, "language": u.language, "category": u.category,
             "margin": u.margin, "top": [list(t) for t in u.top],
             "subject": u.row.get("subject") or ""}
            for u in parts(request).review.help_the_model(max(0, min(limit, 50)))]

@router.post("/messages/{message_id}/situation")
def api_switch_situation(request: Request, message_id: int, body: SituationBody,
                         user: User = Depends(current_user)) -> dict[str, Any]:  # noqa: B008
    """Write the draft again for another situation (not a correction of the category)."""
    done = parts(request).review.switch_situation(message_id, body.situation, user.name)
    return {"draft_id": done.draft_id, "situation": done.new_situation}


@router.post("/messages/{message_id}/assign")
def api_assign(request: Request, message_id: int,
               user: User = Depends(current_user)) -> dict[str, Any]:  # noqa: B008
    """Assign to me."""
    return {"assignee": parts(request).review.assign(message_id, user.name).agent}


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> dict[str, Any]:
    """The OpenAPI description (signed-in users only)."""
    return request.app.openapi()


@admin.get("/dashboard")
def api_dashboard(request: Request) -> dict[str, dict[str, int]]:
    """Counts by state, category, channel, language; messages and outbox by status."""
    return queries.dashboard(parts(request).store)


@admin.get("/models")
def api_models(request: Request) -> list[dict[str, Any]]:
    """Model versions, newest first; the last is the bundled model (``bundled``)."""
    return [_jsonable(v) for v in models_admin.versions(
        parts(request).store, parts(request).settings.data_path / "models")]


@admin.post("/models/retrain")
def api_retrain(request: Request,
                user: User = Depends(require_admin)) -> dict[str, Any]:  # noqa: B008
    """Start retraining (bundled corpus + corrections); 409 when one is running."""
    if not parts(request).retrainer.start(user.name):
        raise ReviewError("a retraining is already running")
    return {"state": "running"}


@admin.get("/models/retrain")
def api_retrain_status(request: Request) -> dict[str, Any]:
    """Progress of the latest retraining."""
    st = parts(request).retrainer.status
    return {"state": st.state, "steps": st.steps, "version": st.version, "error": st.error}


@admin.post("/models/rollback")
def api_rollback(request: Request,
                 user: User = Depends(require_admin)) -> dict[str, str]:  # noqa: B008
    """Roll back to the previously active model version."""
    return {"active": models_admin.rollback(parts(request).store, user.name)}


@admin.post("/models/{version}/activate")
def api_activate(request: Request, version: str,
                 user: User = Depends(require_admin)) -> dict[str, str]:  # noqa: B008
    """Activate a model version."""
    models_admin.activate(parts(request).store, version, user.name)
    return {"active": version}


@admin.get("/policies")
def api_policies(request: Request) -> list[dict[str, Any]]:
    """Effective first-response targets per channel and category."""
    return [{**p, "within": p["within"].total_seconds(),
             "warn_before": p["warn_before"].total_seconds()}
            for p in policies(parts(request).deadlines)]
