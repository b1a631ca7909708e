"""``triage poll --once`` on an X source whose budget runs out, then ``triage social status``
and ``triage social unpause``: real subprocesses against the local X API server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fixtures_social import OWN_X_ID, FakeX
from triage.clock import FrozenClock

TRIAGE = [sys.executable, "-m", "triage"]


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at the real time: the subprocess runs on the real clock."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "X_BEARER": "app-token"}
    return subprocess.run([*TRIAGE, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=300)


def test_poll_pauses_on_the_budget_and_status_shows_it(tmp_path: Path, model_path: Path,
                                                       fake_x: FakeX) -> None:
    fake_x.add_user("201", "ann", "Ann")
    for i in range(8):
        fake_x.mention(1001 + i, "201", f"@acme_help order {i} is late")
    fake_x.mentions_window.limit = 1
    cfg = tmp_path / "triage.toml"
    cfg.write_text(f"""
data_dir = "data"
[classifier]
model_path = "{model_path}"
[scheduler]
batch_size = 5
[[sources]]
name = "x"
type = "x"
user_id = "{OWN_X_ID}"
api_base_url = "{fake_x.base_url}"
bearer_token_env = "X_BEARER"
page_size = 5
""", encoding="utf-8")
    r = run(["poll", "--once", "--config", str(cfg)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "paused until" in r.stderr and "x: fetched" in r.stderr
    assert fake_x.count("GET", "/mentions") == 1 and fake_x.served_429 == 0
    r = run(["social", "status", "--config", str(cfg)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("x (x): paused until ")
    r = run(["social", "status", "--json", "--config", str(cfg)], tmp_path)
    state = json.loads(r.stdout)
    assert state["paused"] is True and state["cursor"]["pending"]["token"].startswith("t1004-")
    r = run(["social", "unpause", "x", "--config", str(cfg)], tmp_path)
    assert r.returncode == 0 and "pause lifted" in r.stdout
    r = run(["social", "status", "--json", "--config", str(cfg)], tmp_path)
    assert json.loads(r.stdout)["paused"] is False
    r = run(["social", "unpause", "nope", "--config", str(cfg)], tmp_path)
    assert r.returncode == 2 and "no source named 'nope'" in r.stderr
