"""The admins' audit log page: who did what, when and from where; filters; CSV and JSON-lines
export; agents cannot see it."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

from tests.fixtures_web import ADMIN, AGENT
from tests.test_web import login, message_ids


def test_audit_log_shows_who_what_when_and_where(web: Any, seeded: Any) -> None:
    agent = TestClient(web)
    token = login(agent, AGENT)
    mid = message_ids(seeded)["<late@example.com>"]
    agent.post(f"/messages/{mid}/discard", data={"csrf_token": token})
    agent.post(f"/messages/{mid}/reclassify", data={"category": "complaint",
                                                    "csrf_token": token})
    agent.post("/logout", data={"csrf_token": token})
    # a user name that a spreadsheet would run as a formula
    bad = TestClient(web)
    csrf = bad.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    bad.post("/login", data={"username": "=HYPERLINK(\"http://x\")", "password": "nope-nope",
                             "csrf_token": csrf})
    assert agent.get("/admin/audit", follow_redirects=False).status_code == 303  # signed out
    agent2 = TestClient(web)
    login(agent2, AGENT)
    assert agent2.get("/admin/audit").status_code == 403

    admin = TestClient(web)
    login(admin, ADMIN)
    page = admin.get("/admin/audit").text
    for action in ("login", "discard draft", "reclassify", "logout", "login failed"):
        assert f'<td class="action">{action}</td>' in page, action
    assert "testclient" in page  # the client address of every web action
    only = admin.get("/admin/audit", params={"actor": AGENT[0], "action": "reclassify"}).text
    assert only.count('class="audit-line"') == 1
    api = admin.get("/api/admin/audit", params={"action": "discard_draft"}).json()
    assert [(a["actor"], a["message_id"], a["client"]) for a in api] == [
        (AGENT[0], mid, "testclient")]

    exported = admin.get("/admin/audit/export", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["action"] for r in rows} >= {"login", "logout", "discard_draft", "reclassify",
                                          "login_failed"}
    assert all(r["at"] and r["actor"] for r in rows)
    assert any(r["actor"] == "'=HYPERLINK(\"http://x\")" for r in rows)  # kept as text
    lines = admin.get("/admin/audit/export", params={"format": "jsonl",
                                                      "actor": AGENT[0]}).text.splitlines()
    assert lines and all(json.loads(line)["actor"] == AGENT[0] for line in lines)
    assert admin.get("/admin/audit", params={"since": "yesterday"}).status_code == 422


def test_policy_and_template_changes_are_audited(app: Any, tmp_path: Any) -> None:
    from triage.ops.config_audit import record_config_changes
    from triage.store.audit_log import AuditFilter

    settings = app.settings.model_copy(deep=True)
    settings.data_dir = str(tmp_path / "data")
    templates = tmp_path / "templates" / "en"
    templates.mkdir(parents=True)
    (templates / "complaint.email.j2").write_text("Hello {{ name }}", encoding="utf-8")
    settings.drafting.template_dir = str(tmp_path / "templates")
    assert record_config_changes(app.store, settings) == ["policy_changed", "templates_changed"]
    assert record_config_changes(app.store, settings) == []  # nothing changed since
    (templates / "complaint.email.j2").write_text("Dear {{ name }}", encoding="utf-8")
    settings.deadlines.email = settings.deadlines.email / 2
    assert record_config_changes(app.store, settings) == ["policy_changed", "templates_changed"]
    (line,) = app.store.audit_log.page(AuditFilter(action="templates_changed"), 1)
    assert line["actor"] == "config"
    assert line["detail"]["changed"] == ["template_dir:en/complaint.email.j2"]
    # brief: names and a count, never every file's hash (it was ~13 KB a start)
    assert "files" in line["detail"] and isinstance(line["detail"]["files"], int)
    assert len(json.dumps(line["detail"])) < 1000


def test_first_template_record_is_brief(app: Any, tmp_path: Any) -> None:
    from triage.ops.config_audit import record_config_changes
    from triage.store.audit_log import AuditFilter

    settings = app.settings.model_copy(deep=True)
    settings.data_dir = str(tmp_path / "data")
    record_config_changes(app.store, settings)
    (line,) = app.store.audit_log.page(AuditFilter(action="templates_changed"), 1)
    assert line["detail"]["files"] > 50  # every packaged template counted...
    assert line["detail"]["changed"] == []  # ...but not listed
    assert len(json.dumps(line["detail"])) < 1000
    assert record_config_changes(app.store, settings) == []  # a second start logs nothing
