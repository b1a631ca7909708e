"""Unfilled placeholders in drafts: ``[[fill: refund amount]]`` markers an agent must replace.

The drafting work adds ``{{ fill("...") }}`` to templates and ``ensure_sendable`` to
``triage.drafting``; until then this module detects the rendered markers itself.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from triage.errors import PlaceholderUnfilled

FILL = re.compile(r"\[\[\s*fill:\s*([^\]]*?)\s*\]\]", re.IGNORECASE)


def unfilled(text: str) -> list[str]:
    """Return the labels of every ``[[fill: ...]]`` marker left in ``text``."""
    return [m.group(1) for m in FILL.finditer(text or "")]


def ensure_sendable(text: str) -> None:
    """Raise PlaceholderUnfilled naming the markers still in ``text``."""
    try:  # prefer the drafting module's check once it exists
        from triage.drafting import ensure_sendable as drafting_check  # type: ignore[attr-defined]
    except ImportError:
        drafting_check = None
    if drafting_check is not None:
        drafting_check(text)
    left = unfilled(text)
    if left:
        raise PlaceholderUnfilled("fill these placeholders before sending: " + ", ".join(left))
    if not (text or "").strip():
        raise PlaceholderUnfilled("the reply is empty; write a reply before sending")


def highlight(text: str) -> Markup:
    """Return ``text`` HTML-escaped with every marker wrapped in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for m in FILL.finditer(text or ""):
        out.append(str(escape(text[pos:m.start()])))
        out.append(f'<mark class="fill">{escape(m.group(0))}</mark>')
        pos = m.end()
    out.append(str(escape((text or "")[pos:])))
    return Markup("".join(out))
