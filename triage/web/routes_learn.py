"""The "help the model" buttons of the queue page: confirm the model's label, or correct it.

Both go through the review service (``ReviewService.confirm`` / ``reclassify``), like every
other agent action; the list itself is read by ``ReviewService.help_the_model``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from triage.errors import TriageError
from triage.web.accounts import User
from triage.web.deps import AGENT, current_user, flash
from triage.web.parts import parts

router = APIRouter(prefix="/learn", dependencies=AGENT)


def unsure_list(request: Request) -> list[Any]:
    """Return the queue page's "help the model" list (``[web] help_the_model`` long)."""
    p = parts(request)
    return p.review.help_the_model(p.settings.web.help_the_model)


@router.post("/{message_id}/confirm")
def confirm(request: Request, message_id: int,
            user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Record the model's category as the agent's label."""
    try:
        done = parts(request).review.confirm(message_id, user.name)
        flash(request, f"#{message_id}: {done.new_category} confirmed. Thank you, the next "
                       "training learns it.", "ok")
    except TriageError as exc:
        flash(request, f"#{message_id}: {exc}", "error")
    return RedirectResponse("/queue#help-the-model", status_code=303)


@router.post("/{message_id}/correct")
def correct(request: Request, message_id: int, user: User = Depends(current_user),  # noqa: B008
            category: str = Form("")) -> RedirectResponse:
    """Give the message the agent's category (a reclassification: new draft, new deadline)."""
    try:
        done = parts(request).review.reclassify(message_id, category, user.name)
        flash(request, f"#{message_id}: corrected from {done.old_category} to "
                       f"{done.new_category}. Thank you, the next training learns it.", "ok")
    except TriageError as exc:
        flash(request, f"#{message_id}: {exc}", "error")
    return RedirectResponse("/queue#help-the-model", status_code=303)
