"""Placeholders on the review page: the send check and the editor's highlighting.

Detection lives in :mod:`triage.drafting.placeholders` (one definition of a ``[[fill: ...]]`` marker
for templates, CLI and page); this module adds what only the page needs.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from triage.drafting.placeholders import MARKER
from triage.drafting.placeholders import ensure_sendable as _no_markers_left
from triage.drafting.placeholders import unfilled_placeholders as unfilled
from triage.errors import PlaceholderUnfilled

__all__ = ["ensure_sendable", "highlight", "unfilled"]


def ensure_sendable(text: str) -> None:
    """Raise PlaceholderUnfilled when markers remain or the reply is empty."""
    _no_markers_left(text)
    if not (text or "").strip():
        raise PlaceholderUnfilled("the reply is empty; write a reply before sending")


def highlight(text: str) -> Markup:
    """Return ``text`` HTML-escaped with every marker wrapped in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for m in MARKER.finditer(text or ""):
        out.append(str(escape(text[pos:m.start()])))
        out.append(f'<mark class="fill">{escape(m.group(0))}</mark>')
        pos = m.end()
    out.append(str(escape((text or "")[pos:])))
    return Markup("".join(out))
