"""The command line as users call it: real subprocesses of the installed ``triage``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from triage.daemon import Daemon

TRIAGE = [sys.executable, "-m", "triage"]


def run(args: list[str], *, cwd: Path, input: str | None = None,
        env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    e = {**os.environ, **(env or {})}
    return subprocess.run([*TRIAGE, *args], cwd=cwd, input=input, capture_output=True,
                          text=True, env=e, timeout=timeout)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Path:
    d = tmp_path_factory.mktemp("demo")
    # reuse the session's model so the demo does not train again
    models = d / "data" / "models"
    models.mkdir(parents=True)
    for f in model_path.parent.iterdir():
        os.link(f, models / f.name)
    r = run(["demo", "--workdir", str(d), "--once"], cwd=d)
    assert r.returncode == 0, r.stderr
    return d


def test_demo_then_export_shows_every_message(demo_dir: Path) -> None:
    r = run(["export", "--config", str(demo_dir / "triage.toml"), "--format", "jsonl"],
            cwd=demo_dir)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) >= 30
    required = {"id", "source", "channel", "external_id", "thread_id", "received_at", "sender",
                "subject", "text", "language", "category", "confidence", "needs_review",
                "is_auto", "due_at", "deadline_state", "draft_status", "draft"}
    for row in rows:
        assert required <= row.keys()
        if row["is_auto"]:
            assert row["draft"] is None
            continue
        assert row["category"] in {"complaint", "request", "suggestion", "technical_issue"}
        assert 0 <= row["confidence"] <= 1
        assert row["due_at"] and row["deadline_state"] in {"ok", "due_soon", "breached"}
        assert row["draft"] and row["draft_status"] in ("pending_review", "superseded")
    auto = [r for r in rows if r["is_auto"]]
    assert any("Auto-Submitted" in (r["auto_reason"] or "") for r in auto)
    assert {r["language"] for r in rows if not r["is_auto"]} >= {"en", "vi", "id", "tl"}
    assert {r["category"] for r in rows if not r["is_auto"]} == {
        "complaint", "request", "suggestion", "technical_issue"}
    # the customer's follow-up joined the thread of her first message
    maria = [r for r in rows if r["sender"] == "maria.santos@example.ph"]
    assert len(maria) == 2 and maria[0]["thread_id"] == maria[1]["thread_id"]
    # her first message's draft asked for what the follow-up sent: superseded, still exported
    assert [r["draft_status"] for r in maria] == ["superseded", "pending_review"]
    assert [r["id"] for r in rows if r["draft_status"] == "superseded"] == [maria[0]["id"]]


def _readme_demo_table() -> list[str]:
    """The sample table README.md shows for ``make demo`` (rows left out are ``...``)."""
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = text.split("prints a table:\n\n```\n", 1)[1].split("```", 1)[0]
    return [ln for ln in block.splitlines() if ln != "..."]


def _comparable(line: str) -> str:
    """A table line without what changes with the clock (due) or a retrained model (conf)."""
    line = line.rstrip()
    if re.match(r" *\d+  ", line):
        return line[:21] + "...." + line[25:31] + "." * 16 + line[47:]
    return line


def test_demo_prints_table(demo_dir: Path) -> None:
    r = run(["demo", "--workdir", str(demo_dir), "--once"], cwd=demo_dir)
    assert r.returncode == 0
    assert "technical_issue" in r.stdout and "(automatic)" in r.stdout
    # README.md shows what it prints: the same header, rows (due times and confidences
    # aside) and footnote
    printed = {ln.split()[0] if re.match(r" *\d+  ", ln) else ln: _comparable(ln)
               for ln in r.stdout.splitlines()[1:]}
    readme = _readme_demo_table()
    assert readme[0] == "demo config: demo/triage.toml"
    for ln in readme[1:]:
        key = ln.split()[0] if re.match(r" *\d+  ", ln) else ln
        assert printed.get(key) == _comparable(ln), f"README.md's demo table is out of date: {ln}"


def test_classify_contract_and_bad_lines(tmp_path: Path, model_path: Path) -> None:
    lines = [json.dumps({"text": "the app crashes on login with error 500"}),
             "this is not json",
             json.dumps({"subject": "Idea", "text": "please add dark mode"}),
             json.dumps({"nope": 1})]
    r = run(["classify", "--model", str(model_path)], cwd=tmp_path,
            input="\n".join(lines) + "\n")
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.returncode == 1 and "could not be read" in r.stderr
    assert out[0]["category"] == "technical_issue"
    assert set(out[0]) == {"category", "confidence", "language", "needs_review"}
    assert out[1]["line"] == 2 and "stdin line 2" in out[1]["error"]
    assert out[2]["category"] == "suggestion"
    assert out[3]["line"] == 4


def test_classify_ten_thousand_lines_in_one_call(tmp_path: Path, model_path: Path) -> None:
    texts = ["my refund has not arrived after three weeks", "how do I change my address?",
             "khong vao duoc app", "internet mati sejak pagi", "sana may dark mode"]
    payload = "".join(json.dumps({"text": f"{texts[i % 5]} #{i}"}) + "\n" for i in range(10_000))
    r = run(["classify", "--model", str(model_path)], cwd=tmp_path, input=payload)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert len(out) == 10_000
    assert json.loads(out[2])["language"] == "vi"


def test_check_config_masks_secrets(tmp_path: Path) -> None:
    cfg = tmp_path / "triage.toml"
    cfg.write_text("[store]\nurl_env = 'DB_URL'\n")
    r = run(["check-config", "--config", str(cfg)], cwd=tmp_path,
            env={"DB_URL": "postgresql+psycopg://u:s3cret@h/db"})
    assert r.returncode == 0 and "s3cret" not in r.stdout and "****" in r.stdout


def test_broken_config_exits_2_with_one_message(tmp_path: Path) -> None:
    cfg = tmp_path / "triage.toml"
    cfg.write_text("[drafting]\nteam = 'x'\n")
    r = run(["check-config", "--config", str(cfg)], cwd=tmp_path)
    assert r.returncode == 2
    assert "drafting.team" in r.stderr and "Traceback" not in r.stderr


def test_check_config_reads_holiday_files(tmp_path: Path) -> None:
    cfg = tmp_path / "triage.toml"
    cfg.write_text("[deadlines.calendars.hanoi]\ntimezone = 'Asia/Ho_Chi_Minh'\n"
                   "holidays_ics = 'vn.ics'\n")
    r = run(["check-config", "--config", str(cfg)], cwd=tmp_path)
    assert r.returncode == 2 and "vn.ics" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "vn.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@x\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260902\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n")
    r = run(["check-config", "--config", str(cfg)], cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_env_file_supplies_secret(tmp_path: Path) -> None:
    (tmp_path / "triage.toml").write_text("[store]\nurl_env = 'MY_DB'\n")
    (tmp_path / ".env").write_text("MY_DB=sqlite:///x.db\n")
    env = {k: v for k, v in os.environ.items() if k != "MY_DB"}
    r = subprocess.run([*TRIAGE, "check-config"], cwd=tmp_path, capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr


def test_import_eml_mbox_and_maildir_without_duplicates(tmp_path: Path, model_path: Path) -> None:
    import mailbox

    from tests.conftest import make_email

    cfg = tmp_path / "triage.toml"
    cfg.write_text(f"data_dir = 'data'\n[classifier]\nmodel_path = '{model_path}'\n")
    (tmp_path / "one.eml").write_bytes(make_email(msgid="<i1@x>"))
    mb = mailbox.mbox(str(tmp_path / "archive.mbox"))
    mb.add(make_email(msgid="<i2@x>"))
    mb.add(make_email(msgid="<i3@x>"))
    mb.close()
    for path in ("one.eml", "archive.mbox", "one.eml"):
        r = run(["import", "--config", str(cfg), path], cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    r = run(["export", "--config", str(cfg)], cwd=tmp_path)
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(rows) == 3 and all(x["category"] for x in rows)


def test_retention_in_the_daemon_and_from_the_cli(tmp_path: Path, model_path: Path,
                                                  maildir: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.conftest import add_to_maildir, make_email
    from triage.clock import FrozenClock
    from triage.config import settings_from_mapping
    from triage.services import App

    clock = FrozenClock(datetime(2026, 8, 1, tzinfo=UTC))
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "retention": {"raw_after": "90d"},
        "sources": [{"name": "inbox", "type": "maildir", "path": str(maildir)}]})
    app = App(settings, clock=clock)
    for i in range(3):
        add_to_maildir(maildir, make_email(msgid=f"<r{i}@x>"))
    Daemon(app).poll_all()
    assert Daemon(app).apply_retention() == {"raw_dropped": 0}  # too young
    clock.advance(timedelta(days=91))
    assert Daemon(app).apply_retention(dry_run=True) == {"raw_dropped": 3}
    assert Daemon(app).apply_retention() == {"raw_dropped": 3}
    assert {r["status"] for r in app.store.export_rows()} == {"processed"}
    app.store.close()
    cfg = tmp_path / "triage.toml"
    cfg.write_text(f"data_dir = '{tmp_path / 'data'}'\n[retention]\nraw_after = '90d'\n")
    r = run(["retention", "--dry-run", "--config", str(cfg)], cwd=tmp_path)
    assert r.returncode == 0 and "would drop the raw bytes of 0 message(s)" in r.stdout
    cfg.write_text(f"data_dir = '{tmp_path / 'data'}'\n")
    r = run(["retention", "--config", str(cfg)], cwd=tmp_path)
    assert r.returncode == 0 and "kept forever" in r.stdout


def test_export_keeps_one_record_per_line_with_unicode_line_separators(
        tmp_path: Path, model_path: Path) -> None:
    """U+2028, U+2029 and NEL split lines for str.splitlines() and JavaScript readers; JSON
    leaves them raw unless we escape them."""
    import sqlite3

    from tests.conftest import make_email

    cfg = tmp_path / "triage.toml"
    cfg.write_text(f"data_dir = 'data'\n[classifier]\nmodel_path = '{model_path}'\n")
    (tmp_path / "one.eml").write_bytes(make_email(msgid="<sep@x>"))
    assert run(["import", "--config", str(cfg), "one.eml"], cwd=tmp_path).returncode == 0
    # the mail parser folds these into spaces and newlines, but social posts and older rows
    # may hold them: the export must escape whatever is stored
    text = "Line one\u2028line two\u2029line three\x85end"
    with sqlite3.connect(tmp_path / "data" / "triage.db") as c:
        c.execute("update messages set text = ?, sender_name = ?", (text, "Ann\u2028Lee"))
    r = run(["export", "--config", str(cfg)], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1, lines
    row = json.loads(lines[0])
    assert row["text"] == text and row["sender_name"] == "Ann\u2028Lee"
    assert "\u2028" not in r.stdout and "\u2029" not in r.stdout and "\x85" not in r.stdout


def test_json_log_lines_escape_unicode_line_separators() -> None:
    import logging

    from triage.ops.logjson import JsonFormatter

    record = logging.LogRecord("triage", logging.INFO, __file__, 1, "subject %s", ("a\u2028b",),
                               None)
    line = JsonFormatter().format(record)
    assert len(line.splitlines()) == 1 and json.loads(line)["message"] == "subject a\u2028b"


def test_import_reads_maildir_names_skips_non_mail_and_reports_duplicates(
        tmp_path: Path, model_path: Path, maildir: Path) -> None:
    """Maildir file names have no extension; a Message-ID already stored from another source
    is a duplicate; an empty folder is an error, not 'read 0'."""
    import mailbox

    from tests.conftest import add_to_maildir, make_email

    cfg = tmp_path / "triage.toml"
    cfg.write_text(f"data_dir = 'data'\n[classifier]\nmodel_path = '{model_path}'\n"
                   f"[[sources]]\nname = 'inbox'\ntype = 'maildir'\npath = '{maildir}'\n")
    add_to_maildir(maildir, make_email(msgid="<live@x>", body="Where is my order 1?"))
    assert run(["poll", "--once", "--config", str(cfg)], cwd=tmp_path).returncode == 0
    archive = tmp_path / "archive"
    archive.mkdir()
    box = mailbox.Maildir(str(archive / "Customer"), create=True)
    box.add(make_email(msgid="<a1@x>", body="Please change my address."))
    box.add(make_email(msgid="<live@x>", body="Where is my order 1?"))  # stored by 'inbox'
    sent = box.add_folder("Sent")
    sent.add(make_email(msgid="<a2@x>", body="Can I pay by bank transfer?"))
    (archive / "loose").mkdir()
    (archive / "loose" / "1699999999.M1P2.host").write_bytes(make_email(msgid="<a3@x>"))
    (archive / "loose" / "notes.txt").write_text("just a note, not mail\n")
    (archive / "loose" / "again").write_bytes(make_email(msgid="<a1@x>"))  # same id twice
    r = run(["import", "--config", str(cfg), str(archive)], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "read 5, new 3, duplicates 2" in r.stdout and "skipped 1" in r.stdout, r.stdout
    assert "notes.txt: not a message" in r.stderr
    rows = [json.loads(x) for x in run(["export", "--config", str(cfg)],
                                       cwd=tmp_path).stdout.splitlines()]
    ids = sorted(x["message_id"] for x in rows)
    assert ids == ["<a1@x>", "<a2@x>", "<a3@x>", "<live@x>"]
    (tmp_path / "empty").mkdir()
    r = run(["import", "--config", str(cfg), str(tmp_path / "empty")], cwd=tmp_path)
    assert r.returncode == 1 and "no messages found" in r.stderr


def test_queue_summary_check_finds_drift_and_rebuild_repairs_it(
        tmp_path: Path, demo_dir: Path) -> None:
    """`triage queue-summary` agrees on a store the daemon wrote, exits 1 naming the
    conversations once rows are deleted behind triage's back, and --rebuild repairs them."""
    import shutil
    import sqlite3

    d = tmp_path / "copy"
    shutil.copytree(demo_dir, d)
    cfg = str(d / "triage.toml")
    r = run(["queue-summary", "--config", cfg], cwd=d)
    assert r.returncode == 0 and "agrees" in r.stdout, r.stderr
    [db] = [p for p in (d / "data").iterdir()
            if p.is_file() and p.read_bytes()[:16] == b"SQLite format 3\x00"]
    with sqlite3.connect(db) as c:
        (open_before,) = c.execute("SELECT count(*) FROM conversation_summary").fetchone()
        c.execute("DELETE FROM conversation_summary WHERE conv IN "
                  "(SELECT conv FROM conversation_summary ORDER BY conv LIMIT 2)")
    assert open_before >= 10
    r = run(["queue-summary", "--config", cfg], cwd=d)
    assert r.returncode == 1 and "differs for 2 conversations" in r.stderr
    assert "--rebuild" in r.stderr
    r = run(["queue-summary", "--config", cfg, "--rebuild"], cwd=d)
    assert r.returncode == 0 and f"rebuilt: {open_before} open" in r.stdout, r.stderr
    r = run(["queue-summary", "--config", cfg], cwd=d)
    assert r.returncode == 0 and "agrees" in r.stdout
