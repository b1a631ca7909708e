"""``triage review``: the page's buttons on the command line (``triage.cli.review``), run in
process with click's runner against the seeded store of the page tests, and compared with the
page itself: the same action by the page and by the CLI leaves the same rows."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from tests.fixtures_web import AGENT, Sink
from tests.test_web import login, message_ids
from triage.cli.main import main
from triage.clock import FrozenClock
from triage.store import schema as s


def write_config(path: Path, data_dir: Path, model: str, smtp_port: int) -> Path:
    path.write_text(f"""data_dir = '{data_dir}'
[classifier]
model_path = '{model}'
[send]
email = "smtp"
[send.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
""")
    return path


@pytest.fixture
def cli(seeded: Any, tmp_path: Path, smtp_server_sink: tuple[Sink, int]):  # type: ignore[no-untyped-def]
    """Run ``triage review ...`` on the seeded store; returns a function of the arguments."""
    cfg = write_config(tmp_path / "cli.toml", seeded.settings.data_path,
                       seeded.settings.classifier.model_path, smtp_server_sink[1])
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, ["review", *args, "--config", str(cfg)], input=input)

    return run


def rows(app: Any, table: Any, message_id: int) -> list[Any]:
    with app.store.engine.connect() as c:
        return list(c.execute(select(table).where(table.c.message_id == message_id)
                              .order_by(table.c.id)))


def test_review_commands_edit_approve_and_send(cli: Any, seeded: Any,
                                               smtp_server_sink: tuple[Sink, int]) -> None:
    sink, _ = smtp_server_sink
    mid = message_ids(seeded)["<late@example.com>"]
    shown = cli("show", str(mid))
    assert shown.exit_code == 0, shown.output
    assert "My order is late" in shown.output and "(pending_review)" in shown.output
    r = cli("assign", str(mid), "--as", "ann")
    assert r.exit_code == 0 and f"message {mid}: assigned to ann" in r.output
    r = cli("save", str(mid), "--as", "ann", "--text-file", "-",
            input="We refund [[fill: refund amount]] today.\n")
    assert r.exit_code == 0 and "saved" in r.output, r.output
    r = cli("approve", str(mid), "--as", "ann")
    assert r.exit_code == 1 and "error:" in r.output and "refund amount" in r.output
    assert rows(seeded, s.outbox, mid) == [] and sink.messages == []
    r = cli("approve", str(mid), "--as", "ann", "--subject", "Re: your parcel",
            "--text", "Your parcel ships today.", "--send")
    assert r.exit_code == 0, r.output
    assert "approved; reply queued as outbox row" in r.output and "sent" in r.output
    assert len(sink.messages) == 1
    mail = sink.parsed()
    assert mail["In-Reply-To"] == "<late@example.com>" and mail["Subject"] == "Re: your parcel"
    assert "ships today" in mail.get_content()
    [draft] = [d for d in rows(seeded, s.drafts, mid) if d.status != "superseded"]
    assert (draft.status, draft.updated_by) == ("sent", "ann")
    again = cli("approve", str(mid), "--as", "ann")
    assert again.exit_code == 1 and "no draft to change (draft: sent)" in again.output
    assert len(sink.messages) == 1
    actions = [r.action for r in rows(seeded, s.audit_log, mid)]
    assert actions[0] == "assign" and {"approve", "enqueue_reply", "send"} <= set(actions)
    assert "ann" in cli("show", str(mid)).output  # assigned to ann


def test_approve_without_send_leaves_it_to_the_daemon(cli: Any, seeded: Any,
                                                      smtp_server_sink: tuple[Sink, int]) -> None:
    sink, _ = smtp_server_sink
    mid = message_ids(seeded)["<crash@example.com>"]
    r = cli("approve", str(mid), "--as", "ann", "--text", "We are looking into it.")
    assert r.exit_code == 0 and "next outbox drain" in r.output, r.output
    [row] = rows(seeded, s.outbox, mid)
    assert row.status == "pending" and sink.messages == []


def test_review_errors_exit_with_one_line(cli: Any, seeded: Any) -> None:
    mid = message_ids(seeded)["<idea@example.com>"]
    for args in (("approve", "9999"), ("save", "9999", "--text", "x"), ("discard", "9999"),
                 ("assign", "9999"), ("resolve", "9999"), ("reclassify", "9999", "request")):
        r = cli(*args, "--as", "ann")
        assert r.exit_code == 1, (args, r.output)
        assert r.output.strip() == "error: message 9999 does not exist", args
    r = cli("assign", str(mid), "--as", "nobody")
    assert r.exit_code == 1 and "user 'nobody' does not exist" in r.output
    assert rows(seeded, s.assignments, mid) == []
    first = cli("discard", str(mid), "--as", "ann")
    assert first.exit_code == 0 and "discarded; nothing will be sent" in first.output
    twice = cli("discard", str(mid), "--as", "ann")
    assert twice.exit_code == 1
    assert "no draft to change (draft: discarded); reclassify it" in twice.output
    assert cli("reclassify", str(mid), "praise", "--as", "ann").exit_code == 2
    assert cli("assign", str(mid)).exit_code == 2  # --as is required
    both = cli("save", str(mid), "--as", "ann", "--text", "a", "--text-file", "-", input="b")
    assert both.exit_code == 2 and "not both" in both.output


def test_reclassify_and_resolve_from_the_cli(cli: Any, seeded: Any) -> None:
    mid = message_ids(seeded)["<crash@example.com>"]
    before = rows(seeded, s.drafts, mid)[-1]
    r = cli("reclassify", str(mid), "complaint", "--as", "ann")
    assert r.exit_code == 0, r.output
    assert "-> complaint; new draft" in r.output and "reply due 2026-11-" in r.output
    drafts = rows(seeded, s.drafts, mid)
    assert [d.status for d in drafts] == ["superseded", "pending_review"]
    # the situation detected in the text stays (an app error is one whatever its category)
    assert drafts[-1].id != before.id and drafts[-1].template == before.template
    assert before.template == "en/situations/app_error.email.j2"
    assert drafts[-1].drafted_by == "triage"
    [fix] = rows(seeded, s.corrections, mid)
    assert (fix.new_category, fix.agent) == ("complaint", "ann")
    r = cli("resolve", str(mid), "--as", "ann")
    assert r.exit_code == 0 and "no open resolution deadline" in r.output
    due = seeded.clock.now() + timedelta(days=3)
    assert seeded.sweeper.dstore.add_deadline(mid, "resolution", "email/3d", due, "normal")
    r = cli("resolve", str(mid), "--as", "ann")
    assert r.exit_code == 0 and f"thread of message {mid}: resolved" in r.output
    [res] = [d for d in rows(seeded, s.deadlines, mid) if d.kind == "resolution"]
    assert (res.state, res.met_by) == ("met", "ann")


# ----------------------------------------------------- the page and the CLI agree
TABLES = (s.drafts, s.classifications, s.deadlines, s.corrections, s.assignments, s.outbox,
          s.audit_log)


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row the review actions write; what only one side can know is left out: the
    sign-in lines of the page and the client address it records, and which process claimed
    an outbox row to send it."""
    engine = create_engine(url)
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        with engine.connect() as c:
            for t in TABLES:
                got = [dict(r._mapping) for r in c.execute(select(t).order_by(t.c.id))]
                if t is s.audit_log:
                    got = [{**{k: v for k, v in r.items() if k != "id"},
                            "detail": {k: v for k, v in (r["detail"] or {}).items()
                                       if k != "client"}}
                           for r in got if r["action"] != "login"]
                if t is s.outbox:
                    got = [{k: v for k, v in r.items() if k != "claimed_by"} for r in got]
                out[t.name] = got
    finally:
        engine.dispose()
    return out


def test_page_and_cli_leave_identical_state(seeded: Any, web: Any, tmp_path: Path,
                                            smtp_server_sink: tuple[Sink, int],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    sink, port = smtp_server_sink
    ids = message_ids(seeded)
    late, crash, idea = (ids[k] for k in ("<late@example.com>", "<crash@example.com>",
                                          "<idea@example.com>"))
    page_db = seeded.settings.data_path / "triage.db"
    (tmp_path / "copy").mkdir()
    cli_db = tmp_path / "copy" / "triage.db"
    src, dst = sqlite3.connect(page_db), sqlite3.connect(cli_db)
    src.backup(dst)
    src.close()
    dst.close()
    # the same actions, by an agent on the page ...
    client = TestClient(web)
    token = login(client, AGENT)
    for path, form in (
            (f"/messages/{late}/assign", {}),
            (f"/messages/{late}/reclassify", {"category": "complaint"}),
            (f"/messages/{late}/approve", {"subject": "Re: your parcel",
                                           "text": "Your parcel ships today."}),
            (f"/messages/{crash}/save", {"subject": "", "text": "We are looking into it."}),
            (f"/messages/{idea}/discard", {}),
            (f"/messages/{idea}/discard", {})):  # refused the second time, on both sides
        r = client.post(path, data={**form, "csrf_token": token})
        assert r.status_code == 200, (path, r.text)
    assert len(sink.messages) == 1
    # ... and on the command line, on a copy of the store taken before, at the same time
    monkeypatch.setattr("triage.services.SystemClock", lambda: FrozenClock(seeded.clock.now()))
    cfg = write_config(tmp_path / "copy.toml", tmp_path / "copy",
                       seeded.settings.classifier.model_path, port)
    runner = CliRunner()
    for args, code in (
            (["assign", str(late)], 0),
            (["reclassify", str(late), "complaint"], 0),
            (["approve", str(late), "--subject", "Re: your parcel",
              "--text", "Your parcel ships today.", "--send"], 0),
            (["save", str(crash), "--text", "We are looking into it."], 0),
            (["discard", str(idea)], 0),
            (["discard", str(idea)], 1)):
        r = runner.invoke(main, ["review", *args, "--as", AGENT[0], "--config", str(cfg)])
        assert r.exit_code == code, (args, r.output)
    assert len(sink.messages) == 2
    assert sink.parsed(0)["Message-ID"] == sink.parsed(1)["Message-ID"]
    assert sink.parsed(0).get_content() == sink.parsed(1).get_content()
    page, by_cli = snapshot(f"sqlite:///{page_db}"), snapshot(f"sqlite:///{cli_db}")
    assert page["corrections"] and page["assignments"] and page["outbox"]
    for table in page:
        assert page[table] == by_cli[table], table


def test_switch_the_situation_from_the_cli(cli: Any, seeded: Any) -> None:
    """`triage review situation` writes the draft again for the holding reply (agent-only,
    never detected); the category stays and no correction is stored."""
    mid = message_ids(seeded)["<late@example.com>"]
    r = cli("situation", str(mid), "holding", "--as", "ann")
    assert r.exit_code == 0, r.output
    assert "situation order_status -> holding; new draft" in r.output
    drafts = rows(seeded, s.drafts, mid)
    assert [d.status for d in drafts] == ["superseded", "pending_review"]
    assert (drafts[-1].situation, drafts[-1].updated_by) == ("holding", "ann")
    assert drafts[-1].template == "en/situations/holding.email.j2"
    assert rows(seeded, s.corrections, mid) == []
    assert "situation: holding" in cli("show", str(mid)).output
    assert cli("situation", str(mid), "praise", "--as", "ann").exit_code == 2
