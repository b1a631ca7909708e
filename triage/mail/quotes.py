"""Strip quoted history and signatures from the text used for classification.

English and the European languages are handled by ``mail-parser-reply``; it knows no
Vietnamese, Indonesian or Tagalog "On ... wrote:" lines, so those headers are cut here first.
The full text is always kept separately for agents.
"""

from __future__ import annotations

import re
from typing import Any

from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailMessage

_EXTRA_HEADERS = re.compile(
    r"^\s*(?:"
    r"V[àa]o .{0,120}(?:đã viết|da viet)\s*:"  # Gmail vi: "Vào ... đã viết:"
    r"|Pada .{0,120}menulis\s*:"  # id: "Pada ..., X menulis:"
    r"|Noong .{0,120}(?:sumulat|ay sumulat)(?: si .{0,80})?\s*:"  # tl
    r"|-{2,}\s*(?:Original Message|Tin nh[ắa]n g[ốo]c|Pesan Asli|Orihinal na Mensahe)\s*-{2,}"
    r"|From:\s.+\n\s*(?:Sent|Date|Ngày|Tanggal|Petsa):"
    r"|_{10,}"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_SIG = re.compile(r"^(?:-- ?|Sent from my \w+.*|Dikirim dari .*|Gửi từ .*|Ipinadala mula sa .*)$",
                  re.MULTILINE)

_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "nl", "it"])


class LineStartPattern:
    """A pattern whose matches can only begin at a line start or at a newline, with a
    ``findall`` that tries just those positions (``re`` tries every character).

    mail-parser-reply's header pattern is such a pattern: each of its alternatives opens
    with ``^`` (multi-line) or ``\n``. ``match(text, pos)`` keeps ``^`` and look-behinds
    exactly as a scan reaching ``pos`` would see them, so for a pattern that cannot match
    the empty string the result equals ``pattern.findall(text)`` (tests/test_quotes.py
    compares the two on real-shaped mail, so a library update that breaks this shows).
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def findall(self, text: str) -> list[Any]:
        """Return what ``self.pattern.findall(text)`` returns."""
        out: list[Any] = []
        match, n, pos = self.pattern.match, len(text), 0
        groups = self.pattern.groups
        while pos <= n:
            m = match(text, pos)
            if m is not None:
                if groups == 0:
                    out.append(m.group(0))
                elif groups == 1:
                    out.append(m.group(1) or "")
                else:
                    out.append(m.groups(""))
                pos = m.end() if m.end() > pos else pos + 1
            elif pos < n and text[pos] == "\n":
                pos += 1  # the line start after this newline
            else:
                nl = text.find("\n", pos + 1)
                pos = nl if nl != -1 else n + 1
        return out


def _library_patterns() -> dict[str, Any]:
    """Compile mail-parser-reply's three patterns once, as it would for every message.

    The library compiles them on each ``EmailMessage`` and counts on ``re``'s cache, but the
    email package compiles a new boundary pattern for every multipart message, and the cache
    is first-in first-out: on real mail the big patterns were recompiled for nearly every
    message (about a millisecond each time).
    """
    proto = EmailMessage(text="", languages=list(_PARSER.languages))
    return {"_header_regex": LineStartPattern(proto.HEADER_REGEX),
            "_disclaimers_regex": proto.DISCLAIMERS_REGEX,
            "_signature_regex": proto.SIGNATURE_REGEX}


_PATTERNS = _library_patterns()
# Every reply header the library knows ends in ':' ("wrote:", "From: ... Subject:") or is a
# "----- Original Message -----" line, and its normalisation only removes characters. Its
# header pattern tries a dozen alternatives at every character, the slowest step for short
# mail; text with neither cannot match, so it gets a pattern that never matches instead.
_NO_HEADERS = {**_PATTERNS, "_header_regex": re.compile(r"(?!)")}
_EXTRA_MARKS = (":", "--", "_" * 10)
"""One of these is in every text :data:`_EXTRA_HEADERS` can match."""


def _latest_reply(text: str) -> str | None:
    """``EmailReplyParser.parse_reply`` with the patterns compiled once."""
    patterns = _PATTERNS if ":" in text or "-----" in text else _NO_HEADERS
    return EmailMessage(text=text, languages=list(_PARSER.languages), **patterns).read(
    ).latest_reply


def strip_quotes(text: str) -> str:
    """Return the newest part of an email body: no quoted history, no signature block.

    Falls back to the whole text when stripping would leave nothing.
    """
    if not text.strip():
        return ""
    head = text
    m = _EXTRA_HEADERS.search(head) if any(k in head for k in _EXTRA_MARKS) else None
    if m:
        head = head[: m.start()]
    lines = [ln for ln in head.splitlines() if not ln.lstrip().startswith(">")]
    head = "\n".join(lines)
    try:
        latest = _latest_reply(head)
    except Exception:  # the library's regexes can choke on odd input; keep our cut
        latest = head
    sig = _SIG.search(latest or "")
    if sig:
        latest = latest[: sig.start()]
    latest = (latest or "").strip()
    return latest or text.strip()
