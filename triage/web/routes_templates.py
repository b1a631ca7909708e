"""Admin page of the reply templates: list, preview with a chosen message, check, and edit
with the sandbox check before saving (into ``drafting.template_dir``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from triage.drafting.situations import GENERAL
from triage.drafting.template_check import check_source, check_templates
from triage.errors import NotFound, TriageError
from triage.models import CATEGORIES
from triage.web.accounts import User
from triage.web.deps import ADMIN, flash, require_admin
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter(prefix="/admin/templates", dependencies=ADMIN)


def _names(renderer: Any) -> list[str]:
    return sorted({n for n in renderer.env.list_templates(extensions=["j2"]) if ":" not in n})


def _source(renderer: Any, name: str) -> str:
    if name not in _names(renderer):
        raise NotFound(f"there is no template {name!r}")
    src, _filename, _ = renderer.env.loader.get_source(renderer.env, name)
    return str(src)


def _preview(p: Any, name: str, message_id: int | None, source: str | None) -> str:
    """Render template ``name`` (or ``source``) for stored message ``message_id`` as the
    pipeline would draft with it: with what the message's thread says, and for a situation's
    template (``<lang>/situations/<situation>.<channel>.j2``) that situation and its topic."""
    if not message_id:
        return ""
    renderer = p.review.renderer
    msg = p.store.message(message_id)
    cl = p.store.drafts.classification(message_id) or {}
    dl = p.store.queue.deadline(message_id)
    lang, kind_channel = name.split("/", 1)
    kind = kind_channel.split(".", 1)[0]
    situation = kind.split("/", 1)[1] if kind.startswith("situations/") else None
    env = renderer.env if source is None else renderer.env.overlay(
        loader=jinja2.DictLoader({name: source}))
    category = kind if kind in CATEGORIES else cl.get("category") or "request"
    req = p.review.draft_request(msg, category=category, language=cl.get("language") or lang,
                                 due_at=dl["due_at"] if dl else None,
                                 needs_review=kind == "review", situation=situation)
    chosen, topic = renderer.situation_for(req) if situation else (GENERAL, "")
    return str(renderer.render_template(env.get_template(name), renderer.context(
        req, lang, situation=chosen, topic=topic)))


@router.get("", response_class=HTMLResponse)
def templates_page(request: Request,
                   user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """Every template, and what the check finds."""
    request.state.user = user
    renderer = parts(request).review.renderer
    problems, checked = check_templates(renderer)
    return page(request, "admin_templates.html", {
        "names": _names(renderer), "problems": problems, "checked": checked,
        "editable": renderer.template_dir is not None})


@router.get("/{name:path}", response_class=HTMLResponse)
def template_page(request: Request, name: str, message_id: int = 0,
                  user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """One template: its text, its check, and a preview for a chosen message."""
    request.state.user = user
    p = parts(request)
    renderer = p.review.renderer
    source = _source(renderer, name)
    try:
        preview, error = _preview(p, name, message_id or None, None), ""
    except TriageError as exc:
        preview, error = "", str(exc)
    return page(request, "admin_template.html", {
        "name": name, "source": source, "problems": check_source(renderer, name),
        "preview": preview, "preview_error": error, "message_id": message_id or "",
        "editable": renderer.template_dir is not None})


@router.post("/{name:path}", response_model=None)
def save_template(request: Request, name: str, source: str = Form(""), message_id: int = Form(0),
                  user: User = Depends(require_admin)) -> RedirectResponse | HTMLResponse:  # noqa: B008
    """Check the edited text in the sandbox; save it into ``drafting.template_dir`` only
    when the check finds nothing."""
    request.state.user = user
    p = parts(request)
    renderer = p.review.renderer
    _source(renderer, name)  # raises NotFound
    source = source.replace("\r\n", "\n")
    problems = check_source(renderer, name, source)
    if renderer.template_dir is None:
        problems = [*problems, "set drafting.template_dir to a directory to edit templates "
                               "from this page (the packaged ones are read-only)"]
    if problems:
        return page(request, "admin_template.html", {
            "name": name, "source": source, "problems": problems, "preview": "",
            "preview_error": "not saved", "message_id": message_id or "",
            "editable": renderer.template_dir is not None}, status_code=422)
    target = Path(renderer.template_dir) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source, encoding="utf-8")
    renderer.reload_templates()  # an operator file may now hide a packaged template
    p.store.audit(user.name, "edit_template", None, {"template": name})
    flash(request, f"Saved {name}; new drafts use it now.", "ok")
    suffix = f"?message_id={message_id}" if message_id else ""
    return RedirectResponse(f"/admin/templates/{name}{suffix}", status_code=303)
