"""Mark the quoted parts of an HTML mail before it is turned into text.

Clients wrap quoted history in elements a text converter cannot see once the tags are gone:
``<blockquote>`` (Gmail's ``gmail_quote``, Apple Mail and Thunderbird's ``type="cite"``),
Yahoo's ``<div class="yahoo_quoted">`` and Outlook on the web's ``<div id="divRplyFwdMsg">``
header. Each outermost quote becomes a ``<pre>`` of its text with every line prefixed by
"> ", and an Outlook header gets the "-----Original Message-----" line Outlook desktop writes,
so the plain-text rules of :mod:`triage.mail.quotes` see the quote whatever language the
attribution line is in.
"""

from __future__ import annotations

import logging

import lxml.html
from lxml import etree

from triage.mail.htmltext import html_text

log = logging.getLogger(__name__)

_QUOTES = ("//blockquote[not(ancestor::blockquote) and not(ancestor::*[contains(concat(' ', "
           "normalize-space(@class), ' '), ' yahoo_quoted ')])]"
           " | //div[contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')"
           " and not(ancestor::blockquote)]")
OUTLOOK_SEPARATOR = "-----Original Message-----"
_MARKERS = ("blockquote", "yahoo_quoted", "divRplyFwdMsg")


def mark_quotes(html: str) -> str:
    """Return ``html`` with its quotes as "> "-prefixed ``<pre>`` text (unchanged when it has
    none or cannot be parsed)."""
    if not any(m in html for m in _MARKERS):
        return html
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        log.debug("html quote marking skipped: %s", exc)
        return html
    for header in root.xpath("//*[@id='divRplyFwdMsg']"):
        before = header.getprevious()
        anchor = before if before is not None and before.tag == "hr" else header
        marker = etree.Element("pre")
        marker.text = OUTLOOK_SEPARATOR
        anchor.addprevious(marker)
    for quote in root.xpath(_QUOTES):
        text = html_text(lxml.html.tostring(quote, encoding="unicode")).strip("\n")
        pre = etree.Element("pre")
        pre.text = "\n".join(f"> {ln}" if ln.strip() else ">" for ln in text.splitlines())
        pre.tail = quote.tail
        parent = quote.getparent()
        if parent is not None:
            parent.replace(quote, pre)
    return lxml.html.tostring(root, encoding="unicode")
