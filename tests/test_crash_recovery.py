"""Killing the daemon mid-batch and starting it again loses and doubles nothing."""

from __future__ import annotations

import mailbox
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_email

N = 400


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as c:
            return int(c.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def _wait_for(cond, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def workdir(tmp_path: Path, model_path: Path) -> Path:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    bodies = ["The app crashes when I open settings.", "Where is my refund? Three weeks now!",
              "How do I change my billing address?", "Please add an export to CSV button."]
    for i in range(N):
        box.add(make_email(msgid=f"<k{i}@example.net>", sender=f"c{i}@example.net",
                           body=f"{bodies[i % 4]} (case {i})"))
    box.close()
    (tmp_path / "triage.toml").write_text(
        "data_dir = 'data'\n"
        f"[classifier]\nmodel_path = '{model_path}'\n"
        "[scheduler]\nbatch_size = 10\n"
        "[[sources]]\nname = 'inbox'\ntype = 'maildir'\npath = 'Maildir'\npoll_interval = '1s'\n")
    return tmp_path


def _start(workdir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "triage", *args, "--config",
                             str(workdir / "triage.toml")], cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _assert_exactly_once(db: Path) -> None:
    assert _count(db, "select count(*) from messages") == N
    assert _count(db, "select count(distinct external_id) from messages") == N
    assert _count(db, "select count(*) from messages where status='processed'") == N
    assert _count(db, "select count(*) from classifications") == N
    assert _count(db, "select count(*) from deadlines") == N
    assert _count(db, "select count(*) from drafts") == N


def test_kill_9_mid_batch_then_restart(workdir: Path) -> None:
    db = workdir / "data" / "triage.db"
    for round_ in range(3):
        proc = _start(workdir, "poll", "--once")
        target = (round_ + 1) * N // 5
        _wait_for(lambda p=proc, t=target: _count(
            db, "select count(*) from messages where status='processed'") >= t
            or p.poll() is not None)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    done = _count(db, "select count(*) from messages where status='processed'")
    assert 0 < done < N, "the kill should have landed mid-run"
    proc = _start(workdir, "poll", "--once")
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode() if proc.stderr else ""
    _assert_exactly_once(db)


def test_sigterm_stops_daemon_cleanly_and_restart_finishes(workdir: Path) -> None:
    db = workdir / "data" / "triage.db"
    proc = _start(workdir, "run")
    _wait_for(lambda: _count(db, "select count(*) from messages where status='processed'") > 0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert "daemon stopped" in err
    proc = _start(workdir, "poll", "--once")
    assert proc.wait(timeout=300) == 0
    _assert_exactly_once(db)
    assert os.path.exists(db)
