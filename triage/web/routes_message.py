"""The message view and the agent's buttons: approve and send, save, discard, reclassify,
assign, mark resolved. Every button is a POST form with the CSRF token; results come back as
flash lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nh3
from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from triage.errors import TriageError
from triage.web import queries
from triage.web.accounts import User
from triage.web.deps import AGENT, current_user, flash
from triage.web.parts import parts
from triage.web.placeholders import highlight, unfilled
from triage.web.render import page
from triage.web.routes_queue import queue_rows

router = APIRouter(dependencies=AGENT)

# Tags kept from customer HTML. No <img> (remote images would track the agent), no forms,
# scripts, styles or frames; links keep only http(s)/mailto and never carry a referrer.
SAFE_TAGS = {"a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr",
             "i", "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th",
             "thead", "tr", "u", "ul"}
_IMG = re.compile(r"<img\b", re.IGNORECASE)


def sanitise_html(html: str) -> tuple[str, int]:
    """Return ``html`` cleaned by nh3 (scripts, handlers, javascript: URLs and images gone)
    and the number of images blocked."""
    clean = nh3.clean(html or "", tags=SAFE_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    return clean, len(_IMG.findall(html or ""))


def message_context(request: Request, message_id: int, view: str) -> dict[str, Any]:
    """Everything the message page shows."""
    p = parts(request)
    msg = p.store.message(message_id)  # raises NotFound (404)
    cl = queries.current_classification(p.store, message_id)
    draft = queries.current_draft(p.store, message_id)
    dl = queries.deadline(p.store, message_id)
    now = p.clock.now()
    live = (p.deadlines.state(dl["due_at"], now, msg["channel"], dl["met_at"]).value
            if dl else "")
    thread = queries.thread_messages(p.store, msg)
    for t in thread:
        t["clean_html"], t["images_blocked"] = (sanitise_html(t["html"]) if t.get("html")
                                                else ("", 0))
    ids = [r["id"] for r in queue_rows(request, queries.QueueFilter())]
    pos = ids.index(message_id) if message_id in ids else -1
    return {
        "m": msg, "thread": thread, "cl": cl, "draft": draft, "deadline": dl,
        "live_state": live, "view": "html" if view == "html" else "text",
        "explain": p.review.explain(msg, cl),
        "placeholders": unfilled(draft["text"]) if draft else [],
        "draft_marked": highlight(draft["text"]) if draft else "",
        "assignee": queries.assignee(p.store, message_id),
        "resolution": queries.open_resolution(p.store, msg),
        "corrections": queries.corrections(p.store, message_id),
        "outbox": queries.outbox_rows(p.store, message_id),
        "prev_id": ids[pos - 1] if pos > 0 else None,
        "next_id": ids[pos + 1] if 0 <= pos < len(ids) - 1 else (
            ids[0] if pos == -1 and ids else None),
    }


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_page(request: Request, message_id: int, view: str = "text",
                 user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """One message with its thread, category, explanation and draft editor."""
    request.state.user = user
    return page(request, "message.html", message_context(request, message_id, view))


def _back(message_id: int) -> RedirectResponse:
    return RedirectResponse(f"/messages/{message_id}", status_code=303)


def _act(request: Request, message_id: int, action: Callable[[], object],
         done: str) -> RedirectResponse:
    """Run one form action; flash ``done`` or the error, then go back to the message."""
    try:
        action()
        flash(request, done, "ok")
    except TriageError as exc:
        flash(request, str(exc), "error")
    return _back(message_id)


@router.post("/messages/{message_id}/approve")
def approve(request: Request, message_id: int, background: BackgroundTasks,
            subject: str = Form(""), text: str = Form(""),
            user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Approve and send: save the edit, refuse placeholders, queue and send the reply."""
    review = parts(request).review
    try:
        # keep the agent's edit even when it cannot be sent yet
        done = review.approve(message_id, user.name, subject, text, keep_edit=True)
    except TriageError as exc:
        flash(request, str(exc), "error")
        return _back(message_id)
    # Send right away; the daemon's outbox job retries what fails.
    background.add_task(review.send, done.outbox_id)
    flash(request, "Reply approved; sending now.", "ok")
    return _back(message_id)


@router.post("/messages/{message_id}/save")
def save(request: Request, message_id: int, subject: str = Form(""), text: str = Form(""),
         user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Save draft."""
    return _act(request, message_id, lambda: parts(request).review.save(
        message_id, user.name, subject, text), "Draft saved.")


@router.post("/messages/{message_id}/discard")
def discard(request: Request, message_id: int,
            user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Discard draft."""
    return _act(request, message_id, lambda: parts(request).review.discard(
        message_id, user.name), "Draft discarded; nothing will be sent.")


@router.post("/messages/{message_id}/reclassify")
def reclassify(request: Request, message_id: int, category: str = Form(""),
               user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Reclassify: new category, new draft, correction recorded for training."""
    return _act(request, message_id, lambda: parts(request).review.reclassify(
        message_id, category, user.name), f"Reclassified as {category}; a new draft was written.")


@router.post("/messages/{message_id}/resolve")
def resolve(request: Request, message_id: int,
            user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Mark resolved: meets the thread's resolution deadline now."""
    try:
        n = parts(request).review.resolve(message_id, user.name).deadlines
        flash(request, "Thread marked resolved." if n else
              "This thread has no open resolution deadline.", "ok" if n else "error")
    except TriageError as exc:
        flash(request, str(exc), "error")
    return _back(message_id)


@router.post("/messages/{message_id}/assign")
def assign(request: Request, message_id: int,
           user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Assign to me."""
    return _act(request, message_id, lambda: parts(request).review.assign(
        message_id, user.name), "Assigned to you.")
