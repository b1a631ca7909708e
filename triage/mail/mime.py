"""The standard library's MIME parser (``email.feedparser``, ``compat32``) without its
per-line and per-lookup costs: the same message tree, built and read faster.

Two costs dominated ``parse_email`` on realistic mail (``bench/parse_render.py``):

* The feedparser hands every line of a part's body to the parser loop one at a time
  (``BufferedSubFile.__next__`` -> ``readline`` -> each boundary test), only to join them
  again into the payload: a 100 KiB base64 attachment is ~1,400 lines, three Python calls
  each. :class:`_Lines` hands over a run of body lines as one string instead, up to the next
  line that could end the part. Only lines starting with ``-`` can: every end-of-part test is
  a :class:`~triage.mail.boundaries.BoundaryMatcher` (its separator starts with ``--``) or
  the run is not joined at all. Header lines are still read one by one (the parser tests
  each), and so is every line while any other end-of-part test is in force (the header
  blocks of ``message/delivery-status``). The loops that read bodies this way only join what
  they read (payload, epilogue, preamble of a part without boundary), so the joined text is
  the same.
* ``Message.get`` lower-cases every header name of the message on each look-up: received
  mail carries 15-30 trace headers and a message's content type, parameters and loop headers
  are looked up ~40 times. :class:`IndexedMessage` looks names up in a dictionary of the
  first field of each name, built once per header list (and again if the list grows or is
  replaced or a field is replaced in place).

:func:`parse_bytes` is ``BytesParser(policy=compat32).parsebytes`` with both; the tests
compare the two on every mail fixture and on generated mail.
"""

from __future__ import annotations

from email import policy
from email.feedparser import BufferedSubFile, FeedParser
from email.message import Message
from typing import Any

from triage.mail.boundaries import BoundaryMatcher


class _Lines(BufferedSubFile):
    """The feedparser's line buffer, which hands body lines over in runs."""

    def __init__(self) -> None:
        super().__init__()
        self.body = False
        """True while the parser reads a body (set after each part's headers)."""
        self._other = 0
        """How many end-of-part tests in force are not boundary matchers."""

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

    def __next__(self) -> Any:
        if not self.body or self._other:
            return super().__next__()
        lines = self._lines
        run: list[str] = []
        while lines:
            line = lines[0]
            if not line or line[0] == "-":  # a boundary (or a pushed-back false end)?
                break
            run.append(lines.popleft())
        if not run:
            return super().__next__()
        return run[0] if len(run) == 1 else "".join(run)


class _FeedParser(FeedParser):
    """The standard feed parser with :class:`_Lines` as its buffer."""

    def __init__(self) -> None:
        super().__init__(IndexedMessage, policy=policy.compat32)
        self._input = _Lines()

    def _new_message(self) -> None:
        super()._new_message()  # type: ignore[misc]
        self._input.body = False  # type: ignore[attr-defined]

    def _parse_headers(self, lines: list[str]) -> None:
        super()._parse_headers(lines)  # type: ignore[misc]
        self._input.body = True  # type: ignore[attr-defined]


class IndexedMessage(Message):
    """A ``compat32`` message whose header look-ups use a dictionary by lower-case name, and
    which parses each header's parameters once (content type, disposition, charset, name)."""

    _index: dict[str, tuple[str, Any]] | None = None
    _indexed: list[tuple[str, Any]] | None = None
    _indexed_len = -1
    _params: dict[str, list[tuple[str, Any]]]

    def _lookup(self) -> dict[str, tuple[str, Any]]:
        """The first field of each header name, by lower-case name (built again when the
        header list changed)."""
        headers = self._headers
        index = self._index
        if index is None or self._indexed is not headers or self._indexed_len != len(headers):
            index = {}
            for k, v in headers:
                index.setdefault(k.lower(), (k, v))
            self._index, self._indexed, self._indexed_len = index, headers, len(headers)
            self._params = {}
        return index

    def get(self, name: str, failobj: Any = None) -> Any:
        """The first ``name`` header, as ``Message.get`` returns it (``failobj`` if none)."""
        hit = self._lookup().get(name.lower())
        if hit is None:
            return failobj
        return self.policy.header_fetch_parse(*hit)

    def __contains__(self, name: str) -> bool:  # type: ignore[override]
        return name.lower() in self._lookup()

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        key = header.lower()
        if key not in self._lookup():
            return failobj
        params = self._params.get(key)
        if params is None:
            params = self._params[key] = super()._get_params_preserve(failobj, header)  # type: ignore[misc]
        return list(params)

    def replace_header(self, _name: str, _value: Any) -> None:
        """Replace a header in place (the index is built again)."""
        self._index = None
        super().replace_header(_name, _value)


def parse_bytes(raw: bytes) -> Message:
    """Parse ``raw`` like ``BytesParser(policy=compat32).parsebytes(raw)``."""
    parser = _FeedParser()
    parser.feed(raw.decode("ascii", errors="surrogateescape"))
    return parser.close()
