"""Review page routes via FastAPI's TestClient: sessions, roles, CSRF, actions, the API."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fixtures_web import ADMIN, AGENT
from triage.store import schema as s
from triage.web import models_admin

# sign-in, the probes a load balancer and Prometheus call without an account, and the chat
# platforms' webhooks (checked by their signatures instead; tests/test_webhooks.py)
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/api/login"), ("GET", "/healthz"),
          ("GET", "/metrics"), ("GET", "/webhooks/{platform}/{name}"),
          ("POST", "/webhooks/{platform}/{name}"),
          ("GET", "/login/code"), ("POST", "/login/code")}


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def login(client: TestClient, who: tuple[str, str]) -> str:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": who[0], "password": who[1],
                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/queue", r.text
    return csrf_of(client.get("/queue").text)


def _api_routes(routes: Any) -> list[APIRoute]:
    out: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):  # FastAPI >= 0.16x keeps included routers whole
            out.extend(_api_routes(r.original_router.routes))
    return out


def routes(web: Any) -> list[tuple[str, str]]:
    out = []
    for r in _api_routes(web.routes):
        if True:
            for m in r.methods:
                if (m, r.path) not in PUBLIC:
                    out.append((m, r.path.replace("{message_id}", "1")
                                .replace("{version}", "v1")))
    return out


def message_ids(app: Any) -> dict[str, int]:
    with app.store.engine.connect() as c:
        return {r.message_id: r.id for r in c.execute(
            select(s.messages.c.id, s.messages.c.message_id))}


def test_every_route_refuses_without_a_session(web: Any) -> None:
    client = TestClient(web)
    checked = routes(web)
    assert len(checked) > 20
    for method, path in checked:
        r = client.request(method, path, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code == 303 and r.headers["location"] == "/login", (method, path)


def test_agent_cannot_reach_admin_routes(web: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    admin_routes = [(m, p) for m, p in routes(web) if p.startswith(("/admin", "/api/admin"))]
    assert len(admin_routes) >= 8
    for method, path in admin_routes:
        r = client.request(method, path, headers={"X-CSRF-Token": token},
                           follow_redirects=False)
        assert r.status_code == 403, (method, path, r.status_code)
    admin = TestClient(web)
    login(admin, ADMIN)
    for path in ("/admin", "/admin/models", "/admin/policies", "/api/admin/dashboard"):
        assert admin.get(path).status_code == 200, path


def test_forms_without_csrf_are_refused(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    mid = message_ids(seeded)["<late@example.com>"]
    for action in ("approve", "save", "discard", "reclassify", "assign"):
        r = client.post(f"/messages/{mid}/{action}", data={"text": "x", "category": "request"},
                        follow_redirects=False)
        assert r.status_code == 403, action
        r = client.post(f"/messages/{mid}/{action}", data={"text": "x", "csrf_token": "wrong"},
                        follow_redirects=False)
        assert r.status_code == 403, action
    assert client.post("/logout", follow_redirects=False).status_code == 403
    # a sign-in form without the token is refused too
    fresh = TestClient(web)
    r = fresh.post("/login", data={"username": AGENT[0], "password": AGENT[1]},
                   follow_redirects=False)
    assert r.status_code == 403
    # nothing changed: no assignment, draft still pending
    with seeded.store.engine.connect() as c:
        assert c.execute(select(s.assignments)).first() is None
    assert token


def test_security_headers_and_cookie_flags(web: Any) -> None:
    client = TestClient(web)
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "<script>" not in r.text  # no inline scripts anywhere on the page
    assert re.findall(r"<script[^>]*>", r.text) == [
        '<script src="/static/htmx.min.js" defer>', '<script src="/static/app.js" defer>']
    assert client.get("/static/htmx.min.js").status_code == 200


def test_login_is_rate_limited(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    token = csrf_of(client.get("/login").text)
    max_attempts = seeded.settings.web.login_max_attempts
    for _ in range(max_attempts):
        r = client.post("/login", data={"username": AGENT[0], "password": "wrong-password",
                                        "csrf_token": token})
        assert r.status_code == 401 and "wrong user name or password" in r.text
    r = client.post("/login", data={"username": AGENT[0], "password": AGENT[1],
                                    "csrf_token": token})
    assert r.status_code == 429 and "too many failed sign-ins" in r.text
    seeded.clock.advance(seeded.settings.web.login_window + timedelta(seconds=1))
    r = client.post("/login", data={"username": AGENT[0], "password": AGENT[1],
                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303


def test_queue_orders_by_deadline_and_filters(web: Any, seeded: Any) -> None:
    ids = message_ids(seeded)
    with seeded.store.engine.connect() as c:  # make the idea the most urgent
        due = c.execute(select(s.deadlines.c.due_at).order_by(s.deadlines.c.due_at)).first()[0]
        idea = c.execute(select(s.deadlines.c.id).where(
            s.deadlines.c.message_id == ids["<idea@example.com>"])).scalar_one()
    seeded.store.deadlines.set_due(idea, due - timedelta(hours=1))
    client = TestClient(web)
    login(client, AGENT)
    html = client.get("/queue").text
    order = [int(x) for x in re.findall(r'data-id="(\d+)"', html)]
    assert order[0] == ids["<idea@example.com>"] and len(order) == 4
    rows = client.get("/queue/rows", params={"q": "dark mode"}).text
    assert re.findall(r'data-id="(\d+)"', rows) == [str(ids["<idea@example.com>"])]
    api = client.get("/api/queue", params={"category": "technical_issue"}).json()
    assert ids["<crash@example.com>"] in [r["id"] for r in api]
    assert {r["category"] for r in api} == {"technical_issue"} and len(api) < 4
    assert all(r["needs_review"] for r in client.get(
        "/api/queue", params={"needs_review": "yes"}).json())


def test_discard_confirmation_says_draft_or_drafts(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    ids = message_ids(seeded)
    one = client.post("/queue/bulk", data={"csrf_token": token, "action": "discard",
                                            "ids": [ids["<idea@example.com>"]]}).text
    assert "Discard 1 draft?" in one and "(s)" not in one and "this customer" in one
    two = client.post("/queue/bulk", data={"csrf_token": token, "action": "discard", "ids": [
        ids["<idea@example.com>"], ids["<crash@example.com>"]]}).text
    assert "Discard 2 drafts?" in two and "(s)" not in two


def test_reclassify_redrafts_and_records_correction(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    mid = message_ids(seeded)["<idea@example.com>"]
    before = client.get(f"/api/messages/{mid}").json()
    target = "complaint" if before["classification"]["category"] != "complaint" else "request"
    r = client.post(f"/messages/{mid}/reclassify",
                    data={"category": target, "csrf_token": token}, follow_redirects=True)
    assert f"Reclassified as {target}" in r.text
    after = client.get(f"/api/messages/{mid}").json()
    assert after["classification"]["category"] == target
    assert after["draft"]["id"] != before["draft"]["id"]
    assert after["draft"]["template"].endswith(f"{target}.email.j2")
    with seeded.store.engine.connect() as c:
        row = c.execute(select(s.corrections)).one()
    assert (row.old_category, row.new_category, row.agent) == (
        before["classification"]["category"], target, AGENT[0])
    bad = client.post(f"/api/messages/{mid}/reclassify", json={"category": "praise"},
                      headers={"X-CSRF-Token": token})
    assert bad.status_code == 409 and "unknown category" in bad.json()["detail"]


def test_placeholders_block_sending(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    mid = message_ids(seeded)["<late@example.com>"]
    draft = client.get(f"/api/messages/{mid}").json()["draft"]
    text = draft["text"] + "\nWe refund [[fill: refund amount]] today."
    r = client.post(f"/api/messages/{mid}/approve",
                    json={"subject": draft["subject"], "text": text},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "refund amount" in r.json()["detail"]
    page = client.get(f"/messages/{mid}").text
    assert '<mark class="fill">[[fill: refund amount]]</mark>' not in page  # not saved by API
    client.put(f"/api/messages/{mid}/draft", json={"subject": draft["subject"], "text": text},
               headers={"X-CSRF-Token": token})
    page = client.get(f"/messages/{mid}").text
    assert '<mark class="fill">[[fill: refund amount]]</mark>' in page
    with seeded.store.engine.connect() as c:
        assert c.execute(select(s.outbox)).first() is None


def test_approve_sends_threaded_reply_once(web: Any, seeded: Any, smtp_server_sink: Any) -> None:
    sink, _ = smtp_server_sink
    client = TestClient(web)
    token = login(client, AGENT)
    mid = message_ids(seeded)["<late@example.com>"]
    draft = client.get(f"/api/messages/{mid}").json()["draft"]
    r = client.post(f"/messages/{mid}/approve", data={
        "subject": draft["subject"], "text": "We are on it. Your parcel ships today.",
        "csrf_token": token}, follow_redirects=True)
    assert "Reply approved" in r.text
    assert len(sink.messages) == 1
    mail_from, rcpt, _ = sink.messages[0]
    msg = sink.parsed()
    assert (mail_from, rcpt) == ("support@example.com", ["ann.customer@example.com"])
    assert msg["In-Reply-To"] == "<late@example.com>"
    assert msg["References"].split() == ["<earlier@example.com>", "<late@example.com>"]
    assert re.fullmatch(r"Re: My order is late \[#T-\d+\]", msg["Subject"])
    assert msg["Message-ID"].startswith("<triage.m")
    assert "ships today" in msg.get_content()
    info = client.get(f"/api/messages/{mid}").json()
    assert info["deadline"]["state"] == "met" and info["draft"]["status"] == "sent"
    # approving again, or draining again, never sends twice
    again = client.post(f"/api/messages/{mid}/approve", json={"text": "again"},
                        headers={"X-CSRF-Token": token})
    assert again.status_code == 409
    assert web.state.parts.outbox.drain().sent == 0 and len(sink.messages) == 1
    with seeded.store.engine.connect() as c:
        actions = [r.action for r in c.execute(select(s.audit_log.c.action).where(
            s.audit_log.c.message_id == mid))]
    assert {"approve", "enqueue_reply", "send"} <= set(actions)


def test_discard_and_assign(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    mid = message_ids(seeded)["<crash@example.com>"]
    client.post(f"/messages/{mid}/assign", data={"csrf_token": token})
    client.post(f"/messages/{mid}/discard", data={"csrf_token": token})
    info = client.get(f"/api/messages/{mid}").json()
    assert info["assignee"] == AGENT[0] and info["draft"]["status"] == "discarded"
    assert 'id="approve"' not in client.get(f"/messages/{mid}").text


def test_admin_can_activate_and_roll_back(web: Any, seeded: Any, tmp_path: Any) -> None:
    now = seeded.clock.now()
    with seeded.store.engine.begin() as c:
        for i, v in enumerate(("v1", "v2")):
            (tmp_path / v).write_bytes(b"model")
            c.execute(s.model_versions.insert().values(
                version=v, path=str(tmp_path / v), sha256="0" * 64,
                metrics={"macro_f1": 0.8 + i / 10},
                created_at=now, active=False))
    client = TestClient(web)
    token = login(client, ADMIN)
    html = client.get("/admin/models").text
    assert "macro_f1=0.9" in html
    # the note under the versions says what activation does: never "when the daemon restarts"
    # (the daemon asks the registry before each batch); a pinned model file is never swapped
    assert "when the daemon restarts" not in html
    assert "pinned by <code>classifier.model_path</code>" in html
    # the loaded model's training time is written like every other time on the pages
    assert re.search(r"Trained \d{4}-\d\d-\d\d \d\d:\d\d UTC on \d+ examples", html), html
    assert "reclassification and confirmation agents made" in html
    settings = web.state.parts.settings
    pinned = settings.classifier.model_path
    object.__setattr__(settings.classifier, "model_path", "")
    try:
        assert "from the next message on; no restart" in client.get("/admin/models").text
    finally:
        object.__setattr__(settings.classifier, "model_path", pinned)
    client.post("/admin/models/v1/activate", data={"csrf_token": token})
    client.post("/api/admin/models/v2/activate", headers={"X-CSRF-Token": token})
    assert models_admin.active(seeded.store)["version"] == "v2"
    seeded.clock.advance(timedelta(seconds=1))
    r = client.post("/api/admin/models/rollback", headers={"X-CSRF-Token": token})
    assert r.json() == {"active": "v1"}
    assert client.post("/api/admin/models/nope/activate",
                       headers={"X-CSRF-Token": token}).status_code == 404


def test_dashboard_counts_and_openapi(web: Any) -> None:
    client = TestClient(web)
    login(client, ADMIN)
    counts = client.get("/api/admin/dashboard").json()
    assert sum(counts["category"].values()) == 4
    assert sum(counts["channel"].values()) == 4
    spec = client.get("/api/openapi.json").json()
    assert "/api/messages/{message_id}/approve" in spec["paths"]
    assert "Open by category" in client.get("/admin").text
    pol = client.get("/api/admin/policies").json()
    assert {"channel": "email", "category": "complaint"}.items() <= pol[0].items()


@pytest.mark.parametrize("name,password,role,fragment", [
    ("has space", "long-enough-pw", "agent", "without spaces"),
    ("bob", "short", "agent", "shorter than"),
    ("bob", "long-enough-pw", "boss", "unknown role"),
])
def test_add_user_rejects_bad_input(seeded: Any, name: str, password: str, role: str,
                                    fragment: str) -> None:
    from triage.errors import ConfigError
    from triage.web.accounts import add_user

    with pytest.raises(ConfigError, match=fragment):
        add_user(seeded.store, name, password, role)


def test_models_page_shows_loaded_metrics_and_confusion_matrix(web: Any, seeded: Any) -> None:
    meta = seeded.classifier.meta
    meta.metrics = {"macro_f1": 0.87, "labels": ["complaint", "request"],
                    "confusion_matrix": [[40, 2], [3, 55]]}
    client = TestClient(web)
    login(client, ADMIN)
    html = client.get("/admin/models").text
    assert "macro_f1" in html and "0.87" in html
    cells = re.findall(r'<td class="num">(\d+)</td>', html.split('id="confusion"')[1])
    assert cells[:4] == ["40", "2", "3", "55"]


def test_retrain_registers_a_new_inactive_version(seeded: Any, smtp_outbox: Any,
                                                  tmp_path: Any) -> None:
    from classifiers.corpus_io import load_corpus
    from triage.web import create_app
    from triage.web.retrain import Retrainer

    corpus = load_corpus()
    small = [e for lab in sorted({e.label for e in corpus})
             for e in [x for x in corpus if x.label == lab][:25]]
    retrainer = Retrainer(seeded.store, tmp_path / "models", corpus=lambda: small)
    web = create_app(seeded.web_parts(outbox=smtp_outbox, retrainer=retrainer),
                     secret_key="r" * 64)
    client = TestClient(web)
    token = login(client, ADMIN)
    mid = message_ids(seeded)["<idea@example.com>"]
    client.post(f"/api/messages/{mid}/reclassify", json={"category": "complaint"},
                headers={"X-CSRF-Token": token})
    r = client.post("/admin/models/retrain", data={"csrf_token": token})
    assert "Retraining started" in r.text
    retrainer.join(120)
    status = client.get("/api/admin/models/retrain").json()
    assert status["state"] == "done", status
    assert f"{len(small) + 1} examples (1 from corrections)" in status["steps"]
    versions = client.get("/api/admin/models").json()
    assert [v["version"] for v in versions] == [status["version"], "bundled"]
    assert versions[0]["active"] is False
    assert "registered" in client.get("/admin/models/retrain").text


def test_message_page_explains_the_category_by_its_terms(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    login(client, AGENT)
    mid = message_ids(seeded)["<crash@example.com>"]
    html = client.get(f"/messages/{mid}").text
    assert "Words that moved the model" in html
    terms = re.findall(r'<span class="term">([^<]+)</span>',
                       html.split("Words that moved the model")[1])
    assert terms and "crashes" in terms, terms
    # whole words and phrases a person reads, never the model's word fragments
    words = set(re.findall(r"\w+", "App crashes on login The app crashes every time I try "
                                    "to log in, error 500.".lower()))
    assert all(set(t.split()) <= words for t in terms), terms


def test_review_page_also_serves_healthz_and_metrics(web: Any) -> None:
    client = TestClient(web)
    r = client.get("/healthz")
    assert r.status_code == 200, r.text
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "triage_" in metrics.text


def test_review_page_metrics_need_the_token_when_one_is_set(seeded: Any,
                                                           smtp_outbox: Any) -> None:
    from triage.services import App
    from triage.web import create_app

    settings = seeded.settings.model_copy(deep=True)
    settings.ops.metrics_token_env = "TRIAGE_METRICS_TOKEN"
    token = "review-page-metrics-token-0123456789"
    app = App(settings, clock=seeded.clock, environ={"TRIAGE_METRICS_TOKEN": token})
    client = TestClient(create_app(app.web_parts(outbox=smtp_outbox), secret_key="m" * 64))
    login(client, ADMIN)  # a signed-in admin is no bearer token either
    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and "triage_messages" in ok.text
    assert client.get("/healthz").json() == {"status": "up", "lag_seconds": 0}


def test_mark_resolved_meets_the_resolution_deadline(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    mid = message_ids(seeded)["<late@example.com>"]
    assert 'id="resolve"' not in client.get(f"/messages/{mid}").text  # none open: no button
    due = seeded.clock.now() + timedelta(days=3)
    assert seeded.sweeper.dstore.add_deadline(mid, "resolution", "email/3d", due, "normal")
    assert 'id="resolve"' in client.get(f"/messages/{mid}").text
    assert "Thread marked resolved" in client.post(f"/messages/{mid}/resolve",
                                                   data={"csrf_token": token}).text
    with seeded.store.engine.connect() as c:
        row = c.execute(select(s.deadlines).where(s.deadlines.c.message_id == mid,
                                                  s.deadlines.c.kind == "resolution")).one()
    assert row.state == "met" and row.met_by == AGENT[0]
    page = client.get(f"/messages/{mid}").text
    assert 'id="resolve"' not in page
    again = client.post(f"/messages/{mid}/resolve", data={"csrf_token": token}).text
    assert "no open resolution deadline" in again


def test_the_agent_switches_the_situation_and_the_draft_is_written_again(
        web: Any, seeded: Any) -> None:
    """The message page shows the detected situation and offers every situation (the
    holding reply too); switching supersedes the open draft, keeps the category, records no
    correction and is audited."""
    client = TestClient(web)
    token = login(client, AGENT)
    mid = message_ids(seeded)["<late@example.com>"]
    before = client.get(f"/api/messages/{mid}").json()
    assert before["draft"]["situation"] == "order_status"
    assert before["draft"]["drafted_text"] == before["draft"]["text"]
    page_html = client.get(f"/messages/{mid}").text
    shown = re.search(r'<p id="situation"><strong>([^<]+)</strong>', page_html)
    assert shown and shown.group(1) == "Order status or shipping delay"
    assert 'id="situation-picker"' in page_html and '<option value="holding"' in page_html
    # an agent's edit does not make the detected situation theirs
    client.post(f"/messages/{mid}/save", data={"subject": before["draft"]["subject"],
                                               "text": "edited", "csrf_token": token})
    assert "(detected)" in client.get(f"/messages/{mid}").text
    r = client.post(f"/messages/{mid}/situation",
                    data={"situation": "holding", "csrf_token": token}, follow_redirects=True)
    assert "Draft written again for: Holding reply" in r.text
    after = client.get(f"/api/messages/{mid}").json()
    assert after["draft"]["id"] != before["draft"]["id"]
    assert after["draft"]["situation"] == "holding"
    assert after["draft"]["template"] == "en/situations/holding.email.j2"
    assert after["draft"]["text"] != before["draft"]["text"]
    assert after["classification"]["category"] == before["classification"]["category"]
    with seeded.store.engine.connect() as c:
        assert c.execute(select(s.corrections)).first() is None
        old = c.execute(select(s.drafts.c.status).where(
            s.drafts.c.id == before["draft"]["id"])).scalar_one()
        audit = c.execute(select(s.audit_log).where(
            s.audit_log.c.action == "switch_situation")).one()
    assert old == "superseded"
    assert audit.actor == AGENT[0] and audit.message_id == mid
    assert '"to": "holding"' in json.dumps(audit.detail)
    page_html = client.get(f"/messages/{mid}").text
    assert re.search(r'<p id="situation"><strong>Holding reply', page_html)
    assert f"chosen by {AGENT[0]}" in page_html
    # back to the category's reply through the API; an unknown name is refused
    back = client.post(f"/api/messages/{mid}/situation", json={"situation": "general"},
                       headers={"X-CSRF-Token": token})
    assert back.status_code == 200 and back.json()["situation"] == "general"
    assert client.get(f"/api/messages/{mid}").json()["draft"]["template"].endswith(
        f"{before['classification']['category']}.email.j2")
    bad = client.post(f"/api/messages/{mid}/situation", json={"situation": "praise"},
                      headers={"X-CSRF-Token": token})
    assert bad.status_code == 409 and "unknown situation" in bad.json()["detail"]
