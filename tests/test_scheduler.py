"""The daemon's schedule: backoff for a broken source, the others go on."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from tests.conftest import add_to_maildir, make_email
from triage.backoff import backoff_delay
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.scheduler import Scheduler
from triage.services import App


def test_backoff_doubles_and_is_capped() -> None:
    base, cap = timedelta(seconds=30), timedelta(minutes=30)
    no_jitter = lambda: 0.0  # noqa: E731
    assert [backoff_delay(n, base, cap, no_jitter).total_seconds() for n in range(0, 8)] == [
        0, 30, 60, 120, 240, 480, 960, 1800]
    assert backoff_delay(50, base, cap, no_jitter) == cap
    assert backoff_delay(1, base, cap, lambda: 1.0).total_seconds() == 36


def _two_source_app(tmp_path: Path, maildir: Path, model_path: Path, clock) -> App:  # type: ignore[no-untyped-def]
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path)},
        "sources": [
            {"name": "broken", "type": "maildir", "path": str(tmp_path / "missing")},
            {"name": "good", "type": "maildir", "path": str(maildir)},
        ],
    })
    return App(settings, clock=clock, environ={})


def test_broken_source_does_not_stop_the_others(tmp_path: Path, maildir: Path,
                                                 model_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    add_to_maildir(maildir, make_email())
    app = _two_source_app(tmp_path, maildir, model_path, clock)
    res = Daemon(app).poll_all()
    assert isinstance(res["broken"], str) and "not a Maildir" in res["broken"]
    assert res["good"].processed == 1  # type: ignore[union-attr]
    rows = {r["name"]: r for r in app.store.source_rows()}
    assert rows["broken"]["failures"] == 1 and "not a Maildir" in rows["broken"]["last_error"]
    assert rows["good"]["failures"] == 0 and rows["good"]["last_success_at"] is not None
    Daemon(app).poll_all()
    assert {r["name"]: r for r in app.store.source_rows()}["broken"]["failures"] == 2


class RecordingDaemon(Scheduler):
    """A Daemon whose delays are recorded instead of applied to a running scheduler."""

    def __init__(self) -> None:
        super().__init__(threading.Event())
        self.delays: list[tuple[str, timedelta]] = []

    def delay(self, job_id: str, by: timedelta) -> None:
        self.delays.append((job_id, by))


def test_failing_job_is_delayed_with_growing_backoff(tmp_path: Path, maildir: Path,
                                                      model_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    app = _two_source_app(tmp_path, maildir, model_path, clock)
    daemon = RecordingDaemon()
    broken = Daemon(app).sources()[0]
    job = Daemon(app).poll_job(daemon, "poll:broken", broken)
    for _ in range(3):
        job()  # must not raise: the daemon keeps running
    waits = [d.total_seconds() for _, d in daemon.delays]
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]
    assert 30 <= waits[0] <= 36 and 120 <= waits[2] <= 144


def test_daemon_runs_jobs_and_stops_on_event() -> None:
    stop = threading.Event()
    ran = threading.Event()
    d = Scheduler(stop)
    d.add_interval("job", lambda: (ran.set(), stop.set()), timedelta(seconds=60))
    t = threading.Thread(target=d.run_forever)
    t.start()
    t.join(timeout=30)
    assert ran.is_set() and not t.is_alive()
    assert d.scheduler.state == 0  # STATE_STOPPED


def test_overrun_warnings_of_apscheduler_are_demoted(caplog) -> None:  # type: ignore[no-untyped-def]
    """A poll outlasting its interval is normal (jobs never overlap): not a WARNING line."""
    import logging

    from triage.scheduler import Scheduler

    Scheduler(threading.Event())
    caplog.set_level(logging.INFO)
    sched_log = logging.getLogger("apscheduler.scheduler")
    sched_log.warning("Execution of job %s skipped: maximum number of running instances "
                      "reached (%d)", "poll:support", 1)
    logging.getLogger("apscheduler.executors.default").warning(
        'Run time of job "poll:support" was missed by 0:00:03')
    sched_log.warning("something else went wrong")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "something else went wrong"]
