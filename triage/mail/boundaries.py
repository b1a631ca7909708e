"""Multipart boundaries without a regular expression compiled per message.

The standard library's MIME parser (``email.feedparser``, Python 3.11) compiles one regular
expression per multipart part it meets: ``'(?P<sep>' + re.escape('--' + boundary) + ...``.
Boundaries are unique per message, so the ``re`` cache never hits, and that compilation took a
quarter of ``parse_email``'s time on realistic mail (``bench/parse_render.py``; about 0.5 ms
per multipart). :func:`install` gives the feedparser module a view of ``re`` whose ``compile``
answers that one pattern with :class:`BoundaryMatcher` (a prefix test and one pattern compiled
once) and hands every other call to ``re`` itself. The matches are the same: the feedparser
reads the ``end`` and ``linesep`` groups of the match, which the shared pattern has.

It also gives the feedparser an end-of-line test (``NLCRE_eol``, ``(\\r\\n|\\r|\\n)\\Z``) that
searches only the last two characters: the pattern's own ``search`` tries every position of
the text, and the feedparser runs it over each part's whole payload (a 100 KiB attachment is
100,000 positions). A match of at most two characters that ends at the end starts there, so
the match is the same.
"""

from __future__ import annotations

import email.feedparser
import re
from types import ModuleType
from typing import Any

_HEAD = "(?P<sep>"
_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_AFTER_SEPARATOR = re.compile(r"(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


class BoundaryMatcher:
    """Matches a boundary line (``--boundary``, ``--boundary--``) like the feedparser's own
    pattern: a prefix test, then the part after the separator."""

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self.pattern = _HEAD + re.escape(separator) + _TAIL

    def match(self, line: str) -> re.Match[str] | None:
        """Return the match of a boundary line, or None."""
        if not line.startswith(self.separator):
            return None
        return _AFTER_SEPARATOR.match(line, len(self.separator))


_EOL_PATTERN = r"(\r\n|\r|\n)\Z"
_EOL = re.compile(_EOL_PATTERN)


class EndOfLine:
    """``re.compile(r"(\\r\\n|\\r|\\n)\\Z")`` whose :meth:`search` starts two characters
    before the end."""

    pattern = _EOL_PATTERN

    @staticmethod
    def search(text: str) -> re.Match[str] | None:
        """The pattern's ``search(text)``: the same match, found without scanning."""
        return _EOL.search(text, max(0, len(text) - 2))


class _FeedparserRe(ModuleType):
    """``re`` as the feedparser sees it: the boundary pattern answered without compiling."""

    def __init__(self) -> None:
        super().__init__("re")

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> Any:
        """``re.compile``, except for the feedparser's boundary pattern."""
        if (not flags and isinstance(pattern, str) and pattern.startswith(_HEAD)
                and pattern.endswith(_TAIL)):
            escaped = pattern[len(_HEAD):-len(_TAIL)]
            separator = _ESCAPED.sub(r"\1", escaped)
            if re.escape(separator) == escaped:  # exactly what the feedparser built
                return BoundaryMatcher(separator)
        return re.compile(pattern, flags)


def install() -> bool:
    """Let ``email.feedparser`` match boundaries without compiling; True when installed
    (the feedparser of this Python builds the pattern this module knows)."""
    eol = getattr(email.feedparser, "NLCRE_eol", None)
    if isinstance(eol, re.Pattern) and eol.pattern == _EOL_PATTERN and not eol.flags & ~re.U:
        email.feedparser.NLCRE_eol = EndOfLine()  # type: ignore[attr-defined]
    current = getattr(email.feedparser, "re", None)
    if isinstance(current, _FeedparserRe):
        return True
    if current is not re:
        return False
    email.feedparser.re = _FeedparserRe()  # type: ignore[attr-defined]
    return True
