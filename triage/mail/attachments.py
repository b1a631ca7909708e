"""Attachments and inline images of a stored email, read back from its raw bytes.

The store keeps only name, type and size of each attachment (``messages.attachments``); the
bytes stay in the raw message, so a download parses it again. Attachments are numbered in MIME
order as ``messages.attachments`` lists them; inline images are numbered apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from triage.errors import NotFound
from triage.mail.parse import decode_header_value


@dataclass(frozen=True)
class Part:
    """One attachment or inline image."""

    index: int
    filename: str
    content_type: str
    size: int
    inline_image: bool
    """An image shown in the message body (``cid:`` or inline); shown only after a click."""


def _walk(raw: bytes) -> list[tuple[Part, bytes]]:
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    out: list[tuple[Part, bytes]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        try:
            name = part.get_filename()
            name = decode_header_value(name) if name else ""
        except Exception:  # a broken filename header: keep the part, unnamed
            name = ""
        inline_image = ctype.startswith("image/") and disposition != "attachment" and (
            disposition == "inline" or bool(part.get("Content-ID")))
        if not (inline_image or disposition == "attachment"
                or (name and ctype not in ("text/plain", "text/html"))):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        n = sum(1 for p, _ in out if p.inline_image == inline_image)
        out.append((Part(n, name or f"part-{n + 1}", ctype, len(data), inline_image), data))
    return out


def parts(raw: bytes) -> list[Part]:
    """Return the attachments and inline images of ``raw``, in MIME order."""
    return [p for p, _ in _walk(raw)] if raw else []


def payload(raw: bytes, index: int, *, inline_image: bool = False) -> tuple[Part, bytes]:
    """Return attachment ``index`` of ``raw`` (or inline image ``index`` with
    ``inline_image``) and its decoded bytes; raises NotFound."""
    found = [(p, d) for p, d in (_walk(raw) if raw else []) if p.inline_image == inline_image]
    if not 0 <= index < len(found):
        raise NotFound(f"the message has no {'image' if inline_image else 'attachment'} "
                       f"{index} (or its raw bytes were purged)")
    return found[index]
