"""Parse raw RFC 5322 bytes into a :class:`~triage.models.ParsedMessage`.

Uses the standard ``email`` package with ``policy.default``; HTML is turned into readable
text with inscriptis; unknown or wrong charsets are decoded with charset-normalizer so that
Vietnamese, Indonesian and Tagalog text survives mislabelled mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from charset_normalizer import from_bytes
from inscriptis import get_text

from triage.clock import ensure_utc
from triage.errors import ParseError
from triage.mail.loops import detect_auto
from triage.mail.quotes import strip_quotes
from triage.models import Attachment, ParsedMessage

log = logging.getLogger(__name__)

GENERATED_ID_DOMAIN = "generated.triage.invalid"


def _header(msg: Message, name: str) -> str:
    """Return a decoded header value, or '' when absent or unreadable."""
    try:
        value = msg.get(name)
    except Exception:  # a malformed header can raise while policy.default parses it
        # raw_items() skips the policy's parsing (get_all would raise again); found by fuzzing
        raw = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
        value = raw[0] if raw else None
    if value is None:
        return ""
    text = str(value)
    return " ".join(text.split())


def decode_bytes(payload: bytes, declared: str | None) -> str:
    """Decode ``payload`` using the declared charset, else the detected one.

    Never raises: the last resort is UTF-8 with replacement characters.
    """
    if declared:
        try:
            return payload.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(payload).best()
    if best is not None:
        return str(best)
    return payload.decode("utf-8", errors="replace")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if not isinstance(payload, bytes):
        payload = str(payload).encode("utf-8", "replace")
    return decode_bytes(payload, part.get_content_charset())


def html_to_text(html: str) -> str:
    """Turn an HTML body into readable plain text."""
    try:
        return get_text(html).strip()
    except Exception as exc:  # inscriptis rejects some broken markup; keep the message
        log.debug("html conversion failed: %s", exc)
        return html


def _walk_body(msg: Message) -> tuple[str, str | None, list[Attachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        if disposition == "attachment" or (filename and ctype not in ("text/plain", "text/html")):
            if disposition == "inline" and ctype.startswith("image/"):
                continue  # inline images: ignored
            payload = part.get_payload(decode=True) or b""
            size = len(payload) if isinstance(payload, bytes) else 0
            attachments.append(Attachment(filename=filename, content_type=ctype, size=size))
            continue
        if ctype == "text/plain":
            plain.append(_part_text(part))
        elif ctype == "text/html":
            html.append(_part_text(part))
        elif ctype.startswith("message/") or ctype.startswith("image/"):
            continue
    html_joined = "\n".join(html) if html else None
    if plain and any(p.strip() for p in plain):
        text = "\n\n".join(p.strip() for p in plain if p.strip())
    elif html_joined:
        text = html_to_text(html_joined)
    else:
        text = ""
    return text, html_joined, attachments


def generated_message_id(raw: bytes) -> str:
    """Return a stable Message-ID for a message that has none (same bytes, same id)."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@{GENERATED_ID_DOMAIN}>"


def _ids(value: str) -> list[str]:
    return [tok for tok in value.replace(",", " ").split() if tok.startswith("<")]


def parse_email(raw: bytes, *, fallback_received: datetime,
                own_addresses: tuple[str, ...] = ()) -> ParsedMessage:
    """Parse one email.

    Returns a ParsedMessage; raises ParseError (the caller quarantines the message) when the
    bytes are not an email at all.
    """
    if not raw or not raw.strip():
        raise ParseError("empty message: no headers and no body")
    try:
        msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore
    except Exception as exc:  # the parser is lenient; this is truly broken input
        raise ParseError(f"not parseable as email: {exc}") from exc
    if not msg.keys():
        raise ParseError("no email headers found (is this an email file?)")

    name, addr = parseaddr(_header(msg, "From"))
    sender = addr.strip().lower()
    message_id = _header(msg, "Message-ID")
    if not message_id or "<" not in message_id:
        message_id = generated_message_id(raw) if not message_id else f"<{message_id.strip('<>')}>"
    received = fallback_received
    date_header = _header(msg, "Date")
    if date_header:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            received = ensure_utc(parsedate_to_datetime(date_header))
    try:
        text, html, attachments = _walk_body(msg)
    except Exception as exc:
        raise ParseError(f"body could not be decoded: {exc}") from exc
    try:
        is_auto, reason = detect_auto(msg, sender=sender, own_addresses=own_addresses)
    except Exception as exc:  # stdlib header parsers can crash on garbage (found by fuzzing)
        raise ParseError(f"headers could not be read: {type(exc).__name__}: {exc}") from exc
    to = [a.lower() for _, a in getaddresses([_header(msg, "To"), _header(msg, "Cc")]) if a]
    return ParsedMessage(
        message_id=message_id,
        channel="email",
        sender=sender,
        sender_name=name.strip(),
        subject=_header(msg, "Subject"),
        text=strip_quotes(text),
        full_text=text,
        received_at=received,
        in_reply_to=(_ids(_header(msg, "In-Reply-To")) or [None])[0],
        references=_ids(_header(msg, "References")),
        to=to,
        is_auto=is_auto,
        auto_reason=reason,
        attachments=attachments,
        html=html,
    )
