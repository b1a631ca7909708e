"""``UID FETCH`` with a fast path for the one response shape a mail sync reads most.

Why this exists: fetching a burst of mail, imapclient's response lexer and parser were about
70 % of the fetch stage's CPU (it walks every character of every response line through a
Python iterator). Nearly every response to ``UID FETCH n (RFC822.SIZE INTERNALDATE
BODY.PEEK[])`` has one fixed shape, which imaplib hands over already split from its literal::

    (b'7 (UID 12 RFC822.SIZE 3436 INTERNALDATE "05-Dec-2026 00:37:30 +0000" BODY[] {3436}',
     b'<the 3436 bytes>'), b')'

:func:`fetch` reads that shape with one regular expression and hands *any* response that
differs in the slightest (other items, FLAGS, NIL, escapes, unsolicited responses, a second
response for the same message) to imapclient's own parser, so the result is always exactly
what :meth:`IMAPClient.fetch` returns (tests/test_imap_fetch.py compares both on real Dovecot
responses). It sends the command the way :meth:`IMAPClient.fetch` does, through the client's
imaplib connection (imapclient ``~=4.1`` is pinned).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.datetime_util import parse_to_datetime
from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper
from imapclient.response_parser import parse_fetch_response

FAST_ITEMS = ("RFC822.SIZE", "INTERNALDATE", "BODY.PEEK[]")
"""The data items whose common response :func:`fetch` parses without imapclient's lexer."""

_NUM = rb"(0|[1-9][0-9]*)"  # imapclient turns only these into ints ("0123" stays bytes)
_SHAPE = re.compile(
    rb"(0|[1-9][0-9]*) \(UID " + _NUM + rb" RFC822\.SIZE " + _NUM
    + rb' INTERNALDATE "([^"\\\r\n]*)" BODY\[\] \{' + _NUM + rb"\}")

Fetched = dict[int, dict[bytes, Any]]
"""UID -> data item -> value, as :meth:`IMAPClient.fetch` returns it."""


def fetch(client: IMAPClient, uids: Sequence[int], items: Sequence[str]) -> Fetched:
    """``UID FETCH uids items`` on ``client``; the same result as ``client.fetch(uids, items)``.

    Only ``items == FAST_ITEMS`` on a UID client takes the fast path; anything else is simply
    ``client.fetch``. Errors are imapclient's (IMAPClientError, IMAPClientAbortError, OSError).
    """
    if tuple(items) != FAST_ITEMS or not client.use_uid:
        return dict(client.fetch(list(uids), list(items)))
    if not uids:
        return {}
    imap = client._imap  # as IMAPClient.fetch sends it (it has no hook for the parser)
    tag = imap._command("UID", "FETCH", join_message_ids(uids), seq_to_parenstr_upper(items))
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return parse(data, uids, client.normalise_times)


def parse(data: list[Any], uids: Sequence[int], normalise_times: bool = True) -> Fetched:
    """imaplib's FETCH ``data`` as :meth:`IMAPClient.fetch` returns it for ``uids`` (the
    fast path when every response has the common shape, imapclient's parser otherwise)."""
    parsed = parse_fast(data, normalise_times)
    if parsed is None:
        parsed = parse_fetch_response(data, normalise_times, True)
    # as IMAPClient.fetch: unsolicited responses for other messages are dropped
    return {uid: parsed[uid] for uid in uids if uid in parsed}


def parse_fast(data: list[Any], normalise_times: bool = True) -> Fetched | None:
    """Parse imaplib's FETCH ``data`` when every response has the common shape; else None
    (the caller then uses imapclient's parser, which handles every shape)."""
    if data == [None]:
        return None
    if len(data) % 2:
        return None
    out: Fetched = {}
    dates: dict[bytes, datetime | None] = {}
    match = _SHAPE.fullmatch
    for i in range(0, len(data), 2):
        head, tail = data[i], data[i + 1]
        if tail != b")" or type(head) is not tuple or len(head) != 2:
            return None
        line, literal = head
        m = match(line) if type(line) is bytes and type(literal) is bytes else None
        if m is None or int(m[5]) != len(literal):
            return None
        uid = int(m[2])
        if uid in out:  # a second response for one message: imapclient merges them
            return None
        stamp = m[4]
        if stamp not in dates:
            dates[stamp] = _internaldate(stamp, normalise_times)
        out[uid] = {b"SEQ": int(m[1]), b"RFC822.SIZE": int(m[3]),
                    b"INTERNALDATE": dates[stamp], b"BODY[]": literal}
    return out


def _internaldate(stamp: bytes, normalise_times: bool) -> datetime | None:
    # what imapclient's parser does with INTERNALDATE (None when it cannot be read)
    try:
        return parse_to_datetime(stamp, normalise=normalise_times)
    except ValueError:
        return None
