"""In-doubt replies: rows a dead daemon left ``sending`` are marked in doubt and never resent;
SMTP sends that break after DATA are in doubt; X/Mastodon in-doubt rows are settled by looking;
operators requeue or cancel; ``triage status``, ``/metrics`` and the message page show them."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.fixtures_social import FakeMastodon, FakeX
from tests.fixtures_web import AGENT
from tests.test_send import _first_message, _outbox
from tests.test_send_social import ENV, m_settings, x_settings
from tests.test_web import login
from triage.config import Settings
from triage.errors import NotFound, OutboxError, SendInDoubt
from triage.mail.threads import assign_threads
from triage.models import OutgoingReply
from triage.send.log import LogSender
from triage.send.outbox import Outbox
from triage.send.recovery import cancel, counts, requeue
from triage.send.smtp import SmtpSender
from triage.send.social import build_social_sender
from triage.store import schema as s

ME = "host-a:100:aaaa"


def reply(key: str, message_id: int, **kw: Any) -> OutgoingReply:
    base: dict[str, Any] = {"channel": "email", "to": "ann@example.com", "subject": "Re: x",
                            "text": "We are on it."}
    base.update(kw)
    return OutgoingReply(idempotency_key=key, message_id=message_id, **base)


def claim_as(app: Any, oid: int, owner: str | None, age: timedelta = timedelta(0)) -> None:
    """Put row ``oid`` in ``sending`` as if ``owner`` claimed it ``age`` ago and died."""
    with app.store.engine.begin() as c:
        c.execute(update(s.outbox).where(s.outbox.c.id == oid).values(
            status="sending", claimed_by=owner,
            claimed_at=None if owner is None else app.clock.now() - age))


def status(app: Any, oid: int) -> str:
    with app.store.engine.connect() as c:
        return str(c.execute(select(s.outbox.c.status).where(s.outbox.c.id == oid))
                   .scalar_one())


def audit_actions(app: Any) -> list[str]:
    with app.store.engine.connect() as c:
        return [a for (a,) in c.execute(select(s.audit_log.c.action).order_by(s.audit_log.c.id))]


def test_rows_of_a_dead_or_stale_daemon_become_in_doubt_and_are_never_resent(
        seeded: Any) -> None:
    app = seeded
    mid = _first_message(app)["id"]
    sender = LogSender()
    alive = {100, 200}  # pids running on host-a
    box = Outbox(app.store, {"email": sender}, owner=ME,
                 in_doubt_after=timedelta(minutes=10), alive=lambda pid: pid in alive)
    rows = {name: box.enqueue(reply(name, mid), draft_id=None, actor="ann")
            for name in ("dead", "busy", "other-host", "mine", "legacy", "same-pid")}
    claim_as(app, rows["dead"], "host-a:300:dead")  # pid 300 no longer runs
    claim_as(app, rows["busy"], "host-a:200:live")  # another daemon, still sending
    claim_as(app, rows["other-host"], "host-b:300:far")  # cannot be checked: only its age
    claim_as(app, rows["mine"], ME)  # this process, a send in another thread
    claim_as(app, rows["legacy"], None)  # claimed before the upgrade
    claim_as(app, rows["same-pid"], "host-a:100:old")  # our pid, another token: gone
    stats = box.drain()
    assert sender.sent == [] and stats.in_doubt == 3
    assert {n: status(app, oid) for n, oid in rows.items()} == {
        "dead": "in_doubt", "busy": "sending", "other-host": "sending", "mine": "sending",
        "legacy": "in_doubt", "same-pid": "in_doubt"}
    app.clock.advance(timedelta(minutes=10))
    assert box.drain().in_doubt == 3  # now every claim is too old
    assert {status(app, oid) for oid in rows.values()} == {"in_doubt"}
    assert box.drain().sent == 0 and sender.sent == []
    assert audit_actions(app).count("send_in_doubt") == 6
    row = box.rows("in_doubt")[-1]
    assert "stopped before it finished" in row["last_error"]


def test_claim_records_owner_and_time(seeded: Any) -> None:
    app = seeded
    mid = _first_message(app)["id"]
    box = Outbox(app.store, {"email": LogSender()}, owner=ME)
    box.enqueue(reply("k", mid), draft_id=None, actor="ann")
    assert box.drain().sent == 1
    row = box.rows()[0]
    assert row["claimed_by"] == ME and row["claimed_at"] is not None


def test_requeue_and_cancel_are_guarded_and_audited(seeded: Any) -> None:
    app = seeded
    mid = _first_message(app)["id"]
    sender = LogSender()
    box = Outbox(app.store, {"email": sender}, owner=ME, alive=lambda pid: False)
    doubt = box.enqueue(reply("doubt", mid), draft_id=None, actor="ann")
    waiting = box.enqueue(reply("waiting", mid), draft_id=None, actor="ann")
    claim_as(app, doubt, "host-a:300:dead")
    with app.store.engine.begin() as c:  # keep "waiting" pending but not due
        c.execute(update(s.outbox).where(s.outbox.c.id == waiting).values(
            next_attempt_at=app.clock.now() + timedelta(hours=1)))
    box.drain()
    assert counts(app.store)["in_doubt"] == 1
    with pytest.raises(OutboxError, match=r"may already have reached the customer.*--yes"):
        requeue(app.store, doubt, "cli:root")
    assert status(app, doubt) == "in_doubt"
    requeue(app.store, doubt, "cli:root", in_doubt_ok=True)
    assert box.drain().sent == 1 and [r.idempotency_key for r in sender.sent] == ["doubt"]
    with pytest.raises(OutboxError, match="is sent; only rows that are in_doubt or failed"):
        requeue(app.store, doubt, "cli:root", in_doubt_ok=True)
    with pytest.raises(OutboxError, match="is sent"):
        cancel(app.store, doubt, "cli:root")
    cancel(app.store, waiting, "cli:root")
    app.clock.advance(timedelta(hours=2))
    assert box.drain().sent == 0 and status(app, waiting) == "cancelled"
    with pytest.raises(NotFound, match="no outbox row 999"):
        requeue(app.store, 999, "cli:root")
    acts = audit_actions(app)
    assert acts.count("requeue_reply") == 1 and acts.count("cancel_reply") == 1
    assert counts(app.store)["cancelled"] == 1 and counts(app.store)["in_doubt"] == 0


# ------------------------------------------------------------------------- SMTP in doubt
class _Dropper(socketserver.StreamRequestHandler):
    """A minimal SMTP server that breaks the connection at a chosen point."""

    mode: ClassVar[str] = "after_data"
    received: ClassVar[list[bytes]] = []

    def handle(self) -> None:
        w = self.wfile.write
        w(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            cmd = line.strip().upper()
            if cmd.startswith((b"EHLO", b"HELO")):
                w(b"250 test\r\n")
            elif cmd.startswith((b"MAIL", b"RCPT")):
                w(b"250 ok\r\n")
            elif cmd == b"DATA":
                w(b"354 go on\r\n")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                self.received.append(data)
                if self.mode == "after_data":
                    self.connection.shutdown(socket.SHUT_RDWR)  # no answer to the data
                    return
                w(b"250 queued\r\n")
            elif cmd == b"QUIT":
                if self.mode == "at_quit":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                w(b"221 bye\r\n")
                return
            else:
                w(b"502 no\r\n")


@pytest.fixture
def dropper() -> Iterator[tuple[type[_Dropper], int]]:
    _Dropper.received = []
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Dropper)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield _Dropper, srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_smtp_connection_lost_after_the_data_is_in_doubt_not_retried(
        seeded: Any, dropper: tuple[type[_Dropper], int]) -> None:
    handler, port = dropper
    sender = SmtpSender(host="127.0.0.1", port=port, tls="none", from_address="s@example.com",
                        timeout=5)
    handler.mode = "after_data"
    with pytest.raises(SendInDoubt, match="may have been delivered"):
        sender.send(reply("k1", 1))
    handler.mode = "at_quit"  # the server accepted; only QUIT broke: that is sent
    assert sender.send(reply("k2", 1)).startswith("<triage.k2@")
    app = seeded
    mid = _first_message(app)["id"]
    handler.mode = "after_data"
    box = Outbox(app.store, {"email": sender}, owner=ME, retry_base=timedelta(seconds=1))
    oid = box.enqueue(reply("k3", mid), draft_id=None, actor="ann")
    assert box.drain().in_doubt == 1 and status(app, oid) == "in_doubt"
    app.clock.advance(timedelta(hours=1))
    assert box.drain().sent == 0 and len(handler.received) == 3  # never retried
    assert "send_in_doubt" in audit_actions(app)


def test_smtp_refusal_of_the_data_is_a_plain_retry(seeded: Any) -> None:
    from tests.test_send import FlakyHandler

    app = seeded
    mid = _first_message(app)["id"]
    box, ctl = _outbox(app, FlakyHandler(fail=1))
    try:
        oid = box.enqueue(reply("k", mid), draft_id=None, actor="ann")
        stats = box.drain()
    finally:
        ctl.stop()
    assert (stats.retried, stats.in_doubt) == (1, 0) and status(app, oid) == "pending"


# ------------------------------------------------------------------ X/Mastodon settle
def test_social_in_doubt_rows_are_settled_by_looking(
        seeded: Any, fake_x: FakeX, fake_mastodon: FakeMastodon) -> None:
    app = seeded
    mid = _first_message(app)["id"]
    fake_x.add_user("201", "ann", "Ann")
    fake_x.mention(1001, "201", "@acme_help where is my order?")
    fake_x.mention(1002, "201", "@acme_help and my invoice?")
    fake_mastodon.add_account("2", "lan", "Lan")
    fake_mastodon.status("500", "2", "<p>@acme help</p>")
    fake_mastodon.status("501", "2", "<p>@acme help again</p>")
    social = build_social_sender(
        Settings(sources=[x_settings(fake_x), m_settings(fake_mastodon)]), ENV)
    box = Outbox(app.store, {"social": social}, owner=ME, alive=lambda pid: False)

    def social_reply(key: str, to: str, source: str, text: str) -> OutgoingReply:
        return reply(key, mid, channel="social", to="@ann", text=text, in_reply_to=to,
                     source=source)

    out = {"x-out": social_reply("x-out", "x:1001", "x", "Sorry, on it."),
           "x-not": social_reply("x-not", "x:1002", "x", "Invoice sent again."),
           "m-out": social_reply("m-out", "mastodon:h:500", "masto", "On it."),
           "m-not": social_reply("m-not", "mastodon:h:501", "masto", "Looking now.")}
    rows = {k: box.enqueue(r, draft_id=None, actor="ann") for k, r in out.items()}
    posted = {k: social.send(out[k]) for k in ("x-out", "m-out")}  # out before the crash
    for oid in rows.values():
        claim_as(app, oid, "host-a:300:dead")
    stats = box.drain()
    assert stats.in_doubt == 4 and stats.resolved == 4 and stats.sent == 2
    assert {k: status(app, oid) for k, oid in rows.items()} == dict.fromkeys(rows, "sent")
    assert len(fake_x.posted) == 2 and len(fake_mastodon.posted) == 2  # each once
    remote = {r["idempotency_key"]: r["remote_id"] for r in box.rows()}
    assert remote["x-out"] == posted["x-out"] and remote["m-out"] == posted["m-out"]
    assert audit_actions(app).count("requeue_reply") == 2


def test_x_in_doubt_row_stays_when_recent_posts_cannot_tell(
        seeded: Any, fake_x: FakeX) -> None:
    app = seeded
    mid = _first_message(app)["id"]
    fake_x.add_user("201", "ann", "Ann")
    for i in range(25):  # more posts after the claim than the lookback of 20
        fake_x.mention(2000 + i, "201", f"@acme_help question {i}")
    social = build_social_sender(Settings(sources=[x_settings(fake_x)]), ENV)
    for i in range(21):
        social.send(reply(f"o{i}", mid, channel="social", text=f"Answer {i}.",
                          in_reply_to=f"x:{2000 + i}", source="x"))
    box = Outbox(app.store, {"social": social}, owner=ME, alive=lambda pid: False)
    oid = box.enqueue(reply("late", mid, channel="social", text="Late answer.",
                            in_reply_to="x:2024", source="x"), draft_id=None, actor="ann")
    claim_as(app, oid, "host-a:300:dead", age=timedelta(seconds=1))
    stats = box.drain()
    assert (stats.in_doubt, stats.resolved) == (1, 0) and status(app, oid) == "in_doubt"
    fake_x.clock.advance(timedelta(hours=1))  # later posts: now the window reaches back
    app.clock.advance(timedelta(hours=1))
    for i in range(21, 25):
        social.send(reply(f"o{i}", mid, channel="social", text=f"Answer {i}.",
                          in_reply_to=f"x:{2000 + i}", source="x"))
    assert box.drain().resolved == 0  # the 20 newest are all after the claim
    assert status(app, oid) == "in_doubt"


# ------------------------------------------------------------- what people see
def test_cli_status_metrics_and_message_page_show_in_doubt(
        seeded: Any, smtp_outbox: Outbox, tmp_path: Path) -> None:
    from triage.cli.main import main
    from triage.web import create_app

    app = seeded
    mid = _first_message(app)["id"]
    oid = smtp_outbox.enqueue(reply("cli", mid), draft_id=None, actor="ann")
    claim_as(app, oid, None)
    smtp_outbox.drain()
    cfg = tmp_path / "cli.toml"
    cfg.write_text(f"data_dir = '{app.settings.data_path}'\n")
    runner = CliRunner()
    listed = runner.invoke(main, ["outbox", "list", "--status", "in_doubt", "--config",
                                  str(cfg)])
    assert listed.exit_code == 0 and f"{oid}\tin_doubt\temail" in listed.output
    assert "before the upgrade" in listed.output
    shown = runner.invoke(main, ["status", "--config", str(cfg)])
    assert "in_doubt 1" in shown.output and "1 reply in doubt" in shown.output
    refused = runner.invoke(main, ["outbox", "requeue", str(oid), "--config", str(cfg)])
    assert refused.exit_code == 1 and "pass --yes" in refused.output
    web = TestClient(create_app(app.web_parts(outbox=smtp_outbox), secret_key="t" * 64))
    login(web, AGENT)
    page = web.get(f"/messages/{mid}").text
    assert "in doubt: sending was interrupted" in page
    from fastapi import FastAPI

    ops = FastAPI()
    ops.include_router(app.ops.router(lambda: True))
    assert 'triage_outbox{status="in_doubt"} 1.0' in TestClient(ops).get("/metrics").text
    done = runner.invoke(main, ["outbox", "cancel", str(oid), "--config", str(cfg)])
    assert done.exit_code == 0 and "cancelled" in done.output
    page = web.get(f"/messages/{mid}").text
    assert "sending was interrupted" not in page and f"#{oid} cancelled" in page


def test_in_doubt_requeue_and_counts_on_postgresql(postgres_url: str, clock: Any) -> None:
    """Migration 0009 and the in-doubt queries work on PostgreSQL too."""
    from triage.store import Ingest, Store

    store = Store.open(postgres_url, clock)
    try:
        store.ensure_source("pg-doubt", "maildir")
        [mid] = store.add_items("pg-doubt", [Ingest("1", b"x", None, error="test row")],
                                     {}, threader=assign_threads)
        sender = LogSender()
        box = Outbox(store, {"email": sender}, owner=ME, alive=lambda pid: False)
        oid = box.enqueue(reply("pg-doubt-1", mid), draft_id=None, actor="ann")
        with store.engine.begin() as c:
            c.execute(update(s.outbox).where(s.outbox.c.id == oid).values(
                status="sending", claimed_by="host-a:300:dead", claimed_at=clock.now()))
        assert box.drain().in_doubt == 1 and sender.sent == []
        assert counts(store)["in_doubt"] == 1
        requeue(store, oid, "cli:root", in_doubt_ok=True)
        assert box.drain().sent == 1 and counts(store)["sent"] >= 1
        assert box.rows("sent")[0]["claimed_by"] == ME
    finally:
        store.close()
