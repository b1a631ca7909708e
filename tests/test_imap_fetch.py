"""The fast FETCH path (triage/clients/imap_fetch.py) and the one-round-trip fetch of the IMAP
source, against a real Dovecot: the same result as imapclient's own parser, byte for byte."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.response_parser import parse_fetch_response

from bench.mailgen import generate
from tests.conftest import make_email
from tests.fixtures_imap import PASSWORD, Mailbox
from tests.test_imap import customer_mails, make_app, poll, stored
from tests.tricky_mail import tricky_mails
from triage.clients import imap_fetch
from triage.clients.imap import ImapConnector, quiet_imaplib
from triage.clock import FrozenClock
from triage.config import ImapSettings
from triage.sources.table import build_source

FIXTURES = Path(__file__).parent
ITEMS = list(imap_fetch.FAST_ITEMS)


def odd_mails() -> list[bytes]:
    """Bodies that look like IMAP syntax, 8-bit bytes, bare headers, almost nothing."""
    head = b"From: a@example.net\r\nTo: support@example.com\r\nSubject: odd\r\n"
    return [
        head + b"\r\n) (UID 9 BODY[] {12}\r\n* 3 FETCH (FLAGS (\\Seen))\r\n\"quoted\" \\ NIL )",
        head + b"\r\n((((\r\n))))\r\n\"\r\n",
        head + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + bytes(range(1, 256)),
        head + b"\r\n",  # headers only, empty body
        head.rstrip(b"\r\n"),  # no blank line, no body at all
        b"\r\n",  # next to nothing
        b"x",
        head + b"\r\n" + b"line\r\n" * 5000 + b"{99}\r\n",
    ]


def all_mails() -> list[bytes]:
    """Every mail fixture of the repository, the tricky ones, generated ones and odd ones."""
    files = sorted([*FIXTURES.glob("mail_fixtures/**/*.eml"),
                    *FIXTURES.glob("fuzz_seeds/mail/*.eml")])
    return ([f.read_bytes() for f in files] + list(tricky_mails(300_000).values())
            + generate(300, seed=7) + odd_mails())


def raw_fetch(c: IMAPClient, uids: list[int], items: list[str]) -> list[Any]:
    """imaplib's untagged FETCH data for ``UID FETCH uids items`` (what both parsers read)."""
    typ, data = c._imap.uid("FETCH", ",".join(map(str, uids)), "(" + " ".join(items) + ")")
    assert typ == "OK"
    return list(data)


def imapclient_result(data: list[Any], uids: list[int], normalise: bool) -> dict[int, Any]:
    parsed = parse_fetch_response(data, normalise, True)
    return {u: parsed[u] for u in uids if u in parsed}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calls of imapclient's parser from imap_fetch (the fallback)."""
    calls: list[int] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return parse_fetch_response(*args, **kwargs)

    monkeypatch.setattr(imap_fetch, "parse_fetch_response", wrapped)
    return calls


def test_fast_path_gives_imapclients_result_for_every_fixture_and_odd_body(
        mailbox: Mailbox, counted: list[int]) -> None:
    mails = all_mails()
    mailbox.append("INBOX", mails)
    c = mailbox.client()
    try:
        c.select_folder("INBOX", readonly=True)
        uids = sorted(c.search(["ALL"]))
        assert len(uids) == len(mails) > 500
        got: dict[int, Any] = {}
        for normalise in (True, False):  # the source reads them unnormalised
            c.normalise_times = normalise
            for i in range(0, len(uids), 250):
                batch = uids[i:i + 250]
                fast = imap_fetch.fetch(c, batch, ITEMS)
                assert fast == dict(c.fetch(batch, ITEMS))  # imapclient's own fetch
                assert fast == imapclient_result(raw_fetch(c, batch, ITEMS), batch, normalise)
                got.update(fast)
        assert counted == []  # none of these needed the fallback
        # the bytes as appended (Dovecot hands bare LF line ends back as CRLF)
        crlf = [re.sub(rb"\r?\n", b"\r\n", m) for m in mails]
        assert [got[u][b"BODY[]"] for u in uids] == crlf
        assert [got[u][b"RFC822.SIZE"] for u in uids] == [len(m) for m in crlf]
        assert got[uids[0]][b"INTERNALDATE"].tzinfo is not None
    finally:
        c.logout()


def test_any_other_shape_goes_to_imapclients_parser_with_the_same_result(
        mailbox: Mailbox, counted: list[int]) -> None:
    mailbox.append("INBOX", customer_mails(4, "shape") + odd_mails()[:2])
    c = mailbox.client()
    try:
        c.select_folder("INBOX", readonly=True)
        uids = sorted(c.search(["ALL"]))
        data = raw_fetch(c, uids, ITEMS)
        line, literal = data[0]
        date = line.split(b'INTERNALDATE "')[1].split(b'"')[0]
        variants: dict[str, list[Any]] = {
            "nil body": [line.split(b" BODY[]")[0] + b" BODY[] NIL)", *data[2:]],
            "flags after the body": [data[0], b" FLAGS (\\Seen $Triage-Complaint))", *data[2:]],
            "flags before": [(line.replace(b" RFC822.SIZE", b" FLAGS (\\Flagged) RFC822.SIZE"),
                              literal), *data[1:]],
            "unsolicited flags": [b"%d (UID %d FLAGS (\\Seen))" % (1, uids[0]), *data],
            "expunged meanwhile": [None],
            "escaped date": [(line.replace(date, date[:3] + b"\\" + date[3:]), literal),
                             *data[1:]],
            "zero-padded size": [(line.replace(b"RFC822.SIZE ", b"RFC822.SIZE 0"), literal),
                                 *data[1:]],
            "literal shorter than announced": [(line, literal[:-1]), *data[1:]],
            "same message twice": [*data, *data[:2]],
            "other order": [(re.sub(rb"(RFC822\.SIZE \d+) (INTERNALDATE \"[^\"]*\")",
                                    rb"\2 \1", line), literal), *data[1:]],
        }
        for name, variant in variants.items():
            counted.clear()
            try:
                want: Any = imapclient_result(variant, uids, False)
            except Exception as exc:  # imapclient refuses it: so must we
                want = type(exc)
            try:
                got: Any = imap_fetch.parse(variant, uids, False)
            except Exception as exc:
                got = type(exc)
            assert got == want, name
            assert counted == [1], name
        assert imap_fetch.parse(data, uids, False) == imapclient_result(data, uids, False)
        # a request for other items is imapclient's fetch, untouched
        other = imap_fetch.fetch(c, uids, ["FLAGS", "RFC822.SIZE"])
        assert other == dict(c.fetch(uids, ["FLAGS", "RFC822.SIZE"]))
    finally:
        c.logout()


def test_unsolicited_flag_changes_from_another_session_reach_the_result_as_imapclients(
        mailbox: Mailbox, counted: list[int]) -> None:
    mailbox.append("INBOX", customer_mails(5, "uns"))
    reader, writer = mailbox.client(), mailbox.client()
    try:
        reader.select_folder("INBOX", readonly=True)
        uids = sorted(reader.search(["ALL"]))
        writer.select_folder("INBOX")
        writer.add_flags(uids[1:3], [b"\\Flagged"])
        writer.noop()
        fast = imap_fetch.fetch(reader, uids, ITEMS)
        writer.remove_flags(uids[1:3], [b"\\Flagged"])
        writer.noop()
        slow = dict(reader.fetch(uids, ITEMS))
        # the flags were announced inside the FETCH answer: both parsers keep them
        assert b"\\Flagged" in fast[uids[1]].get(b"FLAGS", ())
        assert b"\\Flagged" not in slow[uids[1]].get(b"FLAGS", ())
        for got in (fast, slow):
            for u in uids:
                got[u].pop(b"FLAGS", None)
        assert fast == slow and counted == [1]
    finally:
        reader.logout()
        writer.logout()


def test_imaplib_trace_is_off_unless_debug_logging_asks_for_it(
        mailbox: Mailbox, caplog: pytest.LogCaptureFixture) -> None:
    settings = ImapSettings.model_validate(mailbox.settings())
    ours = ImapConnector(settings, {"IMAP_PW": PASSWORD}).connect()
    assert ours._imap.debug == 0  # the connector's clients are quiet
    ours.logout()
    c = mailbox.client()
    try:
        assert c._imap.debug == 5  # what imapclient sets
        quiet_imaplib(c)
        assert c._imap.debug == 0
        c._imap.debug = 5
        with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
            quiet_imaplib(c)
            assert c._imap.debug == 5
            c.noop()
        assert any(r.name == "imapclient.imaplib" for r in caplog.records)
    finally:
        c.logout()


def test_over_size_and_mid_size_mail_in_a_fast_batch_and_the_budget(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.sources import imap

    # fetch_batch 5 and a 60 kB budget: up to 6 kB a message is fetched in one round trip
    monkeypatch.setattr(imap, "FETCH_BYTES_BUDGET", 60_000)
    app = make_app(tmp_path, mailbox, model_path, clock, fetch_batch=5,
                   max_message_size=20_000)
    assert poll(app).stored == 0
    pad = "Please help with my order, it is late. " * 60  # ~2.4 kB
    mails = [make_email(subject=f"Case b{i}", body=pad, sender=f"c{i}@example.net",
                        msgid=f"<b{i}@example.net>") for i in range(30)]
    mails[7] = make_email(subject="Mid", body=pad * 4, sender="m@example.net",
                          msgid="<mid@example.net>")  # over 6 kB, under the cap
    mails[21] = make_email(subject="Huge", body=pad * 10, sender="h@example.net",
                           msgid="<huge@example.net>")  # over max_message_size
    mailbox.append("INBOX", mails)
    source = build_source(app.settings.sources[0], app.environ, app.settings.resolve_path)
    calls: list[list[int]] = []
    real = imap_fetch.fetch
    monkeypatch.setattr(imap_fetch, "fetch", lambda c, uids, items: (
        calls.append(list(uids)), real(c, uids, items))[1])
    first = source.fetch(app.store.get_cursor("support"), 100)
    source.close()
    held = sum(len(i.raw) for i in first.items)
    assert 5 <= len(first.items) < 30 and held <= 60_000
    c = mailbox.client()
    c.select_folder("INBOX", readonly=True)
    uids = sorted(c.search(["ALL"]))
    c.logout()
    fast = {u for b in calls for u in b}  # sizes, dates and bodies in one round trip
    assert len(fast) >= 10 and uids[7] not in fast and uids[21] not in fast
    assert all(len(b) <= 5 for b in calls)
    stats = poll(app)
    assert stats.stored == 30
    rows = {r["message_id"]: r for r in stored(app)}
    assert len(rows) == 30 == len(stored(app))
    assert rows["<mid@example.net>"]["status"] == "processed"
    assert "Please help" in rows["<mid@example.net>"]["full_text"]
    huge = rows["<huge@example.net>"]
    assert huge["status"] == "quarantined" and "max_message_size 20000" in huge["error"]
    assert huge["subject"] == "Huge"


def test_expunged_gaps_wider_than_the_search_window_lose_nothing(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock, fetch_batch=4)
    app.settings.scheduler.batch_size = 5  # the search window is 10 UIDs
    assert poll(app).stored == 0
    mailbox.append("INBOX", customer_mails(60, "gap"))
    c = mailbox.client()
    c.select_folder("INBOX")
    uids = sorted(c.search(["ALL"]))
    gone = uids[10:35] + uids[50:53]  # 25 in a row: two and a half windows of nothing
    c.delete_messages(gone)
    c.expunge()
    c.logout()
    assert poll(app).stored == 60 - len(gone)
    rows = stored(app)
    kept = {f"<gap{i}@example.net>" for i in range(60)} - {
        f"<gap{i}@example.net>" for i in [*range(10, 35), *range(50, 53)]}
    assert {r["message_id"] for r in rows} == kept and len(rows) == len(kept)
    assert app.store.get_cursor("support")["folders"]["INBOX"]["last_uid"] == uids[-1]
    assert poll(app).stored == 0
