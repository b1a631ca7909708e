"""A folder of tricky real-world-shaped emails, through Dovecot and the whole pipeline."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.fixtures_imap import Mailbox
from tests.test_imap import make_app, poll
from tests.tricky_mail import ID, TL, VI, tricky_mails
from triage.clock import FrozenClock
from triage.mail.threads import ref_token
from triage.store import schema as s


def rows_by_subject_or_id(app) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    cols = [c for c in s.messages.c if c.name != "raw"]
    with app.store.engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(select(*cols).order_by(s.messages.c.id))]
    return {r["message_id"] or r["external_id"]: r for r in rows}


def test_tricky_emails_are_all_parsed_or_quarantined_with_a_reason(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    mails = tricky_mails(huge_size=400_000)
    app = make_app(tmp_path, mailbox, model_path, clock, folders=["Tricky"],
                   backfill_since="2000-01-01", max_message_size=200_000)
    mailbox.append("Tricky", [mails.pop("no_message_id")])
    assert poll(app).stored == 1
    refund = next(iter(rows_by_subject_or_id(app).values()))
    mails["bounce"] = mails["bounce"].replace(b"[#T-7]", ref_token(refund["thread_id"]).encode())
    mailbox.append("Tricky", list(mails.values()))
    stats = poll(app)
    assert stats.stored == len(mails)
    rows = rows_by_subject_or_id(app)
    assert len(rows) == len(mails) + 1

    def by(mid: str) -> dict:  # type: ignore[type-arg]
        return rows[mid]

    # charsets: Vietnamese, Indonesian and Tagalog text survive mislabelled or 8-bit mail
    assert by("<mislabel@example.vn>")["full_text"].strip() == VI
    assert by("<cp1252@example.id>")["full_text"].strip() == ID
    eight = by("<8bit@example.vn>")
    assert eight["subject"] == "Đơn hàng chưa giao" and eight["sender_name"] == "Nguyễn Văn An"
    assert eight["full_text"].strip() == VI
    ew = by("<ew@example.ph>")
    assert ew["sender_name"] == "José Santos" and ew["subject"] == "Hindi dumating – đơn hàng"
    assert ew["full_text"].strip() == TL
    # HTML only: readable text, and the quoted Vietnamese history is not classified
    html = by("<html@example.vn>")
    assert VI in html["full_text"] and "đã viết" in html["full_text"]
    assert VI in html["text"] and "Cảm ơn" not in html["text"]
    # nested multipart: plain text chosen, inline image ignored, attachment by name/type/size
    nested = by("<nested@example.id>")
    assert nested["text"].startswith("Aplikasi selalu error")
    assert nested["attachments"] == [{"filename": "screenshot.pdf",
                                      "content_type": "application/pdf", "size": 2009}]
    # no Message-ID: a stable generated one
    assert refund["message_id"].endswith("@generated.triage.invalid>")
    assert refund["status"] == "processed"
    # huge: kept, quarantined with the reason, headers readable, body left on the server
    huge = by("<huge@example.com>")
    assert huge["status"] == "quarantined" and "max_message_size 200000" in huge["error"]
    assert huge["subject"] == "Video of the problem" and huge["sender"] == "big@example.com"
    assert b"Subject: Video of the problem" in app.store.raw(huge["id"])
    assert len(app.store.raw(huge["id"])) < 2000
    # bounce: automatic, never drafted, linked to the reply that bounced and its thread
    bounce = by("<bounce1@mx.example.net>")
    assert bounce["is_auto"] and "bounce of <draft-7.support@triage.example.com>" in \
        bounce["auto_reason"]
    assert bounce["in_reply_to"] == "<draft-7.support@triage.example.com>"
    assert bounce["thread_id"] == refund["thread_id"]
    # broken boundary still yields its text
    assert by("<broken@example.com>")["text"] == "Please add dark mode to the app."
    # not an email: quarantined with a reason, never dropped
    garbage = [r for r in rows.values() if r["status"] == "quarantined" and r is not huge]
    assert len(garbage) == 1 and "no email headers" in garbage[0]["error"]
    processed = [r for r in rows.values() if r["status"] == "processed"]
    assert len(processed) == len(rows) - 2
    exported = {r["message_id"]: r for r in app.store.export_rows()}
    assert exported["<bounce1@mx.example.net>"]["draft"] is None
    assert exported["<mislabel@example.vn>"]["language"] == "vi"
    assert exported["<cp1252@example.id>"]["language"] == "id"


def test_threading_guards_for_reused_tokens(app, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_email
    from triage.models import FetchResult, RawItem

    def ingest(ext: str, **kw: str) -> int:
        raw = make_email(**kw)
        app.pipeline.ingest("inbox", "email", FetchResult([RawItem(ext, raw)], {}))
        return int(rows_by_subject_or_id(app)[kw["msgid"]]["thread_id"])

    app.store.ensure_source("inbox", "maildir")
    first = ingest("a", subject="Order late", sender="Ann <ann@example.com>", msgid="<a@x>")
    tok = ref_token(first)
    # the customer answers our reply: same thread
    assert ingest("b", subject=f"Re: Order late {tok}", sender="Ann <ann@example.com>",
                  msgid="<b@x>") == first
    # a colleague of hers on the same subject: same thread
    assert ingest("c", subject=f"Re: Order late {tok}", sender="Bob <bob@example.com>",
                  msgid="<c@x>") == first
    # someone else reusing the token on a new subject: a new thread
    assert ingest("d", subject=f"Invoice question {tok}", sender="Cy <cy@example.com>",
                  msgid="<d@x>") != first
    # a reply whose subject changed completely: a new thread (References guard)
    assert ingest("e", subject="New laptop order", sender="Ann <ann@example.com>",
                  msgid="<e@x>", In_Reply_To="<a@x>", References="<a@x>") != first
