"""The IMAP source against a real Dovecot: incremental read-only sync, restarts, resyncs."""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient
from sqlalchemy import func, select

from tests.conftest import make_email
from tests.fixtures_imap import PASSWORD, Mailbox
from triage.cli.main import main
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.errors import ConfigError, SourceAuthError
from triage.services import App
from triage.sources.table import build_source
from triage.store import schema as s

CORPUS = Path(__file__).parent.parent / "classifiers" / "corpus"


def corpus_texts(n: int) -> list[tuple[str, str]]:
    """``n`` (text, label) pairs from the bundled corpus, cycling through the languages."""
    rows: list[tuple[str, str]] = []
    for f in sorted(CORPUS.glob("*.csv")):
        with f.open(encoding="utf-8") as fh:
            rows.extend((r["text"], r["label"]) for r in csv.DictReader(fh)
                        if r["channel"] == "email")
    return [rows[(i * 7919) % len(rows)] for i in range(n)]


def customer_mails(n: int, prefix: str = "m") -> list[bytes]:
    """``n`` customer emails with distinct Message-IDs."""
    return [make_email(subject=f"Case {prefix}{i}", body=text,
                       sender=f"Customer {i} <c{i}@example.net>",
                       msgid=f"<{prefix}{i}@example.net>")
            for i, (text, _) in enumerate(corpus_texts(n))]


def make_app(tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock,
             **over: Any) -> App:
    """An App on a fresh SQLite store with one IMAP source for ``mailbox``."""
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path)},
        "scheduler": {"jitter": "0s"},
        "sources": [mailbox.settings(**over)],
    })
    return App(settings, clock=clock, environ={"IMAP_PW": PASSWORD})


def stored(app: App, source: str = "support") -> list[dict[str, Any]]:
    """Every message row of ``source``."""
    with app.store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(
            select(s.messages.c.id, s.messages.c.external_id, s.messages.c.message_id,
                   s.messages.c.status, s.messages.c.error, s.messages.c.backfill,
                   s.messages.c.subject, s.messages.c.full_text, s.messages.c.thread_id)
            .where(s.messages.c.source == source).order_by(s.messages.c.id))]


def poll(app: App) -> Any:
    """Poll the one configured source once."""
    source = build_source(app.settings.sources[0], app.environ, app.settings.resolve_path)
    return Daemon(app).poll_source(source)


def test_first_start_takes_only_new_mail_then_1000_once_and_never_sets_seen(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    mailbox.append("INBOX", customer_mails(3, "old"))
    app = make_app(tmp_path, mailbox, model_path, clock, fetch_batch=250)
    assert poll(app).stored == 0  # first start: no backfill unless asked
    mailbox.append("INBOX", customer_mails(1000))
    stats = poll(app)
    assert (stats.stored, stats.processed, stats.quarantined) == (1000, 1000, 0)
    rows = stored(app)
    assert {r["message_id"] for r in rows} == {f"<m{i}@example.net>" for i in range(1000)}
    assert all(r["status"] == "processed" for r in rows)
    uv = rows[0]["external_id"].split(":")[1]
    assert rows[0]["external_id"] == f"INBOX:{uv}:4"
    with app.store.engine.connect() as c:
        drafts = c.execute(select(func.count()).select_from(s.drafts)).scalar()
    assert drafts == 1000
    # re-running the poll duplicates nothing
    assert poll(app).stored == 0
    assert len(stored(app)) == 1000
    # \Seen untouched on the server
    c = mailbox.client()
    c.select_folder("INBOX", readonly=True)
    assert c.search(["SEEN"]) == []
    assert len(c.search(["UNSEEN"])) == 1003
    c.logout()
    cursor = app.store.get_cursor("support")
    assert cursor["folders"]["INBOX"] == {"uidvalidity": int(uv), "last_uid": 1003}


def test_restart_of_dovecot_in_the_middle_of_a_fetch_loses_and_doubles_nothing(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock, fetch_batch=50)
    app.settings.scheduler.batch_size = 60
    assert poll(app).stored == 0
    mailbox.append("INBOX", customer_mails(300, "r"))
    source = build_source(app.settings.sources[0], app.environ, app.settings.resolve_path)
    real_fetch = source.fetch
    calls = []

    def fetch_then_restart(cursor: dict[str, Any], limit: int) -> Any:
        calls.append(cursor)
        if len(calls) == 3:
            # the server goes away between two batches, while our connection is open
            mailbox.server.restart()
        return real_fetch(cursor, limit)

    source.fetch = fetch_then_restart  # type: ignore[method-assign]
    stats = Daemon(app).poll_source(source)
    assert stats.stored == 300 and len(calls) >= 6
    rows = stored(app)
    assert len(rows) == 300 == len({r["message_id"] for r in rows})


def test_server_down_is_a_source_error_and_the_next_poll_catches_up(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock, connect_attempts=2)
    assert poll(app).stored == 0
    mailbox.append("INBOX", customer_mails(5, "d"))
    mailbox.server.stop()
    try:
        out = Daemon(app).poll_all()
        assert out["support"].startswith("error:") and "after 2 attempt(s)" in out["support"]
        assert app.store.source_rows()[0]["failures"] == 1
    finally:
        mailbox.server.start()
    assert poll(app).stored == 5
    assert app.store.source_rows()[0]["failures"] == 0


def test_uidvalidity_change_resyncs_by_message_id_without_duplicates(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock, folders=["Support"])
    mailbox.append("Support", [])
    assert poll(app).stored == 0
    first = customer_mails(6, "u")
    mailbox.append("Support", first)
    assert poll(app).stored == 6
    old_uv = app.store.get_cursor("support")["folders"]["Support"]["uidvalidity"]
    # the folder is recreated (a server migration): new UIDVALIDITY, same mail plus new mail
    c = mailbox.client()
    c.delete_folder("Support")
    c.logout()
    later = customer_mails(9, "u")[6:]
    mailbox.append("Support", [first[4], first[0], *later, first[2]])
    stats = poll(app)
    assert stats.stored == 3
    cur = app.store.get_cursor("support")["folders"]["Support"]
    assert cur["uidvalidity"] != old_uv and "resync_until" not in cur
    rows = stored(app)
    assert sorted(r["message_id"] for r in rows) == sorted(f"<u{i}@example.net>"
                                                           for i in range(9))
    # later mail after the resync is ordinary incremental sync again
    mailbox.append("Support", customer_mails(10, "u")[9:])
    assert poll(app).stored == 1


def test_backfill_since_on_first_start_and_backfill_command(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox.append("INBOX", customer_mails(4, "b"))
    app = make_app(tmp_path, mailbox, model_path, clock, backfill_since="2000-01-01")
    assert poll(app).stored == 4
    mailbox.append("INBOX", customer_mails(7, "b")[6:])  # new mail after the first start
    assert poll(app).stored == 1
    assert [r["backfill"] for r in stored(app)] == [True] * 4 + [False]
    assert "since" not in app.store.get_cursor("support")["folders"]["INBOX"]
    app.store.close()
    # the explicit command on a fresh store: older mail imported, flagged backfill
    mailbox.append("INBOX", customer_mails(6, "b")[4:])
    cfg = tmp_path / "triage.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data2"}"\n[classifier]\nmodel_path = "{model_path}"\n'
        f'[[sources]]\nname = "support"\ntype = "imap"\nhost = "127.0.0.1"\n'
        f'port = {mailbox.server.port}\ntls = "none"\nusername = "{mailbox.user}"\n'
        f'password_env = "IMAP_PW"\nfolders = ["INBOX"]\n', encoding="utf-8")
    monkeypatch.setenv("IMAP_PW", PASSWORD)
    runner = CliRunner()
    res = runner.invoke(main, ["backfill", "--config", str(cfg), "--source", "support",
                               "--since", "2000-01-01"])
    assert res.exit_code == 0, res.output
    assert "stored 7" in res.output
    again = runner.invoke(main, ["backfill", "--config", str(cfg), "--source", "support",
                                 "--since", "2000-01-01"])
    assert again.exit_code == 0 and "stored 0" in again.output
    bad = runner.invoke(main, ["backfill", "--config", str(cfg), "--source", "support",
                               "--since", "last week"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_wrong_password_is_an_auth_error_naming_the_variable(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock)
    app.environ["IMAP_PW"] = "wrong"
    source = build_source(app.settings.sources[0], app.environ, app.settings.resolve_path)
    with pytest.raises(SourceAuthError, match="IMAP_PW"):
        source.fetch({}, 10)


def test_plain_text_to_a_remote_host_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigError, match="clear text"):
        settings_from_mapping({"sources": [{
            "name": "a", "type": "imap", "host": "imap.example.com", "tls": "none",
            "username": "u", "password_env": "P"}]})



def wait_for(cond: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """Wait (bounded) until ``cond()`` is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_mail_delivered_while_idle_is_processed_without_waiting_for_the_poll_interval(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock, idle=True, poll_interval="1h",
                   folders=["INBOX", "Urgent"])
    mailbox.append("Urgent", [])
    _ = app.store, app.pipeline  # built before the daemon's threads share them
    runner = Daemon(app)
    daemon = threading.Thread(target=runner.run, daemon=True)
    daemon.start()
    try:
        wait_for(lambda: app.store.source_rows() and app.store.source_rows()[0]["last_success_at"],
                 what="the first poll")
        wait_for(lambda: len(runner.push_watchers) == 2 and all(w.idling.is_set()
                                                             for w in runner.push_watchers),
                 what="both folders in IDLE")
        mailbox.append("Urgent", customer_mails(1, "idle"))
        rows = wait_for(lambda: [r for r in stored(app) if r["status"] == "processed"],
                        what="the new message to be processed (the poll interval is 1 h)")
    finally:
        app.stop.set()
        daemon.join(timeout=30)
    assert [r["message_id"] for r in rows] == ["<idle0@example.net>"]
    assert rows[0]["external_id"].startswith("Urgent:")
    urgent = next(w for w in runner.push_watchers if w.folder == "Urgent")
    assert urgent.wakes == 1
    assert not daemon.is_alive() and not any(w.is_alive() for w in runner.push_watchers)


def test_without_idle_support_the_watcher_ends_and_polling_carries_on(
        mailbox: Mailbox) -> None:
    from triage.clients.imap import ImapConnector
    from triage.config import ImapSettings
    from triage.sources.imap_idle import IdleWatcher

    class NoIdleClient(IMAPClient):
        def capabilities(self) -> tuple[bytes, ...]:
            return tuple(c for c in super().capabilities() if c != b"IDLE")

    cfg = ImapSettings.model_validate(mailbox.settings(idle=True))
    conn = ImapConnector(cfg, {"IMAP_PW": PASSWORD}, client_factory=NoIdleClient)
    stop = threading.Event()
    woken: list[int] = []
    w = IdleWatcher(conn, "INBOX", lambda: woken.append(1), stop)
    w.start()
    w.join(timeout=20)
    assert not w.is_alive() and w.supported is False and woken == []


def test_memory_budget_splits_big_fetches_and_loses_nothing(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.sources import imap

    monkeypatch.setattr(imap, "FETCH_BYTES_BUDGET", 1500)
    app = make_app(tmp_path, mailbox, model_path, clock)
    poll(app)
    mails = customer_mails(7, "mem")
    mailbox.append("INBOX", mails)
    source = build_source(app.settings.sources[0], app.environ, app.settings.resolve_path)
    first = source.fetch(app.store.get_cursor("support"), 100)
    source.close()
    held = sum(len(i.raw) for i in first.items)
    assert 1 <= len(first.items) < 7 and held <= 1500 + max(len(m) for m in mails)
    assert poll(app).stored == 7 and len(stored(app)) == 7


def test_idle_is_renewed_and_still_wakes(mailbox: Mailbox) -> None:
    from datetime import timedelta

    from triage.clients.imap import ImapConnector
    from triage.config import ImapSettings
    from triage.sources.imap_idle import IdleWatcher

    cfg = ImapSettings.model_validate(mailbox.settings(idle=True))
    stop = threading.Event()
    woken = threading.Event()
    w = IdleWatcher(ImapConnector(cfg, {"IMAP_PW": PASSWORD}), "INBOX", woken.set, stop,
                    renew=timedelta(seconds=0.3), check_every=0.1)
    w.start()
    try:
        wait_for(lambda: w.idles >= 3, what="IDLE renewed twice")
        assert not woken.is_set()  # renewing is not new mail
        mailbox.append("INBOX", customer_mails(1, "renew"))
        assert woken.wait(timeout=30)
    finally:
        stop.set()
        w.join(timeout=10)
    assert not w.is_alive() and w.wakes == 1


def test_one_unreachable_account_does_not_stop_the_others(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    from tests.fixtures_imap import free_port

    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "sources": [mailbox.settings(name="down", port=free_port(), connect_attempts=2),
                    mailbox.settings(name="support")],
    })
    app = App(settings, clock=clock, environ={"IMAP_PW": PASSWORD})
    Daemon(app).poll_all()
    mailbox.append("INBOX", customer_mails(2, "iso"))
    out = Daemon(app).poll_all()
    assert isinstance(out["down"], str) and "cannot reach" in out["down"]
    assert out["support"].stored == 2  # type: ignore[union-attr]
    rows = {r["name"]: r for r in app.store.source_rows()}
    assert rows["down"]["failures"] == 2 and rows["support"]["failures"] == 0


def test_a_wake_skipped_by_a_busy_poll_is_repeated_until_a_fetch_runs(
        mailbox: Mailbox) -> None:
    from triage.clients.imap import ImapConnector
    from triage.config import ImapSettings
    from triage.sources.imap_idle import IdleWatcher

    cfg = ImapSettings.model_validate(mailbox.settings(idle=True))
    stop = threading.Event()
    calls: list[float] = []
    fetched_at: list[float] = []

    def wake() -> None:  # the first wake-up lands while the poll job is busy: skipped
        calls.append(time.monotonic())
        if len(calls) >= 2:
            fetched_at.append(time.monotonic())

    w = IdleWatcher(ImapConnector(cfg, {"IMAP_PW": PASSWORD}), "INBOX", wake, stop,
                    fetched_since=lambda t: any(f >= t for f in fetched_at),
                    confirm_every=0.1)
    w.start()
    try:
        wait_for(lambda: w.idling.is_set(), what="IDLE")
        mailbox.append("INBOX", customer_mails(1, "busy"))
        wait_for(lambda: len(calls) >= 2 and fetched_at, what="a second wake-up")
        wait_for(lambda: w.idling.is_set(), what="IDLE again after the poll ran")
    finally:
        stop.set()
        w.join(timeout=10)
    assert len(calls) == 2 and w.wakes == 1


def test_a_missing_folder_is_named_with_the_fix(
        tmp_path: Path, mailbox: Mailbox, model_path: Path, clock: FrozenClock) -> None:
    app = make_app(tmp_path, mailbox, model_path, clock, folders=["INBOX", "Suport"])
    out = Daemon(app).poll_all()
    assert "folder 'Suport'" in out["support"] and "check that the folder exists" in \
        out["support"]
