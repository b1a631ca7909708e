"""The "help the model" list and its buttons: confirm the model's label, or correct it.

The queue page loads the list after itself (htmx ``GET /learn/list``), so reading it never
slows the queue; ``GET /learn`` is the same list as a page of its own (no script needed).
Both buttons go through the review service (``ReviewService.confirm`` / ``reclassify``), like
every other agent action; the list is read by ``ReviewService.help_the_model``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from triage.errors import TriageError
from triage.web.accounts import User
from triage.web.deps import AGENT, current_user, flash
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter(prefix="/learn", dependencies=AGENT)

BACK = {"/queue": "/queue#help-the-model", "/learn": "/learn"}
"""Where a button returns to (the queue, or the list's own page)."""


def _list(request: Request, user: User, template: str, back: str) -> HTMLResponse:
    request.state.user = user
    p = parts(request)
    return page(request, template, {"unsure": p.review.help_the_model(
        p.settings.web.help_the_model), "back": back})


@router.get("", response_class=HTMLResponse)
def learn_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """The "help the model" list as a page."""
    return _list(request, user, "learn.html", "/learn")


@router.get("/list", response_class=HTMLResponse)
def learn_list(request: Request, user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """Just the list (the queue page swaps it in after loading)."""
    return _list(request, user, "_help_model.html", "/queue")


@router.post("/{message_id}/confirm")
def confirm(request: Request, message_id: int, user: User = Depends(current_user),  # noqa: B008
            back: str = Form("/queue")) -> RedirectResponse:
    """Record the model's category as the agent's label."""
    try:
        done = parts(request).review.confirm(message_id, user.name)
        flash(request, f"#{message_id}: {done.new_category} confirmed. Thank you, the next "
                       "training learns it.", "ok")
    except TriageError as exc:
        flash(request, f"#{message_id}: {exc}", "error")
    return RedirectResponse(BACK.get(back, BACK["/queue"]), status_code=303)


@router.post("/{message_id}/correct")
def correct(request: Request, message_id: int, user: User = Depends(current_user),  # noqa: B008
            category: str = Form(""), back: str = Form("/queue")) -> RedirectResponse:
    """Give the message the agent's category (a reclassification: new draft, new deadline)."""
    try:
        done = parts(request).review.reclassify(message_id, category, user.name)
        flash(request, f"#{message_id}: corrected from {done.old_category} to "
                       f"{done.new_category}. Thank you, the next training learns it.", "ok")
    except TriageError as exc:
        flash(request, f"#{message_id}: {exc}", "error")
    return RedirectResponse(BACK.get(back, BACK["/queue"]), status_code=303)
