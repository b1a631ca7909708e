"""The store aggregates of #18 on SQLite and PostgreSQL: sessions, failed sign-ins, the audit
log's reads and the client address, the processing lag, accounts' disable and second factor."""

from __future__ import annotations

from datetime import timedelta

from triage.clock import FrozenClock
from triage.store import Store
from triage.store.audit_log import AuditFilter, acting_client
from triage.store.ops_reads import OpsReads

IDLE, ABSOLUTE = timedelta(hours=1), timedelta(hours=8)


def test_sessions_live_idle_absolute_and_ended(any_store: Store, clock: FrozenClock) -> None:
    ws = any_store.web_sessions
    a, b = ws.start("ann", "198.51.100.7"), ws.start("ann", "198.51.100.8")
    c = ws.start("bo", "::1")
    assert a != b and len(a) >= 40
    assert ws.user(a, IDLE, ABSOLUTE) == "ann" and ws.user("nope", IDLE, ABSOLUTE) is None
    assert ws.live_counts(IDLE, ABSOLUTE) == {"ann": 2, "bo": 1}
    assert ws.end(a, "logout") and not ws.end(a, "logout")
    assert ws.user(a, IDLE, ABSOLUTE) is None
    assert ws.end_user("ann", "signed_out") == 1 and ws.user(b, IDLE, ABSOLUTE) is None
    clock.advance(IDLE)
    assert ws.user(c, IDLE, ABSOLUTE) is None  # idle: ended for good
    d = ws.start("bo", "")
    seen = []
    for _ in range(16):  # used every half hour: alive until 8 h after the sign-in
        clock.advance(IDLE / 2)
        seen.append(ws.user(d, IDLE, ABSOLUTE))
    assert seen[:15] == ["bo"] * 15 and seen[15] is None
    e = ws.start("cy", "")
    assert ws.end_all("signed_out") == 1 and ws.user(e, IDLE, ABSOLUTE) is None


def test_login_failures_counted_per_key_and_window(any_store: Store,
                                                   clock: FrozenClock) -> None:
    lf = any_store.login_failures
    window = timedelta(minutes=15)
    lf.add(["user:ann", "ip:1.2.3.4"], before=clock.now() - window)
    clock.advance(timedelta(minutes=1))
    lf.add(["user:ann", "ip:5.6.7.8"], before=clock.now() - window)
    counts = lf.counts(["user:ann", "ip:1.2.3.4", "ip:9.9.9.9"], clock.now() - window)
    assert {k: n for k, (n, _) in counts.items()} == {"user:ann": 2, "ip:1.2.3.4": 1}
    assert counts["user:ann"][1] == clock.now() - timedelta(minutes=1)
    lf.clear(["user:ann"])
    assert "user:ann" not in lf.counts(["user:ann"], clock.now() - window)
    clock.advance(window)
    assert lf.counts(["ip:1.2.3.4", "ip:5.6.7.8"], clock.now() - window) == {}


def test_audit_reads_and_the_acting_client(any_store: Store, clock: FrozenClock) -> None:
    any_store.audit("cli", "user_set", None, {"user": "ann"})
    token = acting_client.set("203.0.113.5")
    try:
        clock.advance(timedelta(minutes=1))
        any_store.audit("ann", "login")
    finally:
        acting_client.reset(token)
    reads = any_store.audit_log
    lines = reads.page(AuditFilter())
    assert [(x["actor"], x["action"], x["client"]) for x in lines] == [
        ("ann", "login", "203.0.113.5"), ("cli", "user_set", None)]
    assert lines[1]["detail"] == {"user": "ann"}
    assert [x["action"] for x in reads.page(AuditFilter(actor="cli"))] == ["user_set"]
    assert reads.page(AuditFilter(since=clock.now())) == [lines[0]]
    assert list(reads.all(AuditFilter(), chunk=1)) == lines
    assert reads.actions() == ["login", "user_set"]


def test_accounts_disable_and_second_factor(any_store: Store) -> None:
    acc = any_store.accounts
    acc.set_user("ann", "h", "admin")
    assert acc.totp_secret("ann") is None
    assert acc.set_totp_secret("ann", "JBSWY3DPEHPK3PXP") and not acc.set_totp_secret("x", "y")
    assert acc.totp_secret("ann") == "JBSWY3DPEHPK3PXP"
    assert acc.disable("ann") and not acc.disable("ann") and acc.user("ann") is None
    assert acc.totp_secret("ann") is None  # a disabled account has no usable factor


def test_processing_lag_on_an_empty_store(any_store: Store) -> None:
    assert OpsReads(any_store.engine, any_store.clock).oldest_waiting() is None
