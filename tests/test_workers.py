"""Worker processes (``[scheduler] workers``) with a real daemon: every message processed
exactly once, by the workers and the polling process helping them after its poll (the parse
processes beside them parse, the daemon stores), and nothing lost when a worker is killed with
SIGKILL mid-run.

The processes are real (``triage run``, its spawned workers), the store is real (SQLite and
PostgreSQL); the assertions are on the store, never on timing.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import add_to_maildir, make_email
from tests.test_faults import Db, fill, log_of, start, wait_for
from triage.daemon import Daemon
from triage.services import App
from triage.workers import _main, worker_count

pytestmark = pytest.mark.slow


def config(path: Path, model_path: Path, url: str, workers: int, ttl: str = "5m") -> Path:
    """A daemon on one Maildir with ``workers`` worker processes."""
    path.write_text(
        "data_dir = 'data'\n"
        f"[store]\nurl = '{url}'\n"
        f"[classifier]\nmodel_path = '{model_path}'\n"
        f"[scheduler]\nbatch_size = 7\njitter = '0s'\nworkers = {workers}\n"
        f"[ops]\nclaim_ttl = '{ttl}'\nlease_ttl = '{ttl}'\n"
        "[[sources]]\nname = 'inbox'\ntype = 'maildir'\npath = 'Maildir'\n"
        "poll_interval = '1s'\n")
    return path


def parse_pids(cfg: Path) -> set[int]:
    """The parse processes the daemon started (it logs them)."""
    found = re.findall(r"started \d+ parse process\(es\): ([\d, ]+)", log_of(cfg))
    return {int(p) for line in found for p in line.split(",") if p.strip()}


def children(daemon: int) -> list[int]:
    """Every process the daemon spawned (workers and parse processes, not multiprocessing's
    resource tracker)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == daemon and b"spawn_main" in cmd:
            out.append(int(entry.name))
    return sorted(out)


def worker_pids(daemon: int, cfg: Path) -> list[int]:
    """The worker processes of the daemon (its children but the parse processes)."""
    return sorted(set(children(daemon)) - parse_pids(cfg))


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def processed_by(db: Db) -> set[int]:
    """The process ids that claimed (and so processed) the processed messages."""
    with db.engine.connect() as c:
        owners = [r[0] for r in c.execute(text(
            "select distinct claim_owner from messages where status = 'processed'"))]
    return {int(o.split(":")[1]) for o in owners if o}


@pytest.fixture
def procs() -> list[subprocess.Popen]:
    running: list[subprocess.Popen] = []
    yield running
    for p in running:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=30)


def test_worker_count() -> None:
    assert worker_count("auto", cpus=2) == 1
    assert worker_count("auto", cpus=1) == 0
    assert worker_count("auto", cpus=8) == 7
    assert worker_count(3, cpus=2) == 3
    assert worker_count(0) == 0


def test_workers_process_every_message_exactly_once(
        tmp_path: Path, model_path: Path, procs: list[subprocess.Popen]) -> None:
    total = 150
    fill(tmp_path / "Maildir", total, "w")
    url = f"sqlite:///{tmp_path / 'data' / 'triage.db'}"
    cfg = config(tmp_path / "d.toml", model_path, url, workers=2)
    db = Db(url)
    daemon = start(cfg, "run")
    procs.append(daemon)
    wait_for(lambda: len(parse_pids(cfg)) == 2 or daemon.poll() is not None,
             what="two parse processes started")
    wait_for(lambda: len(worker_pids(daemon.pid, cfg)) == 2 or daemon.poll() is not None,
             what="two workers started")
    workers = worker_pids(daemon.pid, cfg)
    parsers = sorted(parse_pids(cfg))
    assert set(parsers) <= set(children(daemon.pid)), (parsers, children(daemon.pid))
    wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= total
             or daemon.poll() is not None, what="all messages processed")
    assert daemon.poll() is None, log_of(cfg)[-3000:]
    db.assert_exactly_once(total)
    # the workers did the processing, and the polling process helped after its poll (which
    # did how much depends on when the workers had loaded the model); the parse processes
    # never process
    by = processed_by(db)
    assert by and by <= {*workers, daemon.pid}, (by, workers, daemon.pid)
    # idle: every process stays under 200 MB
    for pid in [daemon.pid, *workers, *parsers]:
        assert rss_mb(pid) < 200, (pid, rss_mb(pid))
    # SIGTERM stops the daemon and its workers
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0, log_of(cfg)[-3000:]
    for pid in [*workers, *parsers]:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(
            f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0], pid


def test_a_worker_killed_mid_run_loses_nothing(
        tmp_path: Path, model_path: Path, pg_url: str,
        procs: list[subprocess.Popen]) -> None:
    total = 1500  # the kill must land mid-run; on a fast tree 400 were all done first
    fill(tmp_path / "Maildir", total, "k")
    cfg = config(tmp_path / "d.toml", model_path, pg_url, workers=2, ttl="3s")
    db = Db(pg_url)
    daemon = start(cfg, "run")
    procs.append(daemon)
    wait_for(lambda: len(parse_pids(cfg)) == 2 or daemon.poll() is not None,
             what="two parse processes started")
    wait_for(lambda: len(worker_pids(daemon.pid, cfg)) == 2 or daemon.poll() is not None,
             what="two workers started")
    victim = worker_pids(daemon.pid, cfg)[0]
    # mid-run: the victim has claimed a batch, and messages are still waiting
    wait_for(lambda: db.n("select count(*) from message_claims c join messages m on "
                          "m.id = c.message_id where m.status='new' and "
                          f"c.owner like '%:{victim}:%'") > 0
             or db.n("select count(*) from messages where status='processed'") >= total,
             what="the victim holds a claim")
    os.kill(victim, signal.SIGKILL)
    assert db.n("select count(*) from messages where status='processed'") < total, \
        "the kill should land mid-run"
    wait_for(lambda: db.n("select count(*) from messages where status='processed'") >= total
             or daemon.poll() is not None, what="all messages processed after the kill")
    assert daemon.poll() is None, log_of(cfg)[-3000:]
    db.assert_exactly_once(total)
    # the dead worker was replaced
    wait_for(lambda: len(worker_pids(daemon.pid, cfg)) == 2, what="the dead worker replaced")
    assert victim not in worker_pids(daemon.pid, cfg)
    assert f"worker {victim} exited" in log_of(cfg)
    db.engine.dispose()


def test_an_idle_worker_is_woken_by_a_stored_batch_and_by_sigterm(
        app: App, maildir: Path) -> None:
    """With an idle wait of an hour, only the wake-up can get the worker to the batches the
    poll stores after it went idle, and to SIGTERM."""
    ctx = multiprocessing.get_context("spawn")
    wake = ctx.Event()
    worker = ctx.Process(target=_main, daemon=True, args=(
        app.settings, {}, None, os.getpid(), logging.WARNING, wake, 3600.0))
    worker.start()
    try:
        app.pipeline.process_after_ingest = False  # as Daemon.start_workers sets it
        app.pipeline.after_store = wake.set
        source = Daemon(app).sources()[0]
        for n in range(1, 4):
            add_to_maildir(maildir, make_email(subject=f"Order {n} late",
                                               msgid=f"<wake{n}@example.com>"))
            assert app.pipeline.poll(source).stored == 1
            wait_for(lambda n=n: app.store.counts().get("processed", 0) == n
                     or not worker.is_alive(), timeout=300, what=f"message {n} processed")
            assert worker.is_alive()
        with app.store.engine.connect() as c:
            owners = {r[0] for r in c.execute(text("select claim_owner from messages"))}
        assert {int(o.split(":")[1]) for o in owners} == {worker.pid}  # the worker did it
        worker.terminate()  # SIGTERM while it waits, then the wake-up, as WorkerPool.stop
        wake.set()
        worker.join(120)
        assert worker.exitcode == 0
    finally:
        if worker.is_alive():
            worker.kill()
