"""`triage report`: response times, deadlines kept, breaches, volume, backlog, agents; table,
CSV, JSON and PNG charts, from a real store filled by the pipeline."""

from __future__ import annotations

import csv
import io
import json
import re
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
    r = runner.invoke(main, ["deadlines", "sweep", "--config", str(filled), "--json"])
    assert r.exit_code == 0, r.output
    assert isinstance(json.loads(r.stdout), dict)
    # a second sweep right after finds nothing to change: said in words, or {} with --json
    r = runner.invoke(main, ["deadlines", "sweep", "--config", str(filled)])
    assert r.exit_code == 0 and r.stdout == "deadline sweep: no deadline changed state\n"
    r = runner.invoke(main, ["deadlines", "sweep", "--config", str(filled), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout) == {}
    r = runner.invoke(main, ["deadlines", "resolve", "1", "--config", str(filled)])
    assert r.exit_code == 0 and "no open resolution deadline" in r.stdout
    r = runner.invoke(main, ["deadlines", "resolve", "999", "--config", str(filled)])
    assert r.exit_code == 1 and "message 999 does not exist" in r.output


def test_sweep_line_counts_the_changes() -> None:
    from triage.cli.deadlines import sweep_line

    assert sweep_line({"breached": 2, "due_soon": 1}) == \
        "deadline sweep: 3 changed state (2 breached, 1 due soon)"
    assert sweep_line({}) == "deadline sweep: no deadline changed state"


def test_report_and_dashboard_show_how_agents_use_each_template(filled: Path) -> None:
    """Learn from use: one draft sent rewritten, one sent as drafted (placeholders filled),
    two discarded; `triage report` (json, table) and the admin dashboard show the same
    per-template figures from ``ReviewService.template_usage``."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from tests.fixtures_web import ADMIN
    from tests.test_web import login
    from triage.drafting.placeholders import MARKER
    from triage.store import schema as s
    from triage.web import create_app
    from triage.web.accounts import add_user

    app = App(load_settings(filled, {}), environ={},
              clock=FrozenClock(T0 + timedelta(hours=32)))
    with app.store.engine.connect() as c:
        drafts = {r.template: r for r in c.execute(select(s.drafts))}
    rewritten = drafts["en/situations/app_error.email.j2"]
    as_drafted = drafts["en/suggestion.email.j2"]
    app.review.approve(rewritten.message_id, "linh", None,
                       "Sorry about the crash. Our developers fixed error 500 last night; "
                       "please try again.\n", past_times_ok=True)
    app.review.approve(as_drafted.message_id, "linh", None,
                       MARKER.sub("dark mode", as_drafted.text), past_times_ok=True)
    for template in ("en/request.email.j2", "vi/situations/app_error.email.j2"):
        app.review.discard(drafts[template].message_id, "minh")
    usage = {u.template: u for u in app.review.template_usage()}
    assert usage["en/situations/app_error.email.j2"].mean_edit > 0.5
    assert usage["en/situations/app_error.email.j2"].situation == "app_error"
    assert usage["en/suggestion.email.j2"].mean_edit == 0.0
    assert usage["en/request.email.j2"].discard_rate == 1.0
    assert (usage["vi/situations/app_error.email.j2"].language,
            usage["vi/situations/app_error.email.j2"].discarded) == ("vi", 1)
    # worst first: the two discarded templates, then the rewritten one, then the one kept
    assert list(usage)[-1] == "en/suggestion.email.j2"

    args = ["report", "--config", str(filled), "--since", "2026-11-19", "--until",
            "2026-11-23T00:00"]
    r = CliRunner().invoke(main, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {t["template"]: t for t in json.loads(r.stdout)["templates"]}
    assert rows["en/situations/app_error.email.j2"]["mean_edit"] == \
        usage["en/situations/app_error.email.j2"].mean_edit
    assert rows["en/request.email.j2"]["discard_rate"] == 1.0
    assert (rows["en/suggestion.email.j2"]["sent"],
            rows["en/suggestion.email.j2"]["mean_edit"]) == (1, 0.0)
    table = CliRunner().invoke(main, args).stdout
    assert "[template]" in table
    assert re.search(r"en/request\.email\.j2 en discard_rate\s+100\.0%", table)
    # a window before the drafts were written has none
    r = CliRunner().invoke(main, ["report", "--config", str(filled), "--since", "2026-11-01",
                                  "--until", "2026-11-10", "--format", "json"])
    assert json.loads(r.stdout)["templates"] == []

    add_user(app.store, *ADMIN, "admin")
    client = TestClient(create_app(app.web_parts(), secret_key="t" * 64))
    login(client, ADMIN)
    html = client.get("/admin").text
    section = html[html.index('id="template-usage"'):]
    assert "en/situations/app_error.email.j2" in section
    cells = re.search(r"<td>en/request\.email\.j2</td><td>en</td><td>general</td>"
                      r"(?:<td class=\"num\">[^<]*</td>){3}<td class=\"num\">100%</td>", section)
    assert cells, section[:2000]
    app.store.close()
