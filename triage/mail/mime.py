"""The standard library's MIME parser (``email.feedparser``, ``compat32``) without its
per-line and per-lookup costs: the same message tree, built and read faster.

Two costs dominated ``parse_email`` on realistic mail (``bench/parse_render.py``):

* The feedparser hands every line of a part's body to the parser loop one at a time
  (``BufferedSubFile.__next__`` -> ``readline`` -> each boundary test), only to join them
  again into the payload: a 100 KiB base64 attachment is ~1,400 lines, three Python calls
  each. :class:`_Text` hands over a run of body lines as one string instead, up to the next
  line that could end the part. Only lines starting with ``-`` can: every end-of-part test is
  a :class:`~triage.mail.boundaries.BoundaryMatcher` (its separator starts with ``--``) or
  the run is not joined at all, nor is any line while another end-of-part test is in force
  (the header blocks of ``message/delivery-status``). The loops that read bodies this way
  only join what they read (payload, epilogue, preamble of a part without boundary), so the
  joined text is the same. Likewise a header field comes with its continuation lines as one
  line: the parser joins a field's lines anyway (``Compat32.header_source_parse``), and
  continuation lines neither end the header section nor a part. Lines the parser treats
  apart (an envelope ``From `` line, a line starting with a colon) are read one by one.
* ``Message.get`` lower-cases every header name of the message on each look-up: received
  mail carries 15-30 trace headers and a message's content type, parameters and loop headers
  are looked up ~40 times. :class:`IndexedMessage` looks names up in a dictionary of the
  first field of each name, built once per header list (and again if the list grows or is
  replaced or a field is replaced in place).

:func:`parse_bytes` is ``BytesParser(policy=compat32).parsebytes`` with both; the tests
compare the two on every mail fixture and on generated mail.
"""

from __future__ import annotations

import functools
import re
from email import policy
from email.feedparser import BufferedSubFile, FeedParser
from email.message import Message
from typing import Any

from triage.mail.boundaries import BoundaryMatcher

_FIELD = re.compile(r"[\041-\071\073-\176]+:")
"""The start of a header field (a name and its colon) as the feedparser's ``headerRE`` sees
it; not ``From `` (the envelope line), not a line starting with a colon or white space."""
_UNFOLDED = re.compile(r"\n(?![ \t])")
"""The end of a line after which no continuation line follows."""
_RUN_PROBES = 16
"""Hyphens not at a line start skipped one by one before a body run is cut by scanning for
line starts instead (prose and CSS have many; base64 and most text none)."""


class _Text(BufferedSubFile):
    """The feedparser's line buffer over the whole message text, which hands body lines over
    in runs (no list of lines is made).

    Lines end as ``StringIO(newline='').readlines()`` ends them: at LF, CRLF or a CR alone.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text
        self._pos = 0
        self._back: list[str] = []
        """Lines pushed back by the parser, the next one last."""
        self._closed = True
        self.body = False
        """True while the parser reads a body (set after each part's headers)."""
        self._other = 0
        """How many end-of-part tests in force are not boundary matchers."""

    def push(self, data: str) -> None:
        """Add text (the parser is given all of it before it starts)."""
        self._text += data

    def close(self) -> None:
        """Nothing to do: all text is there."""

    def push_eof_matcher(self, pred: Any) -> None:
        """Push an end-of-part test (as the standard buffer does), counting the unknown."""
        if not isinstance(getattr(pred, "__self__", None), BoundaryMatcher):
            self._other += 1
        super().push_eof_matcher(pred)

    def pop_eof_matcher(self) -> Any:
        """Pop the last end-of-part test."""
        pred = super().pop_eof_matcher()
        if not isinstance(getattr(pred, "__self__", None), BoundaryMatcher):
            self._other -= 1
        return pred

    def _line_end(self, pos: int) -> int:
        """Where the line starting at ``pos`` ends (after its LF, CRLF or lone CR)."""
        text = self._text
        nl = text.find("\n", pos)
        # a CR before the LF (but the one right before it) ends the line alone
        limit, end = (len(text) - 1, len(text)) if nl < 0 else (nl - 1, nl + 1)
        cr = text.find("\r", pos, limit) if limit > pos else -1
        return cr + 1 if cr >= 0 else end

    def _next_line(self) -> str:
        """The next line of the text ('' at its end)."""
        pos = self._pos
        if pos >= len(self._text):
            return ""
        self._pos = end = self._line_end(pos)
        return self._text[pos:end]

    def readline(self) -> Any:
        """The next line, or '' at the end of the text or of the current part."""
        line = self._back.pop() if self._back else self._next_line()
        if not line:
            return ""
        for ateof in reversed(self._eofstack):
            if ateof(line):
                self._back.append(line)
                return ""
        return line

    def unreadline(self, line: str) -> None:
        """Push ``line`` back: the next :meth:`readline` returns it."""
        self._back.append(line)

    def _folded(self, line: str) -> str:
        """``line`` (a header field's first line) with the continuation lines after it."""
        text, pos = self._text, self._pos
        if pos >= len(text) or text[pos] not in " \t":
            return line
        m = _UNFOLDED.search(text, pos)
        end = len(text) if m is None else m.end()
        if text.count("\r", pos, end) == text.count("\r\n", pos, end):  # no lone CR
            self._pos = end
            return line + text[pos:end]
        parts = [line]
        while self._pos < len(text) and text[self._pos] in " \t":
            parts.append(self._next_line())
        return "".join(parts)

    def _run_end(self, pos: int) -> int:
        """Where the next line starting with '-' after ``pos`` starts (else the text's end):
        a hyphen right after a LF or a CR (one followed by '-' ends its line alone)."""
        text = self._text
        i = text.find("-", pos + 1)
        for _ in range(_RUN_PROBES):
            if i < 0:
                return len(text)
            if text[i - 1] in "\r\n":
                return i
            i = text.find("-", i + 1)
        if i < 0:
            return len(text)
        nl = text.find("\n-", i - 1)
        limit = len(text) if nl < 0 else nl
        cr = text.find("\r-", i - 1, limit)  # only one before that LF counts
        if cr >= 0:
            return cr + 1
        return len(text) if nl < 0 else nl + 1

    def __next__(self) -> Any:
        text, pos = self._text, self._pos
        if not self.body:
            if self._back or self._other:
                line = self.readline()
            else:
                line = self.readline() if self._eofstack else self._next_line()
                if line and _FIELD.match(line):
                    line = self._folded(line)
            if not line:
                raise StopIteration
            return line
        if self._other or self._back or pos >= len(text) or text[pos] == "-":
            line = self.readline()
            if not line:
                raise StopIteration
            return line
        # a run of lines up to the next one that starts with '-' (the only ones a
        # boundary can end)
        self._pos = end = self._run_end(pos)
        return text[pos:end]


class _FeedParser(FeedParser):
    """The standard feed parser with :class:`_Text` as its buffer."""

    def __init__(self, text: str) -> None:
        super().__init__(IndexedMessage, policy=policy.compat32)
        self._input = _Text(text)

    def _new_message(self) -> None:
        super()._new_message()  # type: ignore[misc]
        self._input.body = False  # type: ignore[attr-defined]

    def _parse_headers(self, lines: list[str]) -> None:
        # each line is one whole field (the buffer joins continuation lines); when every one
        # is a plain "Name: value" field the standard loop amounts to splitting each at its
        # first colon (compat32's header_source_parse) and appending it (set_raw)
        fields = []
        for line in lines:
            if line[0] in " \t:" or line.startswith("From "):
                super()._parse_headers(lines)  # type: ignore[misc]
                break
            name, value = line.split(":", 1)
            fields.append((name, value.lstrip(" \t").rstrip("\r\n")))
        else:
            self._cur._headers += fields  # type: ignore[attr-defined]
        self._input.body = True  # type: ignore[attr-defined]


_CACHED_PARAMS_LEN = 300
"""Header values up to this length have their parameters parsed once per process (#19: the
same ``text/plain; charset="utf-8"`` in most parts of most mails)."""


@functools.lru_cache(maxsize=2048)
def _params_of(value: str) -> tuple[tuple[str, Any], ...]:
    """``Message._get_params_preserve`` of a header whose value is ``value`` (a function of
    the value alone: its ``_parseparam`` split and ``utils.decode_params``), read by the
    standard library's own code on a message holding just that header."""
    reader = Message(policy=policy.compat32)
    reader._headers = [("X", value)]  # type: ignore[attr-defined]
    return tuple(reader._get_params_preserve([], "X"))  # type: ignore[attr-defined]


_BOUNDARY_TOKEN = re.compile(r"boundary=\"?([0-9A-Za-z_.=+-]+)", re.IGNORECASE)
"""A boundary parameter's value, or its start: characters no step of parameter parsing treats
apart from the others (no quote, backslash, semicolon, blank, star, percent or apostrophe)."""
_PLACE = "\ue000"
"""Stands for the boundary in the cached form of a value (an ASCII value cannot hold it)."""


def params_of(value: str) -> tuple[tuple[str, Any], ...]:
    """:func:`_params_of` of ``value``, with the value of a ``boundary`` parameter read from
    the cache of the same value with :data:`_PLACE` in its stead: a multipart's boundary is
    new in each mail, the rest of its header (``multipart/alternative; boundary="..."``) is
    one of a few, and parsing the parameters does the same to the boundary's characters as to
    any placeholder (splits at ';', '=' and quotes; lower-cases the names only; decodes only
    '%' and apostrophes)."""
    m = _BOUNDARY_TOKEN.search(value)
    if m is None or not value.isascii():
        return _params_of(value)
    token = m.group(1)
    params = _params_of(value[:m.start(1)] + _PLACE + value[m.end(1):])
    out = []
    for name, param in params:
        if _PLACE in name or not isinstance(param, str):  # not where a value goes: as before
            return _params_of(value)
        out.append((name, param.replace(_PLACE, token)))
    return tuple(out)


class IndexedMessage(Message):
    """A ``compat32`` message whose header look-ups use a dictionary by lower-case name, and
    which parses each header's parameters once (content type, disposition, charset, name)."""

    _index: dict[str, tuple[str, Any]] | None = None
    _indexed: list[tuple[str, Any]] | None = None
    _indexed_len = -1
    _params: dict[str, list[tuple[str, Any]]]
    _values: dict[str, str]
    _ctype: tuple[str, str] | None = None

    def _lookup(self) -> dict[str, tuple[str, Any]]:
        """The first field of each header name, by lower-case name (built again when the
        header list changed)."""
        headers = self._headers
        index = self._index
        if index is None or self._indexed is not headers or self._indexed_len != len(headers):
            # the first field of a name wins: later ones are written first and overwritten
            index = {k.lower(): (k, v) for k, v in reversed(headers)}
            self._index, self._indexed, self._indexed_len = index, headers, len(headers)
            self._params, self._values, self._ctype = {}, {}, None
        return index

    def first_fields(self) -> dict[str, tuple[str, Any]]:
        """The first field of each header name as ``(name, raw value)``, by lower-case name
        (the index the look-ups use: do not change it)."""
        return self._lookup()

    def get(self, name: str, failobj: Any = None) -> Any:
        """The first ``name`` header, as ``Message.get`` returns it (``failobj`` if none)."""
        key = name.lower()
        hit = self._lookup().get(key)
        if hit is None:
            return failobj
        value = self._values.get(key)
        if value is None:
            value = self.policy.header_fetch_parse(*hit)
            if isinstance(value, str):  # a Header object (8-bit bytes) is made anew each time
                self._values[key] = value
        return value

    def get_content_type(self) -> str:
        """``Message.get_content_type``, worked out once per header list and default type."""
        self._lookup()
        if self._ctype is None or self._ctype[0] != self._default_type:
            self._ctype = (self._default_type, super().get_content_type())
        return self._ctype[1]

    def __contains__(self, name: str) -> bool:  # type: ignore[override]
        return name.lower() in self._lookup()

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        key = header.lower()
        if key not in self._lookup():
            return failobj
        params = self._params.get(key)
        if params is None:
            value = self.get(header)
            if isinstance(value, str) and len(value) <= _CACHED_PARAMS_LEN:
                params = params_of(value)
            else:
                params = super()._get_params_preserve(failobj, header)  # type: ignore[misc]
            self._params[key] = params
        return list(params)

    def replace_header(self, _name: str, _value: Any) -> None:
        """Replace a header in place (the index is built again)."""
        self._index = None
        super().replace_header(_name, _value)


_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def decoded_size(part: Message) -> int:
    """``len(part.get_payload(decode=True) or b"")`` for a part that is not multipart.

    A base64 payload is not decoded when the decoder would find nothing wrong with it (only
    base64 letters and line ends, its padding at the end and complete): its size follows from
    the number of letters and of '=' (a 100 KiB attachment took ~1 ms to decode, ~0.15 ms to
    count). Anything else (other encodings, a stray character, missing or misplaced padding)
    is decoded as before, so the size and the defects the decoder records stay the same.
    """
    payload = part._payload  # what get_payload reads
    if isinstance(payload, str) and payload.isascii() and \
            str(part.get("content-transfer-encoding", "")).lower() == "base64":
        data = payload.encode("ascii")
        rest = data.translate(None, _B64_ALPHABET)  # line ends and padding, if clean
        pad = rest.translate(None, b"\r\n")
        letters = len(data) - len(rest)
        # decode_b adds missing padding (a defect) unless the length is a multiple of 4;
        # every '=' must come after the last letter
        if pad in (b"", b"=", b"==") and (letters + len(pad)) % 4 == 0 and (
                not pad or data[len(data.rstrip(b"\r\n=")):].count(b"=") == len(pad)):
            return (letters + len(pad)) // 4 * 3 - len(pad)
    decoded = part.get_payload(decode=True) or b""
    return len(decoded) if isinstance(decoded, bytes) else 0


def parse_bytes(raw: bytes) -> Message:
    """Parse ``raw`` like ``BytesParser(policy=compat32).parsebytes(raw)``."""
    return parse_text(raw.decode("ascii", errors="surrogateescape"))


def parse_text(text: str) -> Message:
    """:func:`parse_bytes` of the bytes ``text`` was decoded from (ASCII, surrogate
    escapes)."""
    return _FeedParser(text).close()
