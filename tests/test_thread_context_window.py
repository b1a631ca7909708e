"""The thread context reads only the earlier texts it keeps (session 11's review: it read
every text of a busy thread, then kept the newest ``EARLIER_KEPT``), on SQLite and PostgreSQL.

What it returns is unchanged: checked against a plain reading of the thread (every customer
message before this one, oldest first, never our own mail nor automatic mail), which is what
main's ``thread_contexts`` computed, for every message of short threads and for a batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import event

from tests.conftest import NOW, make_email
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.store import Ingest, Store
from triage.store.deadline_store import EARLIER_KEPT, DeadlineStore

SUPPORT = "Support <support@example.com>"


def _raw(n: int, body: str, sender: str, image: bool, auto: bool) -> bytes:
    """Mail ``n`` of one thread (a reply to mail 0), with a PNG attached when ``image``."""
    kw: dict[str, str] = {}
    if n:
        kw = {"In_Reply_To": f"<t{n - 1}@x>", "References": "<t0@x>"}
    if auto:
        kw["Auto_Submitted"] = "auto-replied"
    raw = make_email(subject="Re: Login OTP" if n else "Login OTP", body=body, sender=sender,
                     msgid=f"<t{n}@x>", when=NOW + timedelta(minutes=n), **kw)
    if not image:
        return raw
    from email import message_from_bytes
    from email.policy import default

    msg = message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    msg.add_attachment(b"\x89PNG\r\n", maintype="image", subtype="png", filename="s.png")
    msg.replace_header("Date", format_datetime(NOW + timedelta(minutes=n)))
    return bytes(msg)


def _thread(store: Store, mails: list[tuple[str, str, bool, bool]]) -> list[dict[str, Any]]:
    """Store one thread of ``(body, sender, image, automatic)`` mails; return its rows with
    what a plain reading of the thread expects for each (``want``)."""
    store.ensure_source("inbox", "maildir")
    items = [Ingest(f"<t{n}@x>", raw, parse_email(raw, fallback_received=NOW))
             for n, raw in enumerate(_raw(n, *m) for n, m in enumerate(mails))]
    ids = store.add_items("inbox", items, {}, threader=assign_threads)
    rows = {r["id"]: r for r in store.export_rows()}
    out = [store.message(i) for i in ids]
    assert len({r["thread_id"] for r in out}) == 1
    for n, row in enumerate(out):
        told = [(mails[k][0], ("image/png",) if mails[k][2] else ())
                for k in range(n) if mails[k][1] != SUPPORT and not mails[k][3]]
        ours = [k for k in range(n + 1) if mails[k][1] == SUPPORT]  # a reply: at or before
        since = [k for k in range(n) if mails[k][1] != SUPPORT and not mails[k][3]
                 and (not ours or k > ours[-1])]
        kept = told[-EARLIER_KEPT:]
        row["want"] = (bool(ours), len(since) + 1, tuple(t for t, _a in kept if t.strip()),
                       tuple(a for _t, types in kept for a in types))
        assert rows[row["id"]]["thread_id"] == row["thread_id"]
    return out


@contextmanager
def _text_reads(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Collect the statements that read ``messages.text`` while the block runs."""
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any,
               _many: bool) -> None:
        if "messages.text" in statement:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", before)


def _rows_read(store: Store, reads: list[tuple[str, Any]]) -> int:
    """How many rows those statements returned (run again, on the same data)."""
    with store.engine.connect() as conn:
        return sum(len(conn.exec_driver_sql(sql, params).fetchall()) for sql, params in reads)


def _got(context: Any) -> tuple[Any, ...]:
    return (context.replied_before, context.unanswered, context.earlier,
            context.earlier_attachments)


def test_a_long_thread_gives_its_newest_earlier_messages_and_reads_only_those(
        any_store: Store) -> None:
    mails = [("The OTP never arrives.", "Ann Lee <ann@example.com>", True, False),
             ("Which device do you use?", SUPPORT, False, False)]
    mails += [(f"Still nothing, try {k}.", "Ann Lee <ann@example.com>", k % 7 == 0, False)
              for k in range(1, 30)]
    mails.append(("Hello? Anyone?", "Ann Lee <ann@example.com>", False, False))
    rows = _thread(any_store, mails)
    deadlines = DeadlineStore(any_store, ("support@example.com",))
    with _text_reads(any_store) as reads:
        [last] = deadlines.thread_contexts([rows[-1]])
    assert last.earlier == tuple(f"Still nothing, try {k}." for k in range(20, 30))  # in order
    assert last.earlier_attachments == ("image/png",) * 2  # tries 21 and 28
    assert last.replied_before and last.unanswered == 30  # every message since our reply
    assert _got(last) == rows[-1]["want"]
    # 30 earlier customer messages in the thread; only the ten kept texts were read
    assert reads and _rows_read(any_store, reads) == EARLIER_KEPT


def test_short_threads_give_what_a_plain_reading_gives(any_store: Store) -> None:
    """Every message of a thread under ten, alone and all in one batch: our replies and
    automatic mail are never told, attachments follow their texts, empty texts are left out."""
    ann = "Ann Lee <ann@example.com>"
    rows = _thread(any_store, [
        ("My parcel 48213 is late.", ann, False, False),
        ("I attach the receipt.", ann, True, False),
        ("We are checking.", SUPPORT, False, False),
        ("I am out of office.", ann, False, True),
        ("Still late.", ann, True, False),
        (" ", ann, True, False),
        ("Any news?", ann, False, False),
    ])
    deadlines = DeadlineStore(any_store, ("support@example.com",))
    for row in rows:
        [alone] = deadlines.thread_contexts([row])
        assert _got(alone) == row["want"], row["text"]
    together = deadlines.thread_contexts(rows)
    assert [_got(c) for c in together] == [r["want"] for r in rows]
    assert together[-1].earlier == ("My parcel 48213 is late.", "I attach the receipt.",
                                    "Still late.")
    assert together[-1].earlier_attachments == ("image/png",) * 3
