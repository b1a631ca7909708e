"""The queue: one row per open conversation, most urgent deadline first, with filters, sorting,
paging and bulk actions (assign, reclassify, discard with confirmation and undo, approve)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from triage.deadlines.states import state_cut
from triage.errors import TriageError
from triage.store.conversations import PAGE_SIZE, SORTS, STATES, ConversationFilter
from triage.web.accounts import User
from triage.web.deps import AGENT, current_user, flash
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter(dependencies=AGENT)

BULK = ("assign", "reclassify", "discard", "approve")
CHOICES_TTL = 60.0
"""Seconds the filter pickers' values (channels, sources, languages seen) are reused: reading
them scans every message, and they change rarely."""
_choices: dict[int, tuple[float, dict[str, list[str]]]] = {}


def filter_choices(p: Any) -> dict[str, list[str]]:
    """The values of the filter pickers, read at most once a minute per store."""
    now = time.monotonic()
    hit = _choices.get(id(p.store))
    if hit is None or now - hit[0] > CHOICES_TTL:
        hit = (now, p.store.queue.filter_choices())
        _choices[id(p.store)] = hit
    return hit[1]


def conversations(request: Request, f: ConversationFilter) -> tuple[list[dict[str, Any]], int]:
    """Return one page of the queue for ``f`` and how many conversations match."""
    p = parts(request)
    return p.store.conversations.page(f, state_cut(p.deadlines, p.clock.now()))


def _context(request: Request, user: User) -> dict[str, Any]:
    p = parts(request)
    f = ConversationFilter.from_mapping(request.query_params, me=user.name)
    cut = state_cut(p.deadlines, p.clock.now())
    counts = p.store.conversations.counts(cut, met=False)  # the page shows no met count
    unfiltered = not any(v for k, v in f.as_params().items() if k != "sort")
    rows, total = p.store.conversations.page(f, cut, total=counts.open if unfiltered else None)
    pages = max(1, -(-total // PAGE_SIZE))
    params = f.as_params()
    return {"rows": rows, "total": total, "f": f, "states": STATES, "sorts": SORTS,
            "filtered": not unfiltered,
            "counts": counts, "page_no": f.page, "pages": pages,
            "prev_url": f"/queue?{urlencode({**params, 'page': f.page - 1})}"
            if f.page > 1 else "",
            "next_url": f"/queue?{urlencode({**params, 'page': f.page + 1})}"
            if f.page < pages else "",
            "agents": [n for n, _ in p.store.accounts.users()],
            "undo": request.session.get("undo") or [],
            "choices": filter_choices(p), "now": p.clock.now()}


@router.get("/")
def home() -> RedirectResponse:
    """The queue is the home page."""
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """The queue page with its filter form."""
    request.state.user = user
    return page(request, "queue.html", {
        **_context(request, user),
        "help_the_model": parts(request).settings.web.help_the_model > 0})


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_partial(request: Request, user: User = Depends(current_user)) -> HTMLResponse:  # noqa: B008
    """Just the rows (htmx swaps them in on refresh and on filter changes)."""
    request.state.user = user
    return page(request, "_queue_rows.html", _context(request, user))


def _ids(raw: list[str]) -> list[int]:
    out: list[int] = []
    for v in raw:
        try:
            out.append(int(v))
        except ValueError:
            continue
    return sorted(set(out))


@router.post("/queue/bulk", response_model=None)
async def bulk(request: Request, background: BackgroundTasks,
               user: User = Depends(current_user)) -> RedirectResponse | HTMLResponse:  # noqa: B008
    """Apply one action to the selected conversations (their newest open message).

    Discard first shows what will be discarded and asks to confirm; a confirmed discard can
    be undone for ``[web] undo_window``. Approve sends only drafts with nothing left to fill.
    """
    request.state.user = user
    form = await request.form()
    action = str(form.get("action") or "")
    ids = _ids([str(v) for v in form.getlist("ids")])
    review = parts(request).review
    if action not in BULK or not ids:
        flash(request, "Select at least one conversation and an action.", "error")
        return RedirectResponse("/queue", status_code=303)
    if action == "discard" and form.get("confirm") != "yes":
        msgs = [parts(request).store.message(i) for i in ids]
        return page(request, "confirm_discard.html", {"messages": msgs})
    done: list[int] = []
    errors: list[str] = []
    for mid in ids:
        try:
            if action == "assign":
                review.assign(mid, user.name, str(form.get("agent") or "") or None)
            elif action == "reclassify":
                review.reclassify(mid, str(form.get("category") or ""), user.name)
            elif action == "discard":
                review.discard(mid, user.name)
            else:
                approved = review.approve(mid, user.name)
                background.add_task(review.send, approved.outbox_id)
            done.append(mid)
        except TriageError as exc:
            errors.append(f"#{mid}: {exc}")
    verb = {"assign": "assigned", "reclassify": "reclassified", "discard": "discarded",
            "approve": "approved and sending"}[action]
    if done:
        flash(request, f"{len(done)} conversation(s) {verb}.", "ok")
    if action == "discard" and done:
        request.session["undo"] = done
    for e in errors[:5]:
        flash(request, e, "error")
    return RedirectResponse("/queue", status_code=303)


@router.post("/queue/undo")
def undo(request: Request, user: User = Depends(current_user),  # noqa: B008
         ids: list[str] = Form(default_factory=list)) -> RedirectResponse:  # noqa: B008
    """Restore the drafts discarded last (within the undo window)."""
    review = parts(request).review
    restored = 0
    for mid in _ids(ids):
        try:
            review.undo_discard(mid, user.name)
            restored += 1
        except TriageError as exc:
            flash(request, str(exc), "error")
    request.session.pop("undo", None)
    if restored:
        flash(request, f"{restored} draft(s) restored; the conversations are open again.", "ok")
    return RedirectResponse("/queue", status_code=303)
