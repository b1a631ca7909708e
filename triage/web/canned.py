"""Canned replies for the editor: the templates of every category rendered for the message,
and the agent's saved replies; and whether sending is a dry run."""

from __future__ import annotations

from typing import Any

from triage.config import Settings
from triage.errors import NotFound
from triage.models import CATEGORIES

TEMPLATE_CHOICES = (*CATEGORIES, "review")
"""What "Insert template" offers: each category's template, and the review acknowledgement."""


def dry_run(settings: Settings) -> bool:
    """True when approved email replies are only logged (``[send] email = "log"``)."""
    return settings.send.email == "log"


def canned_templates(p: Any, msg: dict[str, Any], cl: dict[str, Any] | None) -> list[str]:
    """Return the template choices offered for ``msg`` (automatic mail gets none)."""
    return [] if msg.get("is_auto") or msg.get("status") != "processed" else \
        list(TEMPLATE_CHOICES)


def render_canned(p: Any, msg: dict[str, Any], cl: dict[str, Any] | None, name: str) -> str:
    """Render template ``name`` (a category or ``review``) for stored message ``msg`` with
    what its thread says, as processing drafts it; raises NotFound for an unknown name and
    TriageError when the template fails."""
    if name not in TEMPLATE_CHOICES:
        raise NotFound(f"there is no template {name!r}; use one of {', '.join(TEMPLATE_CHOICES)}")
    dl = p.store.queue.deadline(msg["id"])
    language = (cl or {}).get("language") or msg.get("language_hint") or "en"
    category = name if name in CATEGORIES else (cl or {}).get("category") or "request"
    draft = p.review.renderer.render(p.review.draft_request(
        msg, category=category, language=language,
        due_at=dl["due_at"] if dl and dl["due_at"] > p.clock.now() else None,
        needs_review=name == "review"))
    return draft.text
