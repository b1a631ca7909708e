"""`triage report`: response times, deadlines kept, breaches, volume, backlog, agents; table,
CSV, JSON and PNG charts, from a real store filled by the pipeline."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import add_to_maildir
from tests.test_deadlines import mail
from triage.cli.main import main
from triage.clock import FrozenClock
from triage.config import load_settings
from triage.daemon import Daemon
from triage.deadlines.report import build_report
from triage.services import App

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BODIES = ["The app crashes with error 500 when I log in.",
          "Please add a dark mode to the app, it would help.",
          "Can you send me the invoice for order 55?",
          "Ứng dụng bị lỗi khi đăng nhập, không vào được."]


@pytest.fixture
def filled(tmp_path: Path, model_path: Path, maildir: Path) -> Path:
    cfg = tmp_path / "triage.toml"
    cfg.write_text(f"data_dir = '{tmp_path / 'data'}'\n[classifier]\nmodel_path = "
                   f"'{model_path}'\n[[sources]]\nname = 'inbox'\ntype = 'maildir'\n"
                   f"path = '{maildir}'\n", encoding="utf-8")
    clock = FrozenClock(T0)
    app = App(load_settings(cfg, {}), clock=clock, environ={})
    for i, body in enumerate(BODIES):
        add_to_maildir(maildir, mail(T0, f"<c{i}@x>", body=body, subject=f"Case {i}",
                                     sender=f"customer{i}@example.com"))
    clock.set(T0 + timedelta(minutes=1))
    Daemon(app).poll_all()
    # agents answer from their mail client: after 1 h, 2 h and 30 h (late); case 3 waits
    for i, (hours, agent) in enumerate([(1, "Linh"), (2, "Minh"), (30, "Linh")]):
        add_to_maildir(maildir, mail(T0 + timedelta(hours=hours), f"<a{i}@x>",
                                     body="We are on it.", subject=f"Re: Case {i}",
                                     sender=f"{agent} <support@example.com>",
                                     In_Reply_To=f"<c{i}@x>", References=f"<c{i}@x>"))
    clock.set(T0 + timedelta(hours=31))
    Daemon(app).poll_all()
    assert Daemon(app).sweep_deadlines().get("met") == 3
    app.store.close()
    return cfg


def test_report_numbers(filled: Path) -> None:
    app = App(load_settings(filled, {}), environ={})
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=3)
    rep = build_report(app.sweeper.dstore.report_rows(since, until), since, until,
                       now=T0 + timedelta(days=3))
    assert rep["messages"] == 4
    assert rep["first_response"] == {"count": 3, "median_hours": 2.0, "p90_hours": 24.4}
    assert rep["deadlines"] == {"decided": 4, "kept": 2, "breached": 2, "open": 0,
                                "share_within_deadline": 0.5}
    assert rep["volume"]["channel"] == {"email": 4}
    assert rep["volume"]["language"]["vi"] == 1 and sum(rep["volume"]["language"].values()) == 4
    assert sum(rep["volume"]["category"].values()) == 4
    assert rep["backlog"]["inflow"] == 4 and rep["backlog"]["outflow"] == 3
    assert rep["backlog"]["open_at_end"] == 1
    assert rep["backlog"]["by_day"] == [
        {"day": "2026-11-20", "inflow": 4, "outflow": 2},
        {"day": "2026-11-21", "inflow": 0, "outflow": 1}]
    assert rep["agents"]["Linh"] == {"replies": 2, "median_hours": 15.5, "p90_hours": 27.1}
    assert rep["agents"]["Minh"]["replies"] == 1
    # halfway through: only case 0 and 1 answered, nothing due yet
    mid = T0 + timedelta(hours=3)
    rep2 = build_report(app.sweeper.dstore.report_rows(since, until), since, until, now=mid)
    assert rep2["deadlines"]["decided"] == 3 and rep2["deadlines"]["open"] == 1
    app.store.close()


def test_report_cli_formats_and_charts(filled: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["report", "--config", str(filled), "--since", "2026-11-19", "--until",
            "2026-11-23T00:00"]
    r = runner.invoke(main, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["messages"] == 4 and data["first_response"]["median_hours"] == 2.0
    r = runner.invoke(main, [*args, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {"section": "volume_channel", "key": "email", "metric": "messages",
            "value": "4"} in rows
    assert {"section": "agent", "key": "Minh", "metric": "replies", "value": "1"} in rows
    charts = tmp_path / "charts"
    r = runner.invoke(main, [*args, "--charts", str(charts)])
    assert r.exit_code == 0, r.output
    assert "[first_response]" in r.stdout and "median_hours" in r.stdout
    pngs = sorted(p.name for p in charts.iterdir())
    assert pngs == ["backlog.png", "first_response.png", "volume.png"]
    assert all((charts / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_report_rejects_bad_dates(filled: Path) -> None:
    r = CliRunner().invoke(main, ["report", "--config", str(filled), "--since", "last tuesday"])
    assert r.exit_code == 2 and "2026-11-01" in r.output and "--since" in r.output


def test_deadlines_commands(filled: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["deadlines", "sweep", "--config", str(filled)])
    assert r.exit_code == 0, r.output
    assert isinstance(json.loads(r.stdout), dict)
    r = runner.invoke(main, ["deadlines", "resolve", "1", "--config", str(filled)])
    assert r.exit_code == 0 and "no open resolution deadline" in r.stdout
    r = runner.invoke(main, ["deadlines", "resolve", "999", "--config", str(filled)])
    assert r.exit_code == 1 and "message 999 does not exist" in r.output
