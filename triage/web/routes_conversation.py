"""Conversation extras of the message page: internal notes, canned and saved replies,
attachments (download only) and inline images (on request), undo of a discard."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from triage.errors import NotFound, TriageError
from triage.mail.attachments import payload
from triage.web.accounts import User
from triage.web.canned import render_canned
from triage.web.deps import AGENT, current_user, flash
from triage.web.parts import parts

router = APIRouter(dependencies=AGENT)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""Inline images served for display; anything else (SVG included) is download-only."""


def _back(message_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/messages/{message_id}{anchor}", status_code=303)


@router.post("/messages/{message_id}/notes")
def add_note(request: Request, message_id: int, text: str = Form(""),
             user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Add an internal note (never sent to the customer) to the conversation."""
    try:
        parts(request).review.add_note(message_id, user.name, text)
        flash(request, "Note added (internal: the customer never sees it).", "ok")
    except TriageError as exc:
        flash(request, str(exc), "error")
    return _back(message_id, "#notes")


@router.post("/messages/{message_id}/undo")
def undo_discard(request: Request, message_id: int,
                 user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Restore the discarded draft (within the undo window)."""
    try:
        parts(request).review.undo_discard(message_id, user.name)
        flash(request, "Draft restored; the conversation is open again.", "ok")
    except TriageError as exc:
        flash(request, str(exc), "error")
    request.session.pop("undo", None)
    return _back(message_id)


@router.get("/messages/{message_id}/canned/{name}", response_class=PlainTextResponse)
def canned(request: Request, message_id: int, name: str) -> PlainTextResponse:
    """The text of template ``name`` rendered for this message (the editor inserts it)."""
    p = parts(request)
    msg = p.store.message(message_id)
    return PlainTextResponse(render_canned(p, msg, p.store.drafts.classification(message_id),
                                           name))


@router.get("/saved-replies/{reply_id}", response_class=PlainTextResponse)
def saved_reply(request: Request, reply_id: int,
                user: User = Depends(current_user)) -> PlainTextResponse:  # noqa: B008
    """The text of one of the agent's saved replies."""
    for r in parts(request).store.saved_replies.of(user.name):
        if r["id"] == reply_id:
            return PlainTextResponse(r["text"])
    raise NotFound(f"you have no saved reply {reply_id}")


@router.post("/saved-replies")
def save_reply(request: Request, name: str = Form(""), text: str = Form(""),
               language: str = Form("en"), message_id: int = Form(0),
               user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Save the editor's text as one of the agent's own canned replies."""
    if not name.strip() or not text.strip():
        flash(request, "Give the reply a name and some text.", "error")
    else:
        parts(request).store.saved_replies.save(user.name, name.strip()[:200],
                                                language[:8] or "en", text)
        flash(request, f"Saved as {name.strip()[:200]!r}.", "ok")
    return _back(message_id) if message_id else RedirectResponse("/queue", status_code=303)


@router.get("/messages/{message_id}/attachments/{index}")
def attachment(request: Request, message_id: int, index: int) -> Response:
    """Download one attachment: always ``Content-Disposition: attachment`` and a generic type,
    so the browser never renders it (HTML or SVG in an attachment stays inert)."""
    p = parts(request)
    part, data = payload(p.store.raw(message_id), index)
    name = "".join(ch for ch in part.filename if ch.isprintable() and ch not in '"\\')
    ascii_name = name.encode("ascii", "replace").decode()
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
                               f"filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff"})


@router.get("/messages/{message_id}/images/{index}")
def inline_image(request: Request, message_id: int, index: int) -> Response:
    """One raster inline image (PNG, JPEG, GIF, WebP), for display after the agent asked."""
    part, data = payload(parts(request).store.raw(message_id), index, inline_image=True)
    if part.content_type not in IMAGE_TYPES:
        raise NotFound(f"part {index} is not an image that is shown inline; download it")
    return Response(data, media_type=part.content_type,
                    headers={"X-Content-Type-Options": "nosniff"})
