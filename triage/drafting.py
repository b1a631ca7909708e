"""Reply drafts rendered from Jinja2 templates, sandboxed and strict.

Templates live in ``reply_templates/<language>/<category>.<channel>.j2`` (and
``<language>/review.<channel>.j2`` for messages a human must look at first). The chain for a
language is: requested language -> configured default language -> English. An operator's
``template_dir`` is searched before the packaged templates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

import reply_templates
from triage.errors import TemplateError
from triage.mail.threads import reply_subject
from triage.models import Draft

PACKAGED_TEMPLATES = Path(reply_templates.__file__).parent
_CRLF = re.compile(r"[\r\n]+")


def first_name_guess(display_name: str) -> str:
    """Return a safe first name from a display name, or '' when unsure.

    'Nguyen Van An' style names put the given name last; we only guess when the name has a
    plain shape, and greet neutrally otherwise.
    """
    name = display_name.strip().strip('"').strip()
    if not name or "@" in name or any(ch.isdigit() for ch in name):
        return ""
    parts = name.replace(",", " ").split()
    if not parts or len(parts[0]) < 2 or not parts[0][0].isalpha():
        return ""
    return parts[0][:40]


@dataclass(frozen=True)
class DraftRequest:
    """Everything a template may use about the message being answered."""

    category: str
    channel: str
    language: str
    subject: str
    text: str
    sender: str
    sender_name: str
    thread_id: int
    due_at: datetime | None
    needs_review: bool = False


class Renderer:
    """Renders drafts; built once with the template search path and signature settings."""

    def __init__(self, *, default_language: str = "en", template_dir: Path | None = None,
                 team_name: str = "Customer Support", agent_name: str = "") -> None:
        dirs = [str(template_dir)] if template_dir else []
        dirs.append(str(PACKAGED_TEMPLATES))
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(dirs), undefined=jinja2.StrictUndefined,
            autoescape=False, keep_trailing_newline=False, trim_blocks=True,
            lstrip_blocks=True)
        self.default_language = default_language
        self.team_name = team_name
        self.agent_name = agent_name

    def template_chain(self, language: str, name: str) -> list[str]:
        """Return the template names tried for ``name`` in ``language``, in order."""
        langs: list[str] = []
        for lang in (language, self.default_language, "en"):
            if lang and lang not in langs:
                langs.append(lang)
        return [f"{lang}/{name}" for lang in langs]

    def render(self, req: DraftRequest, extra: Mapping[str, Any] | None = None) -> Draft:
        """Render the draft for ``req``; raises TemplateError when no template fits."""
        name = (f"review.{req.channel}.j2" if req.needs_review
                else f"{req.category}.{req.channel}.j2")
        chain = self.template_chain(req.language, name)
        try:
            template = self.env.select_template(chain)
        except jinja2.TemplatesNotFound as exc:
            raise TemplateError(f"no template for {name} (tried {', '.join(chain)}); add "
                                f"reply_templates/en/{name}") from exc
        ctx = {
            "customer_name": req.sender_name or "",
            "first_name": first_name_guess(req.sender_name),
            "customer_address": req.sender,
            "subject": req.subject,
            "category": req.category,
            "channel": req.channel,
            "language": req.language,
            "reference": f"T-{req.thread_id}",
            "due_at": req.due_at,
            "team_name": self.team_name,
            "agent_name": self.agent_name,
            **(extra or {}),
        }
        try:
            text = template.render(ctx).strip() + "\n"
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {template.name} failed: {exc}") from exc
        subject = _CRLF.sub(" ", reply_subject(req.subject, req.thread_id))
        lang = (template.name or "en/").split("/", 1)[0]
        return Draft(subject=subject, text=text, template=template.name or name, language=lang)
