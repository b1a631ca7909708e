"""Parsing beside the polling process: the parse processes (``triage.workers.ParsePool``)
give exactly what parsing in the polling process gives, threading keeps a reply after its
parent when the next batch is fetched while the last one is parsed, and a parse process that
dies loses nothing. Also the feedparser's boundary matching without a pattern per message
(``triage.mail.boundaries``) matches exactly like the standard library's own pattern.
"""

from __future__ import annotations

import email.feedparser
import os
import re
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.mailgen import mails
from tests.conftest import add_to_maildir, make_email
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.mail.batch import parse_batch
from triage.mail.boundaries import BoundaryMatcher, EndOfLine
from triage.mail.parse import _FOLDED_BOUNDARY, _OBS_NAME, parse_email, repair_headers
from triage.models import RawItem
from triage.services import App
from triage.workers import ParsePool

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "mail_fixtures"


def feedparser_pattern(separator: str) -> re.Pattern[str]:
    """The pattern Python 3.11's feedparser compiles for a boundary."""
    return re.compile("(?P<sep>" + re.escape(separator) +
                      r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$")


@pytest.mark.parametrize("boundary", ["b1", "==_Part_12.34+x", "a(b)c?d", "x\\y", " sp "])
def test_boundary_matcher_matches_like_the_feedparser_pattern(boundary: str) -> None:
    sep = "--" + boundary
    matcher, pattern = BoundaryMatcher(sep), feedparser_pattern(sep)
    lines = [sep, sep + "\r\n", sep + "\n", sep + "\r", sep + "--", sep + "--\r\n",
             sep + "  \t\r\n", sep + "-- \n", sep + "x\r\n", sep + "--x", "x" + sep,
             sep[:-1] + "\r\n", "", "\r\n", sep + "\r\n\r\n", sep + "---\n"]
    for line in lines:
        want, got = pattern.match(line), matcher.match(line)
        assert bool(want) == bool(got), repr(line)
        if want and got:
            assert [want.group(g) for g in ("end", "ws", "linesep")] == \
                [got.group(g) for g in ("end", "ws", "linesep")], repr(line)


def test_the_feedparser_uses_the_matcher() -> None:
    fp_re = email.feedparser.re
    assert fp_re is not re and isinstance(fp_re.compile(
        "(?P<sep>" + re.escape("--abc") + r")(?P<end>--)?(?P<ws>[ \t]*)"
        r"(?P<linesep>\r\n|\r|\n)?$"), BoundaryMatcher)
    assert fp_re.compile(r"a+b").match("aab")  # every other pattern: re itself


def test_parsing_is_the_same_with_the_standard_boundary_pattern(
        monkeypatch: pytest.MonkeyPatch) -> None:
    raws = mails("realistic", 150) + [p.read_bytes() for p in sorted(FIXTURES.rglob("*.eml"))]
    ours = [parse_batch([(str(i), r, NOW)])[0][0] for i, r in enumerate(raws)]
    monkeypatch.setattr(email.feedparser, "re", re)
    monkeypatch.setattr(email.feedparser, "NLCRE_eol", re.compile(r"(\r\n|\r|\n)\Z"))
    stdlib = [parse_batch([(str(i), r, NOW)])[0][0] for i, r in enumerate(raws)]
    assert len(raws) > 150
    assert ours == stdlib
    multipart = sum(1 for r in raws if b"boundary=" in r.lower())
    assert multipart > 50  # the comparison covered multipart mail


def test_the_end_of_line_test_matches_like_the_feedparser_pattern() -> None:
    pattern = re.compile(r"(\r\n|\r|\n)\Z")
    assert isinstance(email.feedparser.NLCRE_eol, EndOfLine)
    ends = ["", "a", "\r", "\n", "\r\n", "\n\r", "\r\r", "\n\n", "\r\n\r\n", " \n", "\n "]
    for head in ["", "x", "line\r\nmore", "\n" * 3, "a" * 500]:
        for end in ends:
            text = head + end
            want, got = pattern.search(text), EndOfLine.search(text)
            assert (want and (want.span(), want.group(0))) == \
                (got and (got.span(), got.group(0))), repr(text)


def _plain_repair(raw: bytes) -> bytes:
    """repair_headers without its shortcuts."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0),
              default=len(raw))
    head, body = _OBS_NAME.sub(rb"\1:", raw[:end]), raw[end:]
    if b"oundary=" in head or b"OUNDARY=" in head:
        for _ in range(8):
            fixed = _FOLDED_BOUNDARY[1].sub(rb"\1\2", _FOLDED_BOUNDARY[0].sub(rb"\1", head))
            if fixed == head:
                break
            head = fixed
    return head + body


@pytest.mark.parametrize("head", [
    b"From  : a@example.com\r\nSubject\t: hi", b"From: a@example.com\nSubject: x : y",
    b"Content-Type: multipart/mixed; boundary=\r\n  \"abc\"",
    b"Content-Type: multipart/mixed; BOUNDARY=\"ab\r\n\tcd\"",
    b"Content-Type: multipart/mixed; bOUndary=\n abc", b"Content-Type: multipart/mixed; "
    b"boundary=\"a\"\r\nX: y", b"X-Boundary=: 1\nContent-Type: text/plain; boundary=\n\n",
])
def test_header_repair_shortcuts_change_nothing(head: bytes) -> None:
    raws = [head + b"\r\n\r\nbody :\r\n", head, head + b"\n\nboundary=\n x"]
    raws += mails("realistic", 60)
    for raw in raws:
        assert repair_headers(raw) == _plain_repair(raw), raw[:120]


@pytest.fixture
def pool() -> ParsePool:
    p = ParsePool(1, chunk=2)
    p.start()
    yield p
    p.stop()


def small_batch_app(tmp_path: Path, maildir: Path, model_path: Path, clock) -> App:  # type: ignore[no-untyped-def]
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "scheduler": {"batch_size": 2},
        "classifier": {"model_path": str(model_path)},
        "sources": [{"name": "inbox", "type": "maildir", "path": str(maildir)}],
    })
    return App(settings, clock=clock, environ={})


def test_parse_processes_give_what_the_polling_process_gives(pool: ParsePool) -> None:
    raws = [*mails("realistic", 40), b"\x00\x01 not an email", b""]
    jobs = [(str(i), r, NOW) for i, r in enumerate(raws)]
    there = pool.submit(jobs, ("support@example.com",))()
    here = parse_batch(jobs, ("support@example.com",))[0]
    assert there == here
    assert isinstance(there[-2], str) and "no email headers" in there[-2]
    assert pool.cpu_seconds > 0


def test_poll_with_parse_processes_threads_a_reply_after_its_parent(
        tmp_path: Path, maildir: Path, model_path: Path, clock, pool: ParsePool) -> None:  # type: ignore[no-untyped-def]
    # batches of 2: the parent is in the first batch, its reply in the third, fetched while
    # the second is being parsed
    add_to_maildir(maildir, make_email(msgid="<p@example.com>", subject="Order late"))
    for n in range(3):
        add_to_maildir(maildir, make_email(msgid=f"<o{n}@example.com>", subject=f"Other {n}",
                                           sender=f"c{n}@example.org"))
    add_to_maildir(maildir, b"\x00\x01 not an email")
    add_to_maildir(maildir, make_email(msgid="<r@example.com>", subject="Re: Order late",
                                       In_Reply_To="<p@example.com>",
                                       body="Any news on my order?"))
    app = small_batch_app(tmp_path, maildir, model_path, clock)
    app.pipeline.parser = pool
    try:
        stats = Daemon(app).poll_all()["inbox"]
        assert stats.stored == 6 and stats.quarantined == 1  # type: ignore[union-attr]
        rows = {r["message_id"]: r for r in app.store.export_rows()}
        assert rows["<r@example.com>"]["thread_id"] == rows["<p@example.com>"]["thread_id"]
        assert len({rows[f"<o{n}@example.com>"]["thread_id"] for n in range(3)}) == 3
        assert sum(1 for r in rows.values() if r["status"] == "quarantined") == 1
        assert sum(1 for r in rows.values() if r["status"] == "processed") == 5
        # the same text as parsing in this process
        raw = app.store.raw(rows["<r@example.com>"]["id"])
        assert rows["<r@example.com>"]["text"] == parse_email(raw, fallback_received=NOW).text
        assert Daemon(app).poll_all()["inbox"].stored == 0  # type: ignore[union-attr]
    finally:
        app.store.close()


def test_a_parse_process_that_dies_loses_nothing(
        tmp_path: Path, maildir: Path, model_path: Path, clock, pool: ParsePool) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        add_to_maildir(maildir, make_email(msgid=f"<k{n}@example.com>", subject=f"Order {n}"))
    (victim,) = pool.pids()
    os.kill(victim, signal.SIGKILL)
    app = small_batch_app(tmp_path, maildir, model_path, clock)
    app.pipeline.parser = pool
    try:
        stats = Daemon(app).poll_all()["inbox"]
        assert stats.stored == 5 and stats.quarantined == 0  # type: ignore[union-attr]
        assert {r["status"] for r in app.store.export_rows()} == {"processed"}
    finally:
        app.store.close()
    # the next batch gets new parse processes
    assert pool.submit([("x", make_email(), NOW)], ())()[0].subject == "Order late"  # type: ignore[union-attr]
    assert victim not in pool.pids()


def test_a_raw_item_the_source_could_not_read_stays_quarantined(pool: ParsePool,
                                                                 app: App) -> None:
    app.pipeline.parser = pool
    items = [RawItem("ok", make_email()), RawItem("bad", b"", meta={"parse_error": "gone"}),
             RawItem("big", make_email(msgid="<big@x>"), meta={"error": "too big"})]
    records = app.pipeline.start_ingest(items, "email")()
    assert [r.error for r in records] == [None, "gone", "too big"]
    assert records[0].parsed is not None and records[1].parsed is None
    assert records[2].parsed is not None and records[2].parsed.message_id == "<big@x>"


def test_with_workers_a_poll_that_stored_mail_then_processes_it_here_too(
        tmp_path: Path, maildir: Path, model_path: Path, clock, pool: ParsePool) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        add_to_maildir(maildir, make_email(msgid=f"<h{n}@example.com>", subject=f"Order {n}",
                                           sender=f"h{n}@example.org"))
    app = small_batch_app(tmp_path, maildir, model_path, clock)
    app.pipeline.parser = pool
    app.pipeline.process_after_ingest = False  # as Daemon.start_workers sets it
    daemon = Daemon(app)
    try:
        # without helping, the poll only stores: the waiting mail is the workers'
        stats = daemon.poll_source(daemon.sources()[0])
        assert (stats.stored, stats.processed) == (5, 0)
        assert {r["status"] for r in app.store.export_rows()} == {"new"}
        add_to_maildir(maildir, make_email(msgid="<h5@example.com>", subject="Order 5"))
        daemon.help_workers = True
        stats = daemon.poll_source(daemon.sources()[0])
        assert (stats.stored, stats.processed) == (1, 6)  # all waiting, through the claims
        assert {r["status"] for r in app.store.export_rows()} == {"processed"}
        with app.store.engine.connect() as c:
            owners = {r[0] for r in c.exec_driver_sql("select claim_owner from messages")}
        assert len(owners) == 1 and f":{os.getpid()}:" in owners.pop()
        # a poll that stored nothing does not look for work (the workers' idle loop does)
        assert daemon.poll_source(daemon.sources()[0]).processed == 0
    finally:
        app.store.close()
