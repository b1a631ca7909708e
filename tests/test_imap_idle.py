"""IMAP IDLE against a real Dovecot whose own periodic re-check is switched off.

Dovecot announces new mail to an IDLE session through inotify within about half a second, but
mail that arrives while the session is *not* in IDLE (between DONE and the next IDLE, while the
watcher wakes the poll) is only announced at its next periodic check,
``mailbox_idle_check_interval`` (30 s by default). Here that check runs once an hour, so any
notification the watcher loses shows up as a test that never sees its wake-up or its draft.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_imap import PASSWORD, Dovecot, Mailbox
from tests.test_imap import customer_mails, make_app, stored, wait_for
from triage.clients.imap import ImapConnector
from triage.config import ImapSettings
from triage.daemon import Daemon
from triage.sources.imap_idle import IdleWatcher

USERS = tuple(f"idle{i}@example.com" for i in range(6))
_next = iter(range(len(USERS)))


@pytest.fixture(scope="module")
def quiet_dovecot() -> Iterator[Dovecot]:
    """A Dovecot that re-checks an idling mailbox only once an hour."""
    server = Dovecot(USERS, extra_conf="mailbox_idle_check_interval = 1h")
    server.start()
    yield server
    server.remove()


@pytest.fixture
def box(quiet_dovecot: Dovecot) -> Mailbox:
    """A fresh account on the quiet server."""
    return Mailbox(quiet_dovecot, USERS[next(_next)])


def test_mail_that_arrives_while_the_watcher_wakes_the_poll_is_not_lost(box: Mailbox) -> None:
    box.append("INBOX", [])
    cfg = ImapSettings.model_validate(box.settings(idle=True))
    stop = threading.Event()
    wakes: list[int] = []
    second = threading.Event()

    def wake() -> None:
        # the poll this wakes runs while the watcher is out of IDLE; a second customer writes
        # at that moment
        wakes.append(1)
        if len(wakes) == 1:
            box.append("INBOX", customer_mails(1, "gap"))
        else:
            second.set()

    w = IdleWatcher(ImapConnector(cfg, {"IMAP_PW": PASSWORD}), "INBOX", wake, stop)
    w.start()
    try:
        wait_for(lambda: w.idling.is_set(), what="IDLE")
        box.append("INBOX", customer_mails(1, "first"))
        assert second.wait(timeout=30), "the mail that came during the wake-up was lost"
    finally:
        stop.set()
        w.join(timeout=10)
    assert not w.is_alive() and w.wakes == 2


def test_a_wake_skipped_by_a_busy_poll_is_repeated_while_idling(box: Mailbox) -> None:
    """The watcher confirms that a fetch ran after its wake-up without leaving IDLE, so mail
    that comes meanwhile is still announced."""
    box.append("INBOX", [])
    cfg = ImapSettings.model_validate(box.settings(idle=True))
    stop = threading.Event()
    calls: list[int] = []
    fetched = threading.Event()

    def wake() -> None:  # the first wake-up lands on a busy poll and is skipped
        calls.append(1)
        if len(calls) >= 2:
            fetched.set()

    w = IdleWatcher(ImapConnector(cfg, {"IMAP_PW": PASSWORD}), "INBOX", wake, stop,
                    fetched_since=lambda _t: fetched.is_set(), confirm_every=0.05)
    w.start()
    try:
        wait_for(lambda: w.idling.is_set(), what="IDLE")
        box.append("INBOX", customer_mails(1, "busy"))
        wait_for(fetched.is_set, what="the repeated wake-up")
        wait_for(lambda: w.idling.is_set(), what="IDLE again")
        box.append("INBOX", customer_mails(1, "busy2"))
        wait_for(lambda: w.wakes == 2, what="the next mail announced")
    finally:
        stop.set()
        w.join(timeout=10)
    assert len(calls) == 3 and w.wakes == 2


def test_mail_appended_one_by_one_during_idle_becomes_drafts_without_the_poll_interval(
        tmp_path: Path, box: Mailbox, model_path: Path, clock: Any) -> None:
    """The daemon with idle = true and a 1 h poll: each mail is appended right after the draft
    of the previous one shows in Drafts, i.e. while the watcher is busy with its wake-up."""
    app = make_app(tmp_path, box, model_path, clock, idle=True, poll_interval="1h",
                   write_back={"drafts_folder": "Drafts", "from_address": box.user})
    box.append("INBOX", [])
    _ = app.store, app.pipeline
    runner = Daemon(app)
    daemon = threading.Thread(target=runner.run, daemon=True)
    daemon.start()
    drafts = box.client()
    try:
        wait_for(lambda: app.store.source_rows() and app.store.source_rows()[0]["last_success_at"],
                 what="the first poll (it starts at the mail already there)")
        wait_for(lambda: runner.push_watchers and runner.push_watchers[0].idling.is_set(),
                 what="IDLE")
        drafts.select_folder("Drafts", readonly=True)
        for i in range(4):
            box.append("INBOX", customer_mails(1, f"seq{i}"))
            wait_for(lambda n=i: drafts.noop() and len(drafts.search(["ALL"])) > n,
                     what=f"the draft of mail {i} (the poll interval is 1 h)")
    finally:
        app.stop.set()
        daemon.join(timeout=30)
        drafts.logout()
    rows = stored(app)
    assert [r["message_id"] for r in rows] == [f"<seq{i}0@example.net>" for i in range(4)]
    assert all(r["status"] == "processed" for r in rows)
