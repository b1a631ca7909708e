"""Placeholders on the review page: the editor's highlighting.

Detection lives in :mod:`triage.drafting.placeholders` (one definition of a ``[[fill: ...]]`` marker
for templates, CLI and page) and the send check in :func:`triage.review.ensure_sendable`; this
module adds what only the page needs.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from triage.drafting.placeholders import MARKER
from triage.drafting.placeholders import unfilled_placeholders as unfilled

__all__ = ["highlight", "unfilled"]


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
