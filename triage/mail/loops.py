"""Mail-loop and noise guard: decide whether a message was sent by a machine.

A message marked automatic is stored and visible but never gets an automatic reply.
The checks follow the lessons of existing helpdesks (``shared/docs/domain.md``): RFC 3834
Auto-Submitted, Precedence, Microsoft's X-Auto-Response-Suppress, mailing-list headers,
X-Loop, delivery status reports and our own Message-IDs.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message

_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|bounces?)([+@-]|$)", re.I)
_NOREPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?)([+@-]|$)", re.I)
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response)|out of (the )?office|abwesenheit|"
    r"tr[ảa] l[ờo]i t[ựu] [đd][ộo]ng|balas otomatis|wala sa opisina|"
    r"undeliverable|delivery status notification|mail delivery failed|returned mail)",
    re.I,
)


def detect_auto(msg: Message, *, sender: str, own_addresses: tuple[str, ...] = (),
                own_message_id_suffix: str = "@triage",
                subject: str | None = None) -> tuple[bool, str | None]:
    """Return ``(is_auto, reason)`` for a parsed email.

    ``subject`` is the decoded subject when the caller has it (the raw header otherwise).
    ``reason`` names the header or rule that fired, so agents can see why.
    """
    auto_submitted = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True, f"Auto-Submitted: {auto_submitted}"
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    if precedence in {"bulk", "list", "junk", "auto_reply"}:
        return True, f"Precedence: {precedence}"
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Response"):
        return True, "X-Autoreply header"
    suppress = str(msg.get("X-Auto-Response-Suppress", "") or "").strip().lower()
    if suppress and any(t in suppress for t in ("all", "oof", "autoreply", "dr", "rn", "nrn")):
        return True, f"X-Auto-Response-Suppress: {suppress}"
    if msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return True, "mailing list (List-Id/List-Unsubscribe)"
    if msg.get("X-Loop"):
        return True, "X-Loop header"
    if msg.get_content_type() == "multipart/report":
        return True, "delivery or disposition report (multipart/report)"
    local = sender.split("@", 1)[0] if sender else ""
    if local and _BOUNCE_SENDERS.match(local):
        return True, f"bounce sender {sender}"
    if local and _NOREPLY.match(local):
        return True, f"no-reply sender {sender}"
    if sender and sender.lower() in own_addresses:
        # our own outgoing mail (an agent replying from a mail client): never answer it
        return True, f"sent from our own address {sender}"
    mid = str(msg.get("Message-ID", "") or "")
    if own_message_id_suffix and own_message_id_suffix in mid:
        return True, "one of our own Message-IDs"
    if subject is None:
        subject = str(msg.get("Subject", "") or "")
    if _AUTO_SUBJECT.match(subject.strip()):
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
