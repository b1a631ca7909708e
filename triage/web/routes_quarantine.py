"""Admin pages of quarantined messages: list with reasons, raw download, retry, dismiss."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triage.errors import TriageError
from triage.web.accounts import User
from triage.web.deps import ADMIN, flash, require_admin
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter(dependencies=ADMIN)


@router.get("/admin/quarantine", response_class=HTMLResponse)
def quarantine_page(request: Request,
                    user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """Every quarantined message with why, newest first."""
    request.state.user = user
    return page(request, "admin_quarantine.html",
                {"rows": parts(request).store.quarantined.rows()})


@router.get("/admin/quarantine/{message_id}/raw")
def raw(request: Request, message_id: int) -> Response:
    """The message's bytes as received (a download, never rendered)."""
    data = parts(request).store.raw(message_id)
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="message-{message_id}.eml"'})


@router.post("/admin/quarantine/{message_id}/retry")
def retry(request: Request, message_id: int,
          user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """Parse the message again from its raw bytes and process it."""
    try:
        status = parts(request).review.retry_quarantined(message_id, user.name)
        flash(request, f"Message {message_id} retried: now {status}.",
              "ok" if status == "processed" else "error")
    except TriageError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse("/admin/quarantine", status_code=303)


@router.post("/admin/quarantine/{message_id}/dismiss")
def dismiss(request: Request, message_id: int,
            user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """Take the message off the list."""
    try:
        parts(request).review.dismiss_quarantined(message_id, user.name)
        flash(request, f"Message {message_id} dismissed.", "ok")
    except TriageError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse("/admin/quarantine", status_code=303)
