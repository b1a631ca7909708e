"""Mail-loop and noise guard: decide whether a message was sent by a machine.

A message marked automatic is stored and visible but never gets an automatic reply.
The checks follow the lessons of existing helpdesks (``shared/docs/domain.md``): RFC 3834
Auto-Submitted, Precedence, the null reverse path, mailing-list headers (RFC 2369/2919),
X-Loop, delivery, abuse (ARF, RFC 5965) and disposition reports, bounce and no-reply senders,
our own Message-IDs (:mod:`triage.mail.msgid`) and automatic subjects per language
(:mod:`triage.mail.auto_subjects`).
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message

from triage.mail.auto_subjects import AUTO_SUBJECT
from triage.mail.mime import IndexedMessage
from triage.mail.msgid import is_own_message_id

_BOUNCE_SENDERS = re.compile(
    r"^(mailer[-_.]?daemon|mail[-_.]?daemon|post[-_.]?master|mdaemon|bounces?|"
    r"mail[-_.]?delivery[-_.]?(?:subsystem|system))([+@=-]|$)", re.I)
_NOREPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?)([+@-]|$)", re.I)
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Help",
                 "List-Archive", "List-Owner")
_MARKING_HEADERS = frozenset(name.lower() for name in (
    "Auto-Submitted", "Precedence", "X-Autoreply", "X-Autorespond", "X-Auto-Response",
    *_LIST_HEADERS, "X-Loop"))
"""The headers whose presence can mark a message automatic (all but the null sender's)."""
_REPORT_TYPES = {"message/delivery-status", "message/feedback-report",
                 "message/disposition-notification", "message/global-delivery-status",
                 "message/global-disposition-notification"}


def _null_sender(msg: Message) -> str | None:
    """The header that carries the null reverse path ``<>`` (bounces, RFC 3834 replies)."""
    for name in ("Return-Path", "From"):
        value = str(msg.get(name, "") or "").strip()
        if value and value.replace(" ", "") in {"<>", "<<>>"}:
            return name
    return None


def _may_have(msg: Message, names: frozenset[str]) -> bool:
    """False when ``msg`` has none of the headers ``names`` (lower case): every look-up of
    them would come back empty (16 look-ups a mail, nearly all of absent headers, #19)."""
    if isinstance(msg, IndexedMessage):
        return not names.isdisjoint(msg.first_fields())
    return True


def _report_part(msg: Message) -> str | None:
    """The content type of a delivery, feedback (ARF) or disposition report anywhere in
    ``msg`` (top level, in multipart/report or wrapped in multipart/mixed)."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in _REPORT_TYPES or ctype == "multipart/report":
            return ctype
    return None


def detect_auto(msg: Message, *, sender: str, own_addresses: tuple[str, ...] = (),
                subject: str | None = None) -> tuple[bool, str | None]:
    """Return ``(is_auto, reason)`` for a parsed email.

    ``subject`` is the decoded subject when the caller has it (the raw header otherwise).
    ``reason`` names the header or rule that fired, so agents can see why.
    ``X-Auto-Response-Suppress`` alone never marks mail automatic: Outlook sets it on
    ordinary human messages too.
    """
    marked = _may_have(msg, _MARKING_HEADERS)
    auto_submitted = str(msg.get("Auto-Submitted", "") or "").strip().lower() if marked else ""
    if auto_submitted and auto_submitted != "no":
        return True, f"Auto-Submitted: {auto_submitted}"
    precedence = str(msg.get("Precedence", "") or "").strip().lower() if marked else ""
    if precedence in {"bulk", "list", "junk", "auto_reply"}:
        return True, f"Precedence: {precedence}"
    if marked and (msg.get("X-Autoreply") or msg.get("X-Autorespond")
                   or msg.get("X-Auto-Response")):
        return True, "X-Autoreply header"
    null = _null_sender(msg)
    if null:
        return True, f"null sender ({null}: <>)"
    for name in _LIST_HEADERS if marked else ():
        if msg.get(name):
            return True, f"mailing list ({name})"
    if marked and msg.get("X-Loop"):
        return True, "X-Loop header"
    report = _report_part(msg)
    if report:
        return True, f"delivery, abuse or disposition report ({report})"
    local = sender.split("@", 1)[0] if sender else ""
    if local and _BOUNCE_SENDERS.match(local):
        return True, f"bounce sender {sender}"
    if local and _NOREPLY.match(local):
        return True, f"no-reply sender {sender}"
    if sender and sender.lower() in own_addresses:
        # our own outgoing mail (an agent replying from a mail client): never answer it
        return True, f"sent from our own address {sender}"
    mid = " ".join(str(msg.get("Message-ID", "") or "").split())
    if mid and is_own_message_id(mid):
        return True, "one of our own Message-IDs (our mail came back)"
    if subject is None:
        subject = str(msg.get("Subject", "") or "")
    if AUTO_SUBJECT.match(subject):
        return True, f"automatic-reply subject {subject.strip()[:60]!r}"
    return False, None


def bounced_message(msg: Message) -> tuple[str | None, str]:
    """Return ``(Message-ID, Subject)`` of the message a bounce reports, or ``(None, "")``.

    Reads the returned headers (``text/rfc822-headers``) or message (``message/rfc822``) of a
    delivery status report, or of a bounce that quotes the original as an attachment.
    """
    for part in msg.walk():
        ctype = part.get_content_type()
        original: Message | None = None
        if ctype == "message/rfc822":
            payload = part.get_payload()
            original = payload[0] if isinstance(payload, list) and payload else None
        elif ctype == "text/rfc822-headers":
            raw = part.get_payload(decode=True) or b""
            if isinstance(raw, bytes):
                original = message_from_bytes(raw)
        if original is not None and original.get("Message-ID"):
            mid = " ".join(str(original.get("Message-ID")).split())
            return (mid if "<" in mid else f"<{mid.strip('<>')}>",
                    " ".join(str(original.get("Subject", "") or "").split()))
    return None, ""
