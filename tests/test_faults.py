"""Faults with real processes: kill -9 at random points, three daemons on PostgreSQL with
fifty mailboxes (one killed, its mailboxes taken over), PostgreSQL stopped and started under
a running daemon, and a full disk for the store.

Extends ``test_crash_recovery.py`` (SQLite, two kills at chosen points) with random points
and the multi-daemon cases.
"""

from __future__ import annotations

import mailbox
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import make_email
from tests.fixtures_ops import PgServer

pytestmark = pytest.mark.slow

BODIES = ["The app crashes when I open settings.", "Where is my refund? Three weeks now!",
          "How do I change my billing address?", "Please add an export to CSV button."]


def wait_for(cond: Callable[[], bool], timeout: float = 180.0, what: str = "") -> None:
    """Wait (bounded) until ``cond()`` holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"not reached in {timeout:.0f}s: {what}")


def fill(box_path: Path, n: int, tag: str) -> None:
    box = mailbox.Maildir(str(box_path), create=True)
    for i in range(n):
        box.add(make_email(msgid=f"<{tag}-{i}@example.net>", sender=f"{tag}-{i}@example.net",
                           subject=f"Case {tag}-{i}", body=f"{BODIES[i % 4]} ({tag}-{i})"))
    box.close()


def start(cfg: Path, *args: str, limit_fsize: int | None = None) -> subprocess.Popen:
    def limits() -> None:
        if limit_fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of dying
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_fsize, limit_fsize))

    log = open(cfg.parent / f"{cfg.stem}.log", "ab")  # noqa: SIM115  (owned by the child)
    return subprocess.Popen([sys.executable, "-c", "from triage.cli.main import main; main()",
                             *args, "--config", str(cfg)], cwd=cfg.parent,
                            stdout=log, stderr=log, preexec_fn=limits)


def log_of(cfg: Path) -> str:
    p = cfg.parent / f"{cfg.stem}.log"
    return p.read_text(errors="replace") if p.exists() else ""


class Db:
    """Counting queries against the store, tolerant of it not existing yet."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_pre_ping=True)

    def n(self, sql: str) -> int:
        try:
            with self.engine.connect() as c:
                return int(c.execute(text(sql)).scalar() or 0)
        except Exception:
            return -1

    def assert_exactly_once(self, total: int) -> None:
        assert self.n("select count(*) from messages") == total
        assert self.n("select count(distinct external_id || source) from messages") == total
        assert self.n("select count(*) from messages where status='processed'") == total
        for table in ("classifications", "deadlines", "drafts"):
            assert self.n(f"select count(*) from {table}") == total, table
            assert self.n(f"select count(distinct message_id) from {table}") == total, table


@pytest.fixture
def sqlite_workdir(tmp_path: Path, model_path: Path) -> Path:
    fill(tmp_path / "Maildir", 240, "k")
    (tmp_path / "d.toml").write_text(
        "data_dir = 'data'\n"
        f"[classifier]\nmodel_path = '{model_path}'\n"
        "[scheduler]\nbatch_size = 7\njitter = '0s'\n"
        "[[sources]]\nname = 'inbox'\ntype = 'maildir'\npath = 'Maildir'\npoll_interval = '1s'\n")
    return tmp_path


def test_kill_9_at_random_points_loses_and_doubles_nothing(sqlite_workdir: Path) -> None:
    cfg = sqlite_workdir / "d.toml"
    db = Db(f"sqlite:///{sqlite_workdir / 'data' / 'triage.db'}")
    rng = random.Random(int(os.environ.get("TRIAGE_FAULT_SEED", "9")))
    total, kills = 240, 0
    for _ in range(5):
        stored = db.n("select count(*) from messages")
        processed = db.n("select count(*) from messages where status='processed'")
        if processed >= total:
            break
        proc = start(cfg, "run")
        # a random point: some messages stored or processed beyond where we started
        if rng.random() < 0.5:
            target = ("select count(*) from messages", stored + rng.randint(1, 15))
        else:
            target = ("select count(*) from messages where status='processed'",
                      processed + rng.randint(1, 15))
        wait_for(lambda t=target, p=proc: db.n(t[0]) >= t[1] or p.poll() is not None,
                 what="progress")
        time.sleep(rng.random() * 0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if db.n("select count(*) from messages where status='processed'") < total:
            kills += 1  # the kill landed while work remained
    assert kills >= 3, "the kills should land mid-run"
    proc = start(cfg, "poll", "--once")
    assert proc.wait(timeout=300) == 0, log_of(cfg)[-3000:]
    db.assert_exactly_once(total)
    with sqlite3.connect(sqlite_workdir / "data" / "triage.db") as c:
        assert c.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_disk_full_for_the_store_is_a_clear_error_without_corruption(
        sqlite_workdir: Path) -> None:
    cfg = sqlite_workdir / "d.toml"
    db_path = sqlite_workdir / "data" / "triage.db"
    proc = start(cfg, "poll", "--once", limit_fsize=1_000_000)
    code = proc.wait(timeout=300)
    out = log_of(cfg)
    assert code == 1, out[-3000:]
    assert ("disk I/O error" in out or "disk is full" in out) and "Traceback" not in out
    assert "fix: free space on the disk holding the store" in out
    stored_before = Db(f"sqlite:///{db_path}").n("select count(*) from messages")
    assert 0 < stored_before < 240
    with sqlite3.connect(db_path) as c:
        assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
    # space again: the next run picks up where the full disk stopped it
    proc = start(cfg, "poll", "--once")
    assert proc.wait(timeout=300) == 0, log_of(cfg)[-3000:]
    Db(f"sqlite:///{db_path}").assert_exactly_once(240)


# ----------------------------------------------------------------- PostgreSQL, many daemons
def pg_config(path: Path, url: str, model_path: Path, instance: str, boxes: list[Path],
              ttl: str = "3s") -> Path:
    lines = [f"data_dir = 'data-{instance}'",
             f"[store]\nurl = '{url}'",
             f"[classifier]\nmodel_path = '{model_path}'",
             "[scheduler]\nbatch_size = 20\njitter = '0s'\nsweep_interval = '2s'\n"
             "[scheduler.retry]\nbase = '1s'\nmax = '2s'",
             f"[ops]\ninstance = '{instance}'\nlease_ttl = '{ttl}'\nclaim_ttl = '{ttl}'"]
    for b in boxes:
        lines.append(f"[[sources]]\nname = '{b.name}'\ntype = 'maildir'\npath = '{b}'\n"
                     "poll_interval = '1s'")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def daemons() -> Iterator[list[subprocess.Popen]]:
    procs: list[subprocess.Popen] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=30)


def test_three_daemons_fifty_mailboxes_exactly_once_and_takeover(
        tmp_path: Path, model_path: Path, pg_url: str,
        daemons: list[subprocess.Popen]) -> None:
    boxes = [tmp_path / f"box{i:02d}" for i in range(50)]
    for i, b in enumerate(boxes):
        fill(b, 6, f"b{i}")
    total = 50 * 6
    cfgs = [pg_config(tmp_path / f"d{n}.toml", pg_url, model_path, f"host{n}", boxes)
            for n in range(3)]
    db = Db(pg_url)
    for cfg in cfgs:
        daemons.append(start(cfg, "run"))
    wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= total,
             what="all messages processed by three daemons")
    db.assert_exactly_once(total)
    # every mailbox has exactly one daemon (one snapshot: leases may move between queries)
    with db.engine.connect() as c:
        owners = [r[0] for r in c.execute(text("select lease_owner from sources"))]
    assert len(owners) == 50 and all(o and o.split(":")[0] in ("host0", "host1", "host2")
                                     for o in owners), owners
    # kill host0; its mailboxes get new mail; the others take them over after the lease TTL
    owned = [r[0] for r in db.engine.connect().execute(
        text("select name from sources where lease_owner like 'host0:%'"))]
    daemons[0].send_signal(signal.SIGKILL)
    daemons[0].wait(timeout=30)
    targets = [b for b in boxes if b.name in owned] or boxes[:5]
    for b in targets:
        fill(b, 3, f"late-{b.name}")
    total += 3 * len(targets)
    wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= total,
             what="mail of the killed daemon's mailboxes processed")
    db.assert_exactly_once(total)
    names = ",".join(f"'{b.name}'" for b in targets)
    assert db.n(f"select count(*) from sources where name in ({names}) and "
                "lease_owner like 'host0:%'") == 0
    assert db.n("select count(*) from job_leases where name='sweep'") == 1
    for d in daemons[1:]:
        assert d.poll() is None, "a surviving daemon died"


def test_database_briefly_unreachable_daemon_keeps_running_and_catches_up(
        tmp_path: Path, model_path: Path, daemons: list[subprocess.Popen]) -> None:
    server = PgServer()
    server.start()
    try:
        url = server.create_db()
        box = tmp_path / "box"
        fill(box, 40, "before")
        cfg = pg_config(tmp_path / "d.toml", url, model_path, "solo", [box])
        db = Db(url)
        daemons.append(start(cfg, "run"))
        wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= 40,
                 what="first batch processed")
        server.stop()
        fill(box, 40, "during")
        time.sleep(4)  # several poll intervals against a dead database
        assert daemons[0].poll() is None, log_of(cfg)[-3000:]
        server.start()
        wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= 80,
                 what="catch-up after the database came back")
        db.assert_exactly_once(80)
        assert daemons[0].poll() is None
        assert "failed" in log_of(cfg)  # the outage was logged, not hidden
        db.engine.dispose()
    finally:
        for d in daemons:
            d.kill()
            d.wait(timeout=30)
        server.destroy()


def test_claims_of_a_dead_daemon_are_taken_over_on_a_quiet_mailbox(
        tmp_path: Path, model_path: Path, pg_url: str,
        daemons: list[subprocess.Popen]) -> None:
    """A daemon that died holding claims (here: a remote one, so no pid check can tell) leaves
    messages waiting; the others take them over after ``claim_ttl`` without new mail."""
    from datetime import timedelta

    from triage.config import load_settings
    from triage.models import FetchResult, RawItem
    from triage.services import App
    from triage.store.ownership import Owner

    quiet = tmp_path / "quiet"
    fill(quiet, 2, "q")
    cfgs = [pg_config(tmp_path / f"d{n}.toml", pg_url, model_path, f"host{n}", [quiet])
            for n in range(2)]
    # all daemons start at once on the empty database: the schema is created once, under a lock
    for cfg in cfgs:
        daemons.append(start(cfg, "run"))
    db = Db(pg_url)
    wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= 2,
             what="the quiet mailbox processed")
    assert all(d.poll() is None for d in daemons), [log_of(c)[-2000:] for c in cfgs]
    # a daemon on another machine stored 20 messages and claimed them, then died
    ghost = App(load_settings(pg_config(tmp_path / "ghost.toml", pg_url, model_path, "ghost",
                                        [])))
    ghost.store.ensure_source("elsewhere", "maildir")
    items = [RawItem(f"g{i}", make_email(msgid=f"<g{i}@example.net>", subject=f"Ghost {i}",
                                         body=BODIES[i % 4]), None)
             for i in range(20)]
    ghost.pipeline.ingest("elsewhere", "email", FetchResult(items, {}))
    claimed = ghost.store.claims(Owner("ghost-host", 4_000_000, "dead"),
                                 timedelta(seconds=3)).claim(100)
    assert len(claimed) == 20
    assert db.n("select count(*) from messages where status='new'") == 20
    assert db.n("select count(*) from message_claims where owner like 'ghost-host:%'") == 20
    # no new mail anywhere: the living daemons take the expired claims over by themselves
    wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= 22,
             timeout=120, what="the dead daemon's claimed messages processed")
    db.assert_exactly_once(22)
    # the flips recorded the living holders and deleted the claims
    assert db.n("select count(*) from messages where claim_owner like 'ghost-host:%'") == 0
    assert db.n("select count(*) from messages where claim_owner is null") == 0
    assert db.n("select count(*) from message_claims") == 0
    assert all(d.poll() is None for d in daemons)
    ghost.store.engine.dispose()
