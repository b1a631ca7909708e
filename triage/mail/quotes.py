"""The customer's own words of an email: quoted history and signatures removed, forwards kept.

Built on ``mail-parser-reply`` (its reply-header patterns for the 13 languages it knows and
its disclaimer patterns), extended with the tables of :mod:`triage.mail.reply_markers` for
the languages and client shapes it misses (Vietnamese, Indonesian, Tagalog, Malay, Thai,
Portuguese, Russian, Norwegian; Samsung, Yandex, mail.ru, Zoho, Lark, Windows Mail; wrapped
and same-line attributions) and with a line walk that keeps what the customer wrote *below*
or *between* quoted lines (bottom posting, interleaved answers). A forwarded message is the
customer's message too: it is kept after one :data:`FORWARD_MARK` line. The full text is
always stored separately for agents. See docs/architecture.md for the comparison of libraries.
"""

from __future__ import annotations

import re
from typing import Any

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage

from triage.mail import reply_markers as rm

FORWARD_MARK = "---------- Forwarded message ----------"
"""The line put before a forwarded message that is kept."""

_COLON = r"\s?[:：]"
_WROTE_END = re.compile(rf"(?:{rm.alternation(rm.WROTE)})(?:\s+si\s.{{1,120}})?{_COLON}\s*$",
                        re.IGNORECASE)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?|<[^<>\s]+@[^<>\s]+>")
_DASH_WROTE = re.compile(rf"^-{{2,}}.{{0,240}}\b(?:{rm.alternation(rm.WROTE)})\s*-{{2,}}\s*$",
                         re.IGNORECASE)
_SEPARATOR = re.compile(rf"^[-=_*\s]{{2,}}(?:{rm.alternation(rm.SEPARATORS)})[-=_*\s:]*$",
                        re.IGNORECASE)
_FORWARD = re.compile(rf"^[-=_*\s]{{2,}}(?:{rm.alternation(rm.FORWARDS)})[-=_*\s:]*$",
                      re.IGNORECASE)
_APPLE_FORWARD = re.compile(rf"^\s*(?:{rm.alternation(rm.APPLE_FORWARDS)})\s*[:：]?\s*$",
                            re.IGNORECASE)
_LABEL = r"\s*\*?\s*(?:{})\s*\*?\s*[:：]\s*\*?"
_FROM_LINE = re.compile(r"^" + _LABEL.format(rm.alternation(rm.FROM)) + r"\s*\S", re.IGNORECASE)
_OTHER_LINE = re.compile(r"^" + _LABEL.format(rm.alternation(rm.OTHER_LABELS)), re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_SIGNATURE = re.compile(
    r"^\s*(?:--\s*|__\s*|(?:" + "|".join(rm.MOBILE_SIGNATURES) + r")\s*(?:<[^>]*>)?\s*)$")
_DISCLAIMER = re.compile(r"^\s*(?:" + "|".join(rm.DISCLAIMERS) + ")", re.IGNORECASE)
_OPENER = re.compile(rf"(?<=[.!?])\s+((?:{rm.alternation(rm.ATTRIBUTION_OPENERS)})\s.+)$")
_STARTS_ATTRIBUTION = re.compile(
    rf"^\s*(?:(?:{rm.alternation(rm.ATTRIBUTION_OPENERS)})\s|\d)", re.IGNORECASE)
_NOT_A_QUOTE = re.compile(r"^>+\s*\S+://\S+\s*<+\s*$")
"""``>>> https://example.com <<<``: a highlighted link, not a quoted line."""

_LANGUAGES = [k for k in MAIL_LANGUAGES if k != "david"]


def _library_header() -> re.Pattern[str]:
    """mail-parser-reply's reply-header pattern for all its languages, compiled once."""
    return EmailMessage(text="", languages=list(_LANGUAGES)).HEADER_REGEX  # type: ignore[no-any-return]


_LIBRARY_HEADER = _library_header()


def _is_quoted(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(">") and not _NOT_A_QUOTE.match(stripped)


def _attribution(line: str) -> bool:
    """True when ``line`` reads like "On <date>, <name> <address> wrote:"."""
    s = line.strip().lstrip(">").strip()
    if not s or len(s) > 400:
        return False
    # _WROTE_END ends with a colon and white space: in a stripped text, only where the text
    # ends with the colon (searched at every position of the line otherwise, ~25 us a line)
    if (_colon_end(s) and _WROTE_END.search(s)
            and (len(s) < 160 or _ADDRESS.search(s) or re.search(r"\d", s))):
        return True
    if _DASH_WROTE.match(s):
        return True
    # "2014-10-17 11:28 GMT+03:00 Name <addr>:", Yandex, Japanese and Russian Gmail
    return bool(s.endswith((":", "：")) and _ADDRESS.search(s) and re.search(r"\d", s))


def _header_block(lines: list[str], i: int) -> bool:
    """True when a 'From: ... / Sent: ...' block starts at ``lines[i]``."""
    if not _FROM_LINE.match(lines[i]):
        return False
    following = [ln for ln in lines[i + 1:i + 5] if ln.strip()]
    labels = sum(1 for ln in following[:3] if _OTHER_LINE.match(ln))
    # "From: Berlin warehouse / To: Munich" in a customer's text is no header block: a real
    # one names a sender's address, or has more labels
    return labels >= 2 or (labels >= 1 and bool(_ADDRESS.search(lines[i]) or "<" in lines[i]))


def _colon_end(s: str) -> bool:
    """Whether the stripped text ``s`` ends with a colon (the one place :data:`_WROTE_END`
    can match in it)."""
    return s.endswith((":", "："))


_LIBRARY_WORDS = ("wrote:", "schrieb", "napsal(a):", "skrev", "ha scritto:", "schreef:",
                  "-----")
"""Lower-case ASCII strings of which a line :data:`_LIBRARY_HEADER` matches holds one (or
the Polish label of :data:`_LIBRARY_LABEL`), when the line is ASCII: each of the library's
reply headers but the header blocks ends with its language's verb ("wrote:", "schrieb",
"a écrit"...), a header block needs two label lines (a single line has one), but the Polish
one, which needs one; "-----" starts its "Original Message" separator."""
_LIBRARY_WORD = re.compile("|".join(re.escape(w) for w in (
    *_LIBRARY_WORDS, " escribió:", "a écrit", "年", "님이 작성하였습니다:", "nadesłał",
    "napisał(a)", "写道：")), re.IGNORECASE)
"""The same for any line, non-ASCII verbs too: searched with ``re``'s own case rules."""
_LIBRARY_LABEL = re.compile(r"(?:> ?)*[* ]*(?:Od|Wysłano|Do|Temat|Data|DW):", re.IGNORECASE)
"""The start of the Polish header block, the one the library takes from a single line."""


def _library_may_hit(s: str) -> bool:
    """False when :data:`_LIBRARY_HEADER` cannot match the stripped line ``s`` (alone or
    after a line end): it holds none of the strings every one of the library's patterns
    needs. Its patterns backtrack over the whole line for each of its 13 languages (~20 us
    a line; a one-line Outlook header ~200 us), the words are found in ~1 us."""
    if _LIBRARY_LABEL.match(s):
        return True
    if s.isascii():
        # ASCII text: re's case-insensitive match of ASCII letters is lower-casing, and the
        # non-ASCII verbs cannot occur
        low = s.lower()
        return any(w in low for w in _LIBRARY_WORDS)
    return _LIBRARY_WORD.search(s) is not None


def _library_hit(line: str) -> bool:
    """True when mail-parser-reply's header pattern matches at the start of ``line``."""
    if ":" not in line and "-----" not in line:
        return False
    s = line.strip()
    if not _library_may_hit(s):
        return False
    return _LIBRARY_HEADER.match("\n" + s + "\n") is not None or \
        _LIBRARY_HEADER.match(s + "\n") is not None


class _Kind:
    ATTRIBUTION = "attribution"   # a quote introduced by one line; '>' lines may follow
    BLOCK = "block"               # a header block or separator; everything after is quoted
    FORWARD = "forward"


def _classify(lines: list[str], i: int) -> tuple[str, int] | None:
    """What starts at ``lines[i]``, and how many lines the marker itself takes."""
    line = lines[i]
    s = line.strip()
    if not s:
        return None
    if _FORWARD.match(s) or _APPLE_FORWARD.match(s):
        return _Kind.FORWARD, 1
    if _SEPARATOR.match(s):
        return _Kind.BLOCK, 1
    if _UNDERSCORES.match(s):
        nxt = next((j for j in range(i + 1, min(i + 3, len(lines))) if lines[j].strip()), None)
        if nxt is not None and _header_block(lines, nxt):
            return _Kind.BLOCK, 1
        return None
    if _header_block(lines, i):
        return _Kind.BLOCK, 1
    if _attribution(line):
        return _Kind.ATTRIBUTION, 1
    if i + 1 < len(lines) and not s.endswith((":", "：")) and lines[i + 1].strip() and \
            len(lines[i + 1]) < 120 and _attribution(s + " " + lines[i + 1].strip()) and \
            (_ADDRESS.search(lines[i + 1]) or _WROTE_END.search(lines[i + 1])) and \
            _STARTS_ATTRIBUTION.match(s) and not _STARTS_ATTRIBUTION.match(lines[i + 1]):
        return _Kind.ATTRIBUTION, 2  # an attribution wrapped over two lines
    if _library_hit(line):
        return _Kind.BLOCK, 1
    return None


def _unknown_attribution(lines: list[str], i: int) -> bool:
    """A line in a language of no table that introduces '>' lines: it ends with a colon,
    carries a date or time, and quoted lines follow."""
    s = lines[i].strip()
    if not s.endswith((":", "：")) or len(s) > 250 or not re.search(r"\d", s):
        return False
    nxt = next((ln for ln in lines[i + 1:i + 3] if ln.strip()), "")
    return _is_quoted(nxt)


def _split_same_line(line: str) -> tuple[str, str] | None:
    """"Thanks! On Mon, ... wrote:" -> ("Thanks!", "On Mon, ... wrote:")."""
    m = _OPENER.search(line)
    if m and _attribution(m.group(1)):
        return line[:m.start()].rstrip(), m.group(1)
    return None


def _cut_signature(lines: list[str]) -> list[str]:
    """``lines`` without a signature or disclaimer (kept when nothing would remain)."""
    for i, line in enumerate(lines):
        # matched without the leading white space, which the patterns' own ``^\s*`` took
        # back one character at a time (a table row from HTML is indented by dozens); no
        # alternative starts with white space, so the match is the same
        s = line.lstrip()
        if i and (_SIGNATURE.match(s) or _DISCLAIMER.match(s)) and any(
                ln.strip() for ln in lines[:i]):
            return lines[:i]
    return lines


def _forwarded_body(lines: list[str]) -> str:
    """The forwarded message after its marker: its header block dropped, its text kept."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and (_FROM_LINE.match(lines[i]) or _OTHER_LINE.match(lines[i])):
        while i < len(lines) and lines[i].strip() and (
                _FROM_LINE.match(lines[i]) or _OTHER_LINE.match(lines[i])
                or not re.match(r"^\S", lines[i])):
            i += 1
    return "\n".join(lines[i:]).strip()


def _plain(line: str) -> bool:
    """True when no marker rule can match ``line`` but the Apple forward line and a wrapped
    attribution (whose second line has the colon): every other rule needs a colon, a ``--``
    or a first character from ``-=_*``, and this line has none of them (nor is it quoted)."""
    if ":" in line or "：" in line or "--" in line:
        return False
    s = line.lstrip()
    return not s or s[0] not in "-=_*>"


_APPLE_LENGTHS = frozenset(len(w) for w in rm.APPLE_FORWARDS)


def _apple_forward_plain(line: str) -> bool:
    """``_APPLE_FORWARD.match(line.strip())`` for a :func:`_plain` line: without a colon the
    stripped line must be one of the phrases (matched letter by letter, so of its length)."""
    s = line.strip()
    return len(s) in _APPLE_LENGTHS and _APPLE_FORWARD.match(s) is not None


def _own_lines(lines: list[str], subject: str) -> tuple[list[str], list[str] | None]:
    """Walk the lines: return the customer's own lines and, for a forward, the lines after
    the forward marker (else None)."""
    own: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _plain(line) and not _apple_forward_plain(line) and not (
                i + 1 < len(lines) and (":" in lines[i + 1] or "：" in lines[i + 1])):
            own.append(line)  # a line of text (what _classify and the rest would find too)
            i += 1
            continue
        if _is_quoted(line):
            inner = line.lstrip().lstrip(">").strip()
            if _FORWARD.match(inner) or _APPLE_FORWARD.match(inner):  # Apple Mail's HTML
                return own, [re.sub(r"^\s*>+ ?", "", ln) for ln in lines[i + 1:]]
            i += 1
            continue
        split = _split_same_line(line)
        if split is not None:
            own.append(split[0])
        found = (_Kind.ATTRIBUTION, 1) if split is not None else _classify(lines, i)
        if found is None and _unknown_attribution(lines, i):
            found = (_Kind.ATTRIBUTION, 1)
        if found is None:
            own.append(line)
            i += 1
            continue
        kind, width = found
        if kind == _Kind.BLOCK and rm.FORWARD_SUBJECT.match(subject) and not any(
                _is_quoted(ln) for ln in lines[i + width:]):
            kind = _Kind.FORWARD
            width = 1 if _UNDERSCORES.match(line) or _SEPARATOR.match(line.strip()) else 0
        if kind == _Kind.FORWARD:
            return own, lines[i + width:]
        j = i + width
        while j < len(lines) and not lines[j].strip():
            j += 1
        if kind == _Kind.ATTRIBUTION and j < len(lines) and _is_quoted(lines[j]):
            i = j  # the '>' lines are skipped; text after them is the customer's again
            continue
        return own, None  # everything after an unquoted header is history
    return own, None


def strip_quotes(text: str, subject: str = "") -> str:
    """Return the customer's own part of an email body: no quoted history, no signature;
    a forwarded message is kept after a :data:`FORWARD_MARK` line.

    ``subject`` tells forwards from replies where the client marks both alike (Outlook).
    Falls back to the whole text when stripping would leave nothing.
    """
    if not text.strip():
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own, forwarded = _own_lines(lines, subject)
    mine = "\n".join(_cut_signature(own)).strip()
    mine = re.sub(r"\n{3,}", "\n\n", mine)
    if forwarded is not None:
        body = _forwarded_body(forwarded)
        return "\n\n".join(p for p in (mine, f"{FORWARD_MARK}\n{body}".strip()) if p)
    return mine or text.strip()


def library_patterns() -> dict[str, Any]:
    """The mail-parser-reply patterns in use (for tests and the benchmark)."""
    return {"header": _LIBRARY_HEADER, "languages": list(_LANGUAGES)}
