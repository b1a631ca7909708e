"""HTML to text with inscriptis, each distinct inline style read once per process.

Mail HTML repeats the same ``style="..."`` on every cell and paragraph (``font-family: Arial,
sans-serif; font-size: 14px; color: #222``), and inscriptis parses each one anew, looking
every property up on its CSS class and raising an ``AttributeError`` for each one it does not
know: a tenth of the conversion of an HTML-only mail (#19). :func:`html_text` gives
inscriptis a style handler (its ``ParserConfig.attribute_handler``, meant to be replaced)
that reads a style string into the calls inscriptis would make once, and makes those calls in
the same order on each element, so the text is the same.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from inscriptis import get_text
from inscriptis.model.attribute import DEFAULT_ATTRIBUTE_MAP
from inscriptis.model.config import ParserConfig
from inscriptis.model.css import CssParse

_Apply = Callable[[str, Any], None]


@functools.lru_cache(maxsize=1024)
def style_calls(style: str) -> tuple[tuple[_Apply, str], ...]:
    """The ``(handler, value)`` calls inscriptis' ``CssParse.attr_style`` makes for
    ``style``, in order: its split into directives, and the handler of each known property
    (an unknown one is skipped, as its failed look-up is)."""
    calls = []
    for directive in style.lower().split(";"):
        if ":" not in directive:
            continue
        key, value = (s.strip() for s in directive.split(":", 1))
        handler = getattr(CssParse, "attr_" + key.replace("-webkit-", "").replace("-", "_"),
                          None)
        if handler is not None:
            calls.append((handler, value))
    return tuple(calls)


def _attr_style(style: str, element: Any) -> None:
    """``CssParse.attr_style(style, element)`` from :func:`style_calls` (an AttributeError
    inside a handler is ignored there too: a length without a number)."""
    for handler, value in style_calls(style):
        try:  # noqa: SIM105 - cheaper than contextlib.suppress, once per element and property
            handler(value, element)
        except AttributeError:
            pass


def _config() -> ParserConfig:
    config = ParserConfig()
    config.attribute_handler.attribute_mapping = {**DEFAULT_ATTRIBUTE_MAP,
                                                  "style": _attr_style}
    return config


_CONFIG = _config()


def html_text(html: str) -> str:
    """``inscriptis.get_text(html)`` (its default configuration), styles read once."""
    return get_text(html, _CONFIG)
