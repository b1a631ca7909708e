"""Placeholders an agent must fill before a draft may be sent.

A template writes ``{{ fill("refund amount") }}``; the draft then shows the marker
``[[fill: refund amount]]``. The sending code calls :func:`ensure_sendable` on the final text
and refuses to send while any marker (or a damaged one, such as ``[[fill: refund amount``
left after careless editing) remains.
"""

from __future__ import annotations

import re

from triage.errors import PlaceholderUnfilled, TemplateError

MARKER_OPEN = "[[fill:"
MARKER_CLOSE = "]]"
MARKER = re.compile(r"\[\[\s*fill\s*:\s*(?P<label>[^\[\]\n]*?)\s*\]\]", re.IGNORECASE)
# Anything that still looks like the start of a marker after the whole ones are removed.
_DAMAGED = re.compile(r"\[\[\s*fill\b[^\n]{0,40}", re.IGNORECASE)


def fill(label: str) -> str:
    """Return the marker for a value the agent must supply, e.g. ``[[fill: refund amount]]``.

    Raises TemplateError when ``label`` is empty or would break the marker syntax.
    """
    if not isinstance(label, str) or not label.strip():
        raise TemplateError("fill() needs a label saying what the agent must write, "
                            "e.g. {{ fill(\"refund amount\") }}")
    if any(ch in label for ch in "[]\r\n"):
        raise TemplateError(f"fill() label {label!r} may not contain brackets or line breaks")
    return f"{MARKER_OPEN} {label.strip()}{MARKER_CLOSE}"


def unfilled_placeholders(text: str) -> list[str]:
    """Return the labels of every marker still in ``text``, in order (damaged ones as found)."""
    labels = [m.group("label") for m in MARKER.finditer(text or "")]
    rest = MARKER.sub("", text or "")
    labels += [m.group(0).strip() for m in _DAMAGED.finditer(rest)]
    return labels


def ensure_sendable(text: str) -> str:
    """Return ``text`` unchanged when it has no placeholder left.

    Raises PlaceholderUnfilled naming every marker still to fill; ``labels`` on the exception
    lists them for a user interface.
    """
    labels = unfilled_placeholders(text)
    if labels:
        raise PlaceholderUnfilled(
            f"the draft still has {len(labels)} placeholder(s) to fill: "
            + ", ".join(repr(x) for x in labels)
            + "; replace each [[fill: ...]] marker with the real text before sending",
            labels)
    return text
