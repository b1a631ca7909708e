"""Parse raw RFC 5322 bytes into a :class:`~triage.models.ParsedMessage`.

Uses the standard ``email`` package (``compat32`` parsing, with the headers we need decoded
here: RFC 2047 words and raw 8-bit bytes); HTML is turned into readable
text with inscriptis; unknown or wrong charsets are decoded with charset-normalizer so that
Vietnamese, Indonesian and Tagalog text survives mislabelled mail.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import unicodedata
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from charset_normalizer import from_bytes

from triage.clock import ensure_utc
from triage.errors import ParseError
from triage.mail.boundaries import install as _install_boundaries
from triage.mail.htmlquote import mark_quotes
from triage.mail.htmltext import html_text
from triage.mail.loops import bounced_message, detect_auto
from triage.mail.mime import IndexedMessage, decoded_size
from triage.mail.mimetree import parse_message
from triage.mail.quotes import strip_quotes
from triage.models import Attachment, ParsedMessage

log = logging.getLogger(__name__)

GENERATED_ID_DOMAIN = "generated.triage.invalid"
_CACHED_ADDRESS_LEN = 500
"""Header values up to this length are decoded and address headers parsed once per process
(the support address in To, a customer's From and name in each of their mails); longer ones
each time, and not kept."""

_install_boundaries()  # the feedparser's boundaries without a pattern compiled per message


def decode_header_value(value: str) -> str:
    """Decode RFC 2047 encoded words and raw 8-bit bytes (any charset) in a header value.

    Never raises: undecodable parts are kept as they are. Values up to
    :data:`_CACHED_ADDRESS_LEN` characters are decoded once per process (a customer's name
    and the subjects of a thread come back in each mail).
    """
    if len(value) <= _CACHED_ADDRESS_LEN:
        return _cached_header_value(value)
    return _decode_header_value(value)


@functools.lru_cache(maxsize=4096)
def _cached_header_value(value: str) -> str:
    return _decode_header_value(value)


def _decode_header_value(value: str) -> str:
    text = value
    if not text.isascii() and any("\udc80" <= ch <= "\udcff" for ch in text):
        # 8-bit header bytes without encoded words: decode like a body without charset
        text = decode_bytes(text.encode("ascii", "surrogateescape"), None)
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except Exception:  # an unknown charset label (=?NONE?, x-unknown): detect it
            text = _decode_words(text)
    return unicodedata.normalize("NFC", text)


def _decode_words(text: str) -> str:
    """Decode encoded words whose charset label Python does not know by detecting the
    charset (charset-normalizer); keep the raw text when the words themselves are broken."""
    try:
        parts = decode_header(text)
    except Exception:
        log.debug("undecodable encoded word in %r", text[:80])
        return text
    out = []
    for payload, charset in parts:
        if isinstance(payload, str):
            out.append(payload)
            continue
        label = (charset or "").lower()
        try:
            out.append(payload.decode(label) if label and label != "unknown-8bit" else
                       payload.decode("ascii"))
        except (LookupError, UnicodeDecodeError, ValueError):
            # ValueError: a label codecs cannot even look up (an embedded NUL; found by fuzzing)
            out.append(decode_bytes(payload, None))
    return "".join(out)


def raw_header_text(value: str) -> str:
    """A raw header value with its 8-bit bytes (RFC 6532 UTF-8, or legacy charsets) decoded,
    encoded words left alone: for splitting addresses before decoding names."""
    if value.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("ascii", "surrogateescape"), None)


_OBS_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)
_FOLDED_BOUNDARY = (re.compile(rb'(?i)(boundary=)\r?\n[ \t]+'),
                    re.compile(rb'(?i)(boundary="[^"\r\n]*)\r?\n[ \t]+([^"\r\n]*")'))
_FOLD_HINT = re.compile(rb'boundary=(?:"[^"\r\n]*)?\r?\n[ \t]')
"""Found in the lower-cased header wherever either of :data:`_FOLDED_BOUNDARY` matches."""


def repair_headers(raw: bytes) -> bytes:
    """Fix two header forms the email package misreads, in the header section only.

    ``From  :`` (RFC 5322 obsolete syntax: white space before the colon) is read as
    ``From:``; a ``boundary`` parameter folded across lines (inside or right after
    ``boundary=``) is unfolded, or the body would come out empty.
    """
    end = header_end(raw)
    head = raw[:end]
    fixed = head
    if b" :" in head or b"\t:" in head:  # the obsolete form needs one of them
        fixed = _OBS_NAME.sub(rb"\1:", fixed)
    if (b"oundary=" in fixed or b"OUNDARY=" in fixed) and _FOLD_HINT.search(fixed.lower()):
        for _ in range(8):
            again = _FOLDED_BOUNDARY[1].sub(rb"\1\2", _FOLDED_BOUNDARY[0].sub(rb"\1", fixed))
            if again == fixed:
                break
            fixed = again
    return raw if fixed == head else fixed + raw[end:]


def header_end(raw: bytes) -> int:
    """Where the header section of ``raw`` ends: its first empty line (CRLF or LF), else the
    end. The LF form is looked for only before the CRLF one (a CRLF mail has none)."""
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n", 0, crlf if crlf >= 0 else len(raw))
    # "\n\n" cannot start inside "\r\n\r\n", so one found before it comes first
    return lf if lf >= 0 else crlf if crlf >= 0 else len(raw)


def _first_headers(msg: Message) -> dict[str, str]:
    """Return the first value of every header by lower-case name, as received (8-bit
    bytes as surrogate escapes).

    One pass instead of one per looked-up header: received mail carries 15-30 trace
    headers (Received, DKIM, ARC) before the few we read.
    """
    if isinstance(msg, IndexedMessage):  # the message's own index of first fields
        return {key: str(value) for key, (_, value) in msg.first_fields().items()}
    out: dict[str, str] = {}
    for key, value in msg.raw_items():
        out.setdefault(key.lower(), str(value))
    return out


def _header(headers: dict[str, str], name: str) -> str:
    """Return the decoded ``name`` header (lower case) of ``headers``, or '' when absent."""
    raw = headers.get(name)
    if raw is None:
        return ""
    return " ".join(decode_header_value(raw).split())


_LATIN_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii",
                 "windows-1252", "cp1252", "iso-8859-15", "iso8859-15"}
"""Labels that are often put on UTF-8 text by mistake (they decode any byte, silently)."""
_OUR_CODECS = ["cp1252", "cp1258", "iso8859_15", "latin_1"]
"""Legacy codecs of our languages (en, vi, id, tl) tried first when detecting a charset."""


def decode_bytes(payload: bytes, declared: str | None) -> str:
    """Decode ``payload`` using the declared charset, else the detected one; NFC-normalised.

    UTF-8 mislabelled as Latin-1/ASCII is recognised (valid multi-byte UTF-8 is almost never
    real Latin-1 text). Never raises: the last resort is UTF-8 with replacement characters.
    """
    return unicodedata.normalize("NFC", _decode(payload, (declared or "").strip().lower()))


def _decode(payload: bytes, declared: str) -> str:
    if declared in _LATIN_LABELS and not payload.isascii():
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if declared:
        try:
            return payload.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(payload, cp_isolation=_OUR_CODECS).best() or from_bytes(payload).best()
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
        return html_text(html).strip()
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
            filename = decode_header_value(filename) if filename else None
        except Exception:
            filename = None
        if ctype.startswith("image/") and disposition != "attachment" and (
                disposition == "inline" or part.get("Content-ID")):
            continue  # inline images (logos, signatures, cid: pictures): ignored
        if disposition == "attachment" or (filename and ctype not in ("text/plain", "text/html")):
            attachments.append(Attachment(filename=filename, content_type=ctype,
                                          size=decoded_size(part)))
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
        text = html_to_text(mark_quotes(html_joined))
    else:
        text = ""
    return text, html_joined, attachments


@functools.lru_cache(maxsize=4096)
def _cached_address(value: str) -> tuple[str, str]:
    return parseaddr(value)


@functools.lru_cache(maxsize=4096)
def _cached_address_list(value: str) -> tuple[str, ...]:
    return tuple(a.lower() for _, a in getaddresses([value]) if a)


def _parse_address(value: str) -> tuple[str, str]:
    """``email.utils.parseaddr(value)``."""
    return _cached_address(value) if len(value) <= _CACHED_ADDRESS_LEN else parseaddr(value)


def _address_list(value: str) -> tuple[str, ...]:
    """The lower-cased addresses of an address-list header value (To, Cc)."""
    if len(value) <= _CACHED_ADDRESS_LEN:
        return _cached_address_list(value)
    return tuple(a.lower() for _, a in getaddresses([value]) if a)


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
        # compat32 parses lazily and fast (policy.default parsed every header it touched and
        # took ~80 % of ingest time); headers we need are decoded by decode_header_value
        msg = parse_message(repair_headers(raw))
    except Exception as exc:  # the parser is lenient; this is truly broken input
        raise ParseError(f"not parseable as email: {exc}") from exc
    if not msg.keys():
        raise ParseError("no email headers found (is this an email file?)")

    # split the address before decoding, so an encoded comma in a name cannot split it
    headers = _first_headers(msg)
    try:
        name, addr = _parse_address(" ".join(raw_header_text(headers.get("from", "")).split()))
    except RecursionError as exc:
        # the standard library's address parser recurses once per ':' (found by fuzzing)
        raise ParseError("From header could not be read: too deeply nested "
                         "(thousands of ':' or ',')") from exc
    name = decode_header_value(name)
    sender = addr.strip().lower()
    message_id = _header(headers, "message-id")
    if not message_id or "<" not in message_id:
        message_id = generated_message_id(raw) if not message_id else f"<{message_id.strip('<>')}>"
    received = fallback_received
    date_header = _header(headers, "date")
    if date_header:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            received = ensure_utc(parsedate_to_datetime(date_header))
    try:
        text, html, attachments = _walk_body(msg)
    except Exception as exc:
        raise ParseError(f"body could not be decoded: {exc}") from exc
    subject = _header(headers, "subject")
    try:
        is_auto, reason = detect_auto(msg, sender=sender, own_addresses=own_addresses,
                                      subject=subject)
    except Exception as exc:  # stdlib header parsers can crash on garbage (found by fuzzing)
        raise ParseError(f"headers could not be read: {type(exc).__name__}: {exc}") from exc
    in_reply_to = (_ids(_header(headers, "in-reply-to")) or [None])[0]
    references = _ids(_header(headers, "references"))
    bounced_id, bounced_subject = bounced_message(msg) if is_auto else (None, "")
    if bounced_id:
        # link the bounce to the reply that bounced (by Message-ID, and by its [#T-n] token)
        in_reply_to = in_reply_to or bounced_id
        references = [*references, bounced_id] if bounced_id not in references else references
        reason = f"{reason}; bounce of {bounced_id} ({bounced_subject[:120]})"
    try:
        to, cc = (list(_address_list(" ".join(raw_header_text(headers.get(h, "")).split())))
                  for h in ("to", "cc"))
    except RecursionError:
        # To/Cc show the thread and help loop detection: a header the stdlib parser cannot
        # read (found by fuzzing) is dropped
        log.warning("To/Cc of %s dropped: too deeply nested to parse", message_id)
        to, cc = [], []
    return ParsedMessage(
        message_id=message_id,
        channel="email",
        sender=sender,
        sender_name=name.strip(),
        subject=subject,
        text=strip_quotes(text, subject),
        full_text=text,
        received_at=received,
        in_reply_to=in_reply_to,
        references=references,
        to=to,
        cc=cc,
        is_auto=is_auto,
        auto_reason=reason,
        attachments=attachments,
        html=html,
        defects=defects_of(msg, sender, subject, name, text),
    )


# Defects of the stdlib parser that mean some of the message was lost or guessed.
_SERIOUS = ("InvalidBase64", "MissingHeaderBodySeparator", "MultipartInvariantViolation",
            "StartBoundaryNotFound", "CloseBoundaryNotFound", "NoBoundaryInMultipart",
            "InvalidMultipartContentTransferEncoding", "UndecodableBytes",
            "NonPrintable", "InvalidHeader", "HeaderMissingRequiredValue")
_GARBLED = 0.02
"""Share of replacement or control characters above which a text counts as undecodable."""


_BAD_CHARS = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
"""Replacement characters and control characters (Unicode category Cc) but tab, newline,
carriage return and form feed."""


def _garbled(text: str) -> bool:
    if not text:
        return False
    return len(_BAD_CHARS.findall(text)) / len(text) > _GARBLED


def defects_of(msg: Message, sender: str, subject: str, name: str, text: str) -> list[str]:
    """Return what could not be decoded in ``msg`` (empty for a clean message): a missing or
    invalid sender address, parser defects that lose content, and subject, sender name or body
    text that is mostly replacement or control characters."""
    out: list[str] = []
    if not sender or "@" not in sender or any(ch.isspace() for ch in sender):
        out.append("no valid sender address")
    seen: set[str] = set()
    for part in msg.walk():
        for d in getattr(part, "defects", []) or []:
            kind = type(d).__name__.replace("Defect", "")
            if kind.startswith(_SERIOUS) and kind not in seen:
                seen.add(kind)
                out.append(f"mail structure: {kind}")
    for label, value in (("subject", subject), ("sender name", name), ("body", text)):
        if _garbled(value):
            out.append(f"{label} could not be decoded")
    return out
