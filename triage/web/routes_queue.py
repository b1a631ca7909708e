"""The queue: messages waiting for a reply, soonest deadline first, with filters and search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from triage.web import queries
from triage.web.accounts import User
from triage.web.deps import AGENT, current_user
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter(dependencies=AGENT)

STATES = ("ok", "due_soon", "breached", "met")


def queue_rows(request: Request, f: queries.QueueFilter) -> list[dict[str, Any]]:
    """Return the queue for filter ``f`` with each deadline's state as of now."""
    p = parts(request)
    now = p.clock.now()
    rows = queries.queue(p.store, f)
    for r in rows:
        r["live_state"] = (p.deadlines.state(r["due_at"], now, r["channel"], r["met_at"])
                           .value if r["due_at"] else "ok")
    return rows


@router.get("/")
def home() -> RedirectResponse:
    """The queue is the home page."""
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """The queue page with its filter form."""
    request.state.user = user
    f = queries.QueueFilter.from_mapping(request.query_params)
    p = parts(request)
    return page(request, "queue.html", {
        "rows": queue_rows(request, f), "f": f, "states": STATES,
        "choices": queries.filter_choices(p.store), "now": p.clock.now()})


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_partial(request: Request, user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """Just the rows (htmx swaps them in on refresh and on filter changes)."""
    request.state.user = user
    f = queries.QueueFilter.from_mapping(request.query_params)
    return page(request, "_queue_rows.html", {"rows": queue_rows(request, f), "f": f})
