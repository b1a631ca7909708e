"""The message view and the agent's buttons: approve and send, save, discard, reclassify,
switch the draft's situation, assign, mark resolved. Every button is a POST form with the CSRF
token; results come back as flash lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nh3
from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from triage.errors import TriageError
from triage.mail.attachments import parts as parts_of
from triage.store.conversations import ConversationFilter
from triage.store.drafts import OPEN
from triage.web import queries
from triage.web.accounts import User
from triage.web.canned import canned_templates, dry_run
from triage.web.deps import AGENT, current_user, flash
from triage.web.parts import parts
from triage.web.placeholders import highlight, unfilled
from triage.web.render import page
from triage.web.routes_queue import conversations

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


def _timeline(p: Any, msg: dict[str, Any], thread: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as agents read it: customer messages, replies triage sent (or is
    sending) and internal notes, oldest first."""
    items: list[dict[str, Any]] = [{"kind": "message", "at": t["received_at"], "m": t}
                                   for t in thread]
    for o in p.store.queue.thread_replies(msg):
        payload = o.get("payload") or {}
        items.append({"kind": "reply", "at": o.get("sent_at") or o["created_at"], "o": o,
                      "text": payload.get("text") or "", "to": payload.get("to") or "",
                      "cc": (payload.get("extra") or {}).get("cc") or ""})
    for n in p.store.notes.of_conversation(msg):
        items.append({"kind": "note", "at": n["created_at"], "n": n})
    return sorted(items, key=lambda i: i["at"])


def message_context(request: Request, message_id: int, view: str,
                    user_name: str = "") -> dict[str, Any]:
    """Everything the message page shows."""
    p = parts(request)
    msg = p.store.message(message_id)  # raises NotFound (404)
    cl = queries.current_classification(p.store, message_id)
    draft = queries.current_draft(p.store, message_id)
    dl = queries.deadline(p.store, message_id)
    now = p.clock.now()
    live = (p.deadlines.state(dl["due_at"], now, msg["channel"], dl["met_at"],
                              source=msg["source"] or "").value if dl else "")
    thread = queries.thread_messages(p.store, msg)
    for t in thread:
        t["clean_html"], t["images_blocked"] = (sanitise_html(t["html"]) if t.get("html")
                                                else ("", 0))
    rows, _total = conversations(request, ConversationFilter(me=user_name))
    ids = [r["id"] for r in rows]
    pos = ids.index(message_id) if message_id in ids else -1
    promise = p.review.fresh_promise(msg, draft) if draft and draft["status"] == OPEN else None
    text = promise.text if promise is not None else (draft["text"] if draft else "")
    corrections = queries.corrections(p.store, message_id)
    stale = p.store.drafts.superseded_by(message_id) if draft is None else None
    return {
        "m": msg, "thread": thread, "timeline": _timeline(p, msg, thread), "cl": cl,
        "draft": draft, "draft_text": text,
        "stale": {"draft": stale[0], "by": stale[1]} if stale else None,
        "promise": promise, "deadline": dl,
        "live_state": live, "view": "html" if view == "html" else "text",
        "explain": p.review.explain(msg, cl),
        "opinion": p.review.second_opinion(message_id),
        "rescore": p.review.encoder_rescore(message_id),
        "placeholders": unfilled(text) if draft else [],
        "draft_marked": highlight(text) if draft else "",
        "assignee": p.store.drafts.assignee(message_id),
        "agents": [n for n, _ in p.store.accounts.users()],
        "resolution": queries.open_resolution(p.store, msg),
        "corrections": corrections,
        "situations": p.review.situations(),
        "outbox": queries.outbox_rows(p.store, message_id),
        "reply_all": p.review.reply_all_cc(msg),
        "reply_window": p.review.windows.of(msg),
        "images": [x for x in parts_of(p.store.raw(message_id)) if x.inline_image]
        if msg["channel"] == "email" else [],
        "dry_run": dry_run(p.settings),
        "history": p.store.conversations.customer_history(
            msg["sender"], p.store.conversations.conversation_of(message_id)),
        "templates": canned_templates(p, msg, cl),
        "saved": p.store.saved_replies.of(user_name) if user_name else [],
        "undo": request.session.get("undo") or [],
        "prev_id": ids[pos - 1] if pos > 0 else None,
        "next_id": ids[pos + 1] if 0 <= pos < len(ids) - 1 else (
            ids[0] if pos == -1 and ids else None),
    }


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_page(request: Request, message_id: int, view: str = "text",
                 user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """One message with its thread, category, explanation and draft editor."""
    request.state.user = user
    return page(request, "message.html", message_context(request, message_id, view, user.name))


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
            subject: str = Form(""), text: str = Form(""), reply_all: str = Form(""),
            past_times_ok: str = Form(""),
            user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Approve and send: save the edit, refuse placeholders, queue and send the reply
    (to the customer, and with ``reply_all`` to the message's other recipients too)."""
    review = parts(request).review
    try:
        # keep the agent's edit even when it cannot be sent yet
        done = review.approve(message_id, user.name, subject, text, keep_edit=True,
                              reply_all=bool(reply_all), past_times_ok=bool(past_times_ok))
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
    """Discard draft (the form asks to confirm first); Undo restores it for a while."""
    out = _act(request, message_id, lambda: parts(request).review.discard(
        message_id, user.name), "Draft discarded; nothing will be sent. Undo restores it.")
    if parts(request).store.drafts.current(message_id) is not None and \
            parts(request).store.drafts.current(message_id)["status"] == "discarded":
        request.session["undo"] = [message_id]
    return out


@router.post("/messages/{message_id}/reclassify")
def reclassify(request: Request, message_id: int, category: str = Form(""),
               user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Reclassify: new category, new draft, correction recorded for training."""
    return _act(request, message_id, lambda: parts(request).review.reclassify(
        message_id, category, user.name), f"Reclassified as {category}; a new draft was written.")


@router.post("/messages/{message_id}/situation")
def switch_situation(request: Request, message_id: int, situation: str = Form(""),
                     user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Switch the draft's situation: the draft is written again for it (not a correction of
    the category)."""
    labels = dict(parts(request).review.situations())
    return _act(request, message_id, lambda: parts(request).review.switch_situation(
        message_id, situation, user.name),
        f"Draft written again for: {labels.get(situation, situation)}.")


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
def assign(request: Request, message_id: int, agent: str = Form(""),
           user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Assign the conversation to ``agent`` (default: me)."""
    who = agent or user.name
    return _act(request, message_id, lambda: parts(request).review.assign(
        message_id, user.name, who), "Assigned to you." if who == user.name
        else f"Assigned to {who}.")
