"""The standard library's message tree for well-formed mail, built without the feedparser.

``email.feedparser`` (``compat32``) is a generator that reads a message one line (or, through
:class:`~triage.mail.mime._Text`, one run of lines) at a time, testing each against every
end-of-part test in force: most of ``parse_email``'s MIME cost on realistic mail (#19). For a
message with nothing unusual in it, what the feedparser builds follows from where the header
blocks end and where the boundary lines are, which ``str.find`` locates. :func:`build_tree`
builds that tree (the same :class:`~triage.mail.mime.IndexedMessage` objects, headers,
payloads, preambles and epilogues) and gives up, raising :class:`~triage.errors.UnusualMime`,
on anything where the feedparser would take another branch: a lone CR (a line end to the
feedparser) in a header block or next to a boundary, an envelope ``From`` line or a line in a
header block that is not a ``Name: value`` field or its continuation, a header block
without the empty line after it, a multipart without a boundary or with a transfer encoding,
a missing first or last boundary, two boundary lines in a row, ``message/delivery-status``.
Those are parsed by the feedparser as before (:func:`triage.mail.mime.parse_bytes`).

Why the tree is the same, rule by rule (``FeedParser._parsegen``, Python 3.11):

* A header block is the lines up to the first one that is neither a field nor a continuation
  line; an empty line there is consumed, anything else is a defect (we give up). A field's
  value is what ``Compat32.header_source_parse`` makes of its lines: after the colon, left
  blanks stripped, the continuation lines kept, the last line end stripped.
* A part's type decides the branch, in the feedparser's order: ``message/delivery-status``
  (we give up), any other ``message/*`` (the rest of the part is one message inside it),
  ``multipart/*``, else the rest of the part is the payload. A part of a
  ``multipart/digest`` defaults to ``message/rfc822``.
* A multipart's lines up to its first boundary line are the preamble (without the last line
  end; none if there are no such lines); each part runs to the next boundary line; the first
  close boundary ends the multipart and everything after its line is the epilogue. A boundary
  line is what the feedparser's test matches (``--boundary``, optional ``--``, blanks, the
  line end). The feedparser also ends a part at a boundary line of any enclosing multipart;
  the text a part is parsed from here already stops at the first such line.
* After each part the line end before the next boundary line is removed from it: from the
  payload of a part that is not multipart, from the epilogue of a multipart (an empty one
  becomes ``None``), and for a ``message/*`` part from the last message parsed inside it
  (the feedparser's ``_last``).
"""

from __future__ import annotations

import itertools
import re
from email import policy
from email.message import Message

from triage.errors import UnusualMime
from triage.mail.mime import IndexedMessage, parse_text

_FIELDS = re.compile(r"^([!-9;-~]+):[ \t]*(.*(?:\n[ \t].*)*)", re.MULTILINE)
"""A header field with its continuation lines (the feedparser's ``headerRE`` without its
``From `` and empty-name forms): name, value from its first non-blank character to the end
of its last line (``.`` stops at LF only: a CR stays in the value)."""
_AFTER_SEPARATOR = re.compile(r"(--)?[ \t]*(\r\n|\r|\n)?$")
"""The rest of a boundary line after ``--boundary`` (the feedparser's ``boundaryRE``)."""
_COMPAT32 = policy.compat32


def build_tree(text: str) -> IndexedMessage:
    """The message tree ``BytesParser(policy=compat32)`` builds from ``text`` (the message
    bytes decoded as ASCII with surrogate escapes); raises
    :class:`~triage.errors.UnusualMime` where the parser would take a branch this function
    does not follow."""
    msg, _ = _message(text, 0, len(text), "text/plain")
    return msg


def _message(text: str, start: int, end: int, default_type: str
             ) -> tuple[IndexedMessage, IndexedMessage]:
    """The message in ``text[start:end]`` and the one whose line end the enclosing
    multipart removes (the feedparser's ``_last``)."""
    msg = IndexedMessage(_COMPAT32)
    if default_type != "text/plain":
        msg.set_default_type(default_type)
    body = _headers(msg, text, start, end)
    ctype = msg.get_content_type()
    if ctype == "message/delivery-status":
        raise UnusualMime("message/delivery-status")
    if ctype.startswith("message/"):
        inner, last = _message(text, body, end, "text/plain")
        msg._payload = [inner]  # type: ignore[attr-defined]
        return msg, last
    if ctype.startswith("multipart/"):
        _multipart(msg, ctype, text, body, end)
        return msg, msg
    msg._payload = text[body:end]  # type: ignore[attr-defined]
    return msg, msg


def _headers(msg: IndexedMessage, text: str, start: int, end: int) -> int:
    """Set ``msg``'s header fields from the block at ``start``; return where its body
    starts (after the empty line)."""
    if text.startswith("\n", start):
        return start + 1
    if text.startswith("\r\n", start):
        return start + 2
    crlf = text.find("\n\r\n", start, end)
    # an LF-only empty line counts only before the first CRLF one (a CRLF mail has none)
    lf = text.find("\n\n", start, end if crlf < 0 else crlf + 1)
    if lf < 0 and crlf < 0:
        raise UnusualMime("no empty line after the header block")
    stop = lf if lf >= 0 else crlf  # the LF ending the last header line
    cr = text.count("\r", start, stop + 1)
    if cr and cr != text.count("\r\n", start, stop + 1):
        raise UnusualMime("a lone CR ends a header line")
    fields = _FIELDS.findall(text, start, stop)
    # every line is a field's first line or a continuation line (not the first line): the
    # fields found start at as many lines as do not start with a blank
    continued = text.count("\n ", start, stop) + text.count("\n\t", start, stop)
    if text[start] in " \t" or len(fields) != text.count("\n", start, stop) + 1 - continued:
        raise UnusualMime("a header-block line that is not a field")
    msg._headers = [(name, value.rstrip("\r\n"))  # type: ignore[attr-defined]
                    for name, value in fields]
    return stop + (2 if lf >= 0 else 3)


def _boundary_lines(text: str, separator: str, start: int, end: int
                    ) -> list[tuple[int, int, bool]]:
    """The boundary lines of ``separator`` in ``text[start:end]`` up to the first close
    boundary: (line start, line end, is the close boundary)."""
    out: list[tuple[int, int, bool]] = []
    i = text.find(separator, start, end)
    while i >= 0:
        nl = text.find("\n", i, end)
        line_end = end if nl < 0 else nl + 1
        before = text[i - 1] if i > start else "\n"
        if before == "\n":
            m = _AFTER_SEPARATOR.match(text, i + len(separator), line_end)
            if m is not None:
                out.append((i, line_end, m.group(1) is not None))
                if m.group(1) is not None:
                    return out
            elif text.find("\r", i, line_end) not in (-1, line_end - 2):
                raise UnusualMime("a lone CR in a line starting with the boundary")
        elif before == "\r":
            raise UnusualMime("a lone CR before the boundary")
        i = text.find(separator, line_end, end)
    return out


def _multipart(msg: IndexedMessage, ctype: str, text: str, start: int, end: int) -> None:
    """Parse the body of the multipart ``msg`` (``text[start:end]``) into its parts."""
    boundary = msg.get_boundary()
    if boundary is None:
        raise UnusualMime("multipart without a boundary")
    if str(msg.get("content-transfer-encoding", "8bit")).lower() not in (
            "7bit", "8bit", "binary"):
        raise UnusualMime("multipart with a transfer encoding")
    lines = _boundary_lines(text, "--" + boundary, start, end)
    if len(lines) < 2 or not lines[-1][2] or lines[0][2]:
        raise UnusualMime("no start or no close boundary")
    if lines[0][0] > start:
        msg.preamble = _strip_eol(text[start:lines[0][0]])
    default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
    parts = []
    for (_, part_start, _), (part_end, _, _) in itertools.pairwise(lines):
        if part_start >= part_end:
            raise UnusualMime("two boundary lines in a row")
        part, last = _message(text, part_start, part_end, default)
        if last.get_content_maintype() == "multipart":
            epilogue = last.epilogue
            last.epilogue = None if epilogue == "" else _strip_eol(epilogue)
        elif isinstance(last._payload, str):  # type: ignore[attr-defined]
            last._payload = _strip_eol(last._payload)  # type: ignore[attr-defined]
        parts.append(part)
    msg._payload = parts  # type: ignore[attr-defined]
    msg.epilogue = text[lines[-1][1]:end]


def _strip_eol(value: str | None) -> str | None:
    """``value`` without one line end at its end (the feedparser's ``NLCRE_eol``)."""
    if value is None:
        return None
    if value.endswith("\r\n"):
        return value[:-2]
    if value.endswith(("\n", "\r")):
        return value[:-1]
    return value


def parse_message(raw: bytes) -> Message:
    """Parse ``raw`` like ``BytesParser(policy=compat32).parsebytes(raw)``: built directly
    when it is well-formed (:func:`build_tree`), else by the feedparser
    (:func:`triage.mail.mime.parse_bytes`)."""
    text = raw.decode("ascii", errors="surrogateescape")
    try:
        return build_tree(text)
    except UnusualMime:
        return parse_text(text)
    except RecursionError:
        # the builder takes two frames a nesting level, the feedparser fewer: a multipart
        # nested 500 deep is the feedparser's to parse (or to fail on) as before
        return parse_text(text)
