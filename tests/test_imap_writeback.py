"""IMAP write-back against a real Dovecot: keywords, \\Flagged, drafts in Drafts, MOVE."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from imapclient import IMAPClient

from tests.conftest import make_email
from tests.fixtures_imap import PASSWORD, Mailbox
from tests.test_imap import customer_mails, make_app, poll, stored
from triage.clients.imap import ImapConnector
from triage.clock import FrozenClock
from triage.config import ImapSettings
from triage.daemon import Daemon
from triage.mail.threads import ref_token
from triage.sources.imap import ImapSource
from triage.sources.imap_writeback import category_keyword
from triage.store import schema as s
from triage.store.imap_state import writeback_state

WB = {"keywords": True, "flag_due": True, "drafts_folder": "Drafts"}


def categories(app: Any) -> dict[str, str]:
    """Message-ID -> current category."""
    return {r["message_id"]: r["category"] for r in app.store.export_rows()}


def server_flags(mailbox: Mailbox, folder: str) -> dict[str, set[bytes]]:
    """Message-ID -> flags of every message in ``folder``."""
    c = mailbox.client()
    try:
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        data = c.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
        out = {}
        for d in data.values():
            head = d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode()
            out[head.split(":", 1)[1].strip()] = set(d[b"FLAGS"])
        return out
    finally:
        c.logout()


def drafts(mailbox: Mailbox) -> list[tuple[email.message.EmailMessage, tuple[bytes, ...]]]:
    """Every message in Drafts with its flags."""
    c = mailbox.client()
    try:
        c.select_folder("Drafts", readonly=True)
        uids = c.search(["ALL"])
        data = c.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        return [(email.message_from_bytes(d[b"BODY[]"], policy=policy.default),  # type: ignore[misc]
                 d[b"FLAGS"]) for d in data.values()]
    finally:
        c.logout()


def test_migration_creates_the_writeback_table_as_declared(tmp_path: Path, mailbox: Mailbox,
                                                          model_path: Path,
                                                          clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock)
    with app.store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), s.metadata)
    assert [d for d in diff if "imap_writeback" in repr(d)] == []
    assert "imap_writeback" in s.metadata.tables


def test_keywords_flags_and_threaded_drafts(tmp_path: Path, mailbox: Mailbox, model_path: Path,
                                            clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock, write_back=WB)
    assert poll(app).stored == 0
    auto = make_email(subject="Automatic reply: away", body="I am out of office.",
                      sender="Bob <bob@example.org>", msgid="<auto1@example.org>",
                      Auto_Submitted="auto-replied")
    mailbox.append("INBOX", [*customer_mails(3, "w"), auto])
    poll(app)
    cats = categories(app)
    flags = server_flags(mailbox, "INBOX")
    for i in range(3):
        mid = f"<w{i}@example.net>"
        assert category_keyword(cats[mid]).encode() in flags[mid]
        assert b"\\Flagged" not in flags[mid] and b"\\Seen" not in flags[mid]
    assert not any(f.startswith(b"$Triage") for f in flags["<auto1@example.org>"])
    # drafts: one per customer message, a proper threaded reply, \Draft, none for auto mail
    got = drafts(mailbox)
    assert len(got) == 3
    rows = {r["message_id"]: r for r in stored(app)}
    for msg, fl in got:
        parent = msg["In-Reply-To"]
        assert b"\\Draft" in fl
        assert parent in rows and msg["References"].split()[-1] == parent
        i = parent[2:].split("@")[0]
        assert msg["To"] == f"Customer {i} <c{i}@example.net>"
        assert msg["From"] == "support@example.com"
        assert msg["Subject"].startswith("Re: Case w")
        assert msg["Subject"].endswith(ref_token(rows[parent]["thread_id"]))
        assert "@triage" in msg["Message-ID"]
    # the customer answers the draft from their client: it joins the same thread
    first_msg = next(m for m, _ in got if m["In-Reply-To"] == "<w0@example.net>")
    answer = make_email(subject="Re: " + first_msg["Subject"], body="Thanks, still waiting.",
                        sender="Customer 0 <c0@example.net>", msgid="<w0-answer@example.net>",
                        In_Reply_To=first_msg["Message-ID"])
    mailbox.append("INBOX", [answer])
    poll(app)
    rows = {r["message_id"]: r for r in stored(app)}
    assert rows["<w0-answer@example.net>"]["thread_id"] == rows["<w0@example.net>"]["thread_id"]
    assert len(drafts(mailbox)) == 4  # one more draft, none appended twice

    # the deadline gets close: \Flagged after the sweep and the next poll
    clock.advance(timedelta(hours=22))
    Daemon(app).sweep_deadlines()
    poll(app)
    flags = server_flags(mailbox, "INBOX")
    assert all(b"\\Flagged" in flags[f"<w{i}@example.net>"] for i in range(3))
    # an agent answers w1: its deadline is met, the flag is cleared; the others stay flagged
    app.store.mark_met(rows["<w1@example.net>"]["id"])
    poll(app)
    flags = server_flags(mailbox, "INBOX")
    assert b"\\Flagged" not in flags["<w1@example.net>"]
    assert b"\\Flagged" in flags["<w0@example.net>"] and b"\\Flagged" in flags["<w2@example.net>"]
    state = writeback_state(app.store, rows["<w1@example.net>"]["id"])
    assert state is not None and state["flagged"] is False and state["draft_uid"]
    assert len(drafts(mailbox)) == 4


class NoMoveClient(IMAPClient):
    """A client that hides MOVE, to exercise COPY + UID EXPUNGE."""

    def capabilities(self) -> tuple[bytes, ...]:
        return tuple(c for c in super().capabilities() if c != b"MOVE")


@pytest.mark.parametrize("client_factory", [IMAPClient, NoMoveClient], ids=["move", "copy"])
def test_move_per_category_moves_only_that_message(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock,
        client_factory: type[IMAPClient]) -> None:
    folders = {"complaint": "Triage/Complaint", "request": "Triage/Request",
               "suggestion": "Triage/Suggestion", "technical_issue": "Triage/Technical"}
    app = make_app(tmp_path, mailbox, model_path, clock,
                   write_back={"keywords": True, "move_to_folders": folders})
    cfg = ImapSettings.model_validate(app.settings.sources[0].model_dump())
    source = ImapSource(cfg, ImapConnector(cfg, {"IMAP_PW": PASSWORD},
                                           client_factory=client_factory))
    Daemon(app).poll_source(source)
    # one message someone else marked \Deleted must survive our expunge
    keep = make_email(subject="Keep", body="x", msgid="<keep@example.net>",
                      Auto_Submitted="auto-generated")  # not classified, so never moved
    mailbox.append("INBOX", [keep], flags=(b"\\Deleted",))
    mailbox.append("INBOX", customer_mails(4, "mv"))
    Daemon(app).poll_source(source)
    cats = categories(app)
    inbox = server_flags(mailbox, "INBOX")
    assert set(inbox) == {"<keep@example.net>"}
    for i in range(4):
        mid = f"<mv{i}@example.net>"
        moved = server_flags(mailbox, folders[cats[mid]])
        assert mid in moved and category_keyword(cats[mid]).encode() in moved[mid]
    # nothing is re-imported or moved twice
    again = Daemon(app).poll_source(source)
    assert again.stored == 0 and len(stored(app)) == 5


def test_backfilled_mail_gets_keywords_but_no_draft_in_drafts(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    mailbox.append("INBOX", customer_mails(2, "old"))
    app = make_app(tmp_path, mailbox, model_path, clock, write_back=WB,
                   backfill_since="2000-01-01")
    assert poll(app).stored == 2
    assert drafts(mailbox) == []
    flags = server_flags(mailbox, "INBOX")
    assert all(any(f.startswith(b"$Triage-") for f in fl) for fl in flags.values())
    mailbox.append("INBOX", customer_mails(1, "new"))
    poll(app)
    assert [m["In-Reply-To"] for m, _ in drafts(mailbox)] == ["<new0@example.net>"]


def test_replies_sent_by_smtp_are_copied_to_sent_once(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock,
        smtp_server_sink: Any) -> None:
    """An agent approves a draft on the page: aiosmtpd gets the reply, and the next poll
    APPENDs exactly that reply, \\Seen, to the account's Sent folder."""
    from triage.config import settings_from_mapping
    from triage.services import App

    sink, port = smtp_server_sink
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "scheduler": {"jitter": "0s"},
        "drafting": {"support_address": "support@example.com"},
        "send": {"email": "smtp", "smtp": {"host": "127.0.0.1", "port": port, "tls": "none"}},
        "sources": [mailbox.settings(write_back={"sent_folder": "Sent"})],
    })
    app = App(settings, clock=clock, environ={"IMAP_PW": PASSWORD})
    poll(app)
    mailbox.append("INBOX", customer_mails(2, "s"))
    poll(app)
    row = next(r for r in stored(app) if r["message_id"] == "<s0@example.net>")
    app.review.approve(row["id"], "linh", "Re: Case s0", "Hello, your order ships today.")
    assert app.outbox.drain().sent == 1
    assert len(sink.messages) == 1
    poll(app)
    poll(app)  # a second write-back appends nothing again
    c = mailbox.client()
    try:
        c.select_folder("Sent", readonly=True)
        data = c.fetch(c.search(["ALL"]), ["FLAGS", "BODY.PEEK[]"])
    finally:
        c.logout()
    (copy,) = data.values()
    sent = email.message_from_bytes(copy[b"BODY[]"], policy=policy.default)
    assert b"\\Seen" in copy[b"FLAGS"]
    assert sent["Message-ID"] == sink.parsed()["Message-ID"]
    assert sent["In-Reply-To"] == "<s0@example.net>"
    assert "ships today" in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
