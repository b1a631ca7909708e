"""Issue 16's defects, played on the demo inbox (``triage demo --once`` data) through the
review page, ``triage status``, ``triage report`` and ``/metrics``."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW, add_to_maildir, make_email
from tests.test_web import csrf_of, login
from triage.cli.deadlines import report_data
from triage.cli.demo import setup_demo
from triage.cli.ops import status_report
from triage.clock import FrozenClock
from triage.config import load_settings
from triage.daemon import Daemon
from triage.deadlines.states import counts
from triage.models import RawItem
from triage.send.log import LogSender
from triage.send.outbox import Outbox
from triage.services import App
from triage.web.accounts import add_user

AGENT = ("ann", "agent-password-1")
ADMIN = ("root", "admin-password-1")

MALFORMED = (b"From: =?utf-8?B?////?= <>\r\nTo: support@demo.triage.example\r\n"
             b"Subject: \xff\xfe\x00\x01\x02\x03\x04\x05\x06\x07\r\n"
             b"Message-ID: <broken@example.net>\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\n"
             b"SGVsbG8g!!!d29ybGQ=\x00\x01\x02\x03***=====\r\n")


@pytest.fixture
def demo(tmp_path: Path, model_path: Path) -> Any:
    """The demo inbox processed at NOW, with an agent and an admin; replies are logged."""
    cfg = setup_demo(tmp_path / "demo", now=NOW)
    settings = load_settings(cfg)
    settings.classifier.model_path = str(model_path)
    app = App(settings, clock=FrozenClock(NOW), environ={})
    Daemon(app).poll_all()
    add_user(app.store, *AGENT, "agent")
    add_user(app.store, *ADMIN, "admin")
    yield app
    app.store.close()


def client_for(app: App, who: tuple[str, str] = AGENT) -> TestClient:
    from triage.web import create_app

    web = create_app(app.web_parts(outbox=Outbox(app.store, {"email": LogSender()})),
                     secret_key="t" * 64)
    client = TestClient(web)
    login(client, who)
    return client


def follow_up(app: App) -> int:
    """Message 31 of the demo: the customer's reply in thread T-18."""
    rows = [r for r in app.store.export_rows() if r["sender"] == "maria.santos@example.ph"]
    assert len(rows) == 2 and rows[0]["thread_id"] == rows[1]["thread_id"]
    return int(rows[-1]["id"])


def queue_ids(client: TestClient, **params: str) -> list[int]:
    """Every row of every page of the queue (the conversation's newest open message)."""
    out: list[int] = []
    page = 1
    while True:
        html = client.get("/queue", params={**params, "page": str(page)}).text
        out += [int(x) for x in re.findall(r'<tr class="row[^"]*" data-id="(\d+)"', html)]
        if 'id="next-page"' not in html:
            return out
        page += 1


def test_follow_up_is_in_the_queue_and_its_page_shows_the_due_time(demo: App) -> None:
    fid = follow_up(demo)
    client = client_for(demo)
    ids = queue_ids(client)
    assert ids.count(fid) == 1
    html = client.get(f"/messages/{fid}").text
    assert re.search(r'id="deadline-due">next response <span class="countdown"[^>]*>due ', html)


def test_the_thread_heading_counts_in_words_a_person_reads(demo: App) -> None:
    client = client_for(demo)
    fid = follow_up(demo)
    many = re.search(r'id="thread-count"[^>]*>\((\d+) (messages?) from the customer\)', client.get(
        f"/messages/{fid}").text)
    assert many and int(many[1]) >= 2 and many[2] == "messages"
    alone = next(r for r in demo.store.export_rows()
                 if r["sender"] == "weiling@example.sg")  # a one-message conversation
    assert "(1 message from the customer)</small>" in client.get(
        f"/messages/{alone['id']}").text


def test_a_conversation_counts_the_customers_messages_everywhere(demo: App) -> None:
    """T-18 holds the customer's two messages and our own mail seen in the inbox (#30): the
    queue said 3 and T-2 (answered through triage) 2. Every view counts the customer's."""
    fid = follow_up(demo)
    tid = demo.store.message(fid)["thread_id"]
    rows = [r for r in demo.store.export_rows() if r["thread_id"] == tid]
    assert len(rows) == 3 and sum(r["is_auto"] for r in rows) == 1  # our own mail
    client = client_for(demo)
    (row,) = [r for r in client.get("/api/queue").json() if r["id"] == fid]
    assert row["messages"] == 2
    queue = client.get("/queue").text
    assert re.search(rf'data-id="{fid}".*?<span class="count"[^>]*>2</span>', queue, re.S)
    assert "(2 messages from the customer)" in client.get(f"/messages/{fid}").text


def test_earlier_messages_link_by_number_not_by_a_state_word(demo: App) -> None:
    """The link to an earlier message of the thread read "open", the word every view uses for
    a conversation waiting for our reply, so an answered message looked open; it is the
    message's number now (the id the commands take)."""
    fid = follow_up(demo)
    html = client_for(demo).get(f"/messages/{fid}").text
    first = next(r["id"] for r in demo.store.export_rows()
                 if r["sender"] == "maria.santos@example.ph")
    assert re.search(rf'<a href="/messages/{first}"[^>]*>#{first}</a>', html)
    assert not re.search(r'<a href="/messages/\d+">open</a>', html)


def test_every_view_counts_the_same(demo: App) -> None:
    client = client_for(demo, ADMIN)
    want = counts(demo.store, demo.deadlines, NOW).as_dict()
    assert want["open"] > 10 and want["breached"] > 0 and want["met"] == 0
    queue = client.get("/queue").text
    shown = {k: int(re.search(rf'id="count-{k.replace("_", "-")}">(\d+)<', queue).group(1))
             for k in ("open", "waiting", "breached", "due_soon")}
    assert shown == {k: want[k] for k in shown}
    assert len(set(queue_ids(client))) == len(queue_ids(client)) == want["open"]
    for state in ("ok", "due_soon", "breached"):
        assert len(queue_ids(client, state=state)) == want[state]
    dash = client.get("/admin").text
    for k in want:
        assert f'id="total-{k.replace("_", "-")}">{want[k]}<' in dash, k
    assert status_report(demo)["deadlines"] == want
    _rows, rep = report_data(demo, NOW - timedelta(days=7), NOW)
    assert rep["now"] == want
    metrics = client.get("/metrics").text
    got = {m.group(1): int(float(m.group(2)))
           for m in re.finditer(r'triage_deadlines\{state="(\w+)"\} ([\d.]+)', metrics)}
    assert got == want


def test_sent_reply_is_credited_shown_and_meets_the_deadline(demo: App) -> None:
    fid = follow_up(demo)
    client = client_for(demo)
    html = client.get(f"/messages/{fid}").text
    r = client.post(f"/messages/{fid}/approve", data={
        "csrf_token": csrf_of(html), "subject": "Re: order PH-99102",
        "text": "Salamat po. Your replacement ships today."})
    assert r.status_code == 200
    page = client.get(f"/messages/{fid}").text
    assert "Reply by ann" in page and "Your replacement ships today." in page
    header = page.split('<p class="meta">')[1].split("</p>")[0]
    assert "answered" in header and "by ann" in header and "countdown" not in header
    assert fid not in queue_ids(client)
    _rows, rep = report_data(demo, NOW - timedelta(days=7), NOW + timedelta(minutes=1))
    assert "ann" in rep["agents"] and "(unknown)" not in rep["agents"]


def test_a_breached_draft_apologises_and_its_promise_holds_while_true(demo: App) -> None:
    """Opened after its deadline, a draft's promise is the near one after an apology, and
    opening it again an hour later says the same (it used to slide later each time)."""
    from triage.drafting.promises import OWN_THE_WAIT

    promised = [int(r["id"]) for r in demo.store.export_rows()
                if "We'll get back to you" in (r.get("draft") or "")]
    mid = next(m for m in promised
               if demo.store.drafts.current(m)["situation"] not in OWN_THE_WAIT)
    msg, draft = demo.store.message(mid), demo.store.drafts.current(mid)
    due = demo.store.queue.deadline(mid)["due_at"]
    zone = demo.review.renderer.zone_for("en")
    nine = (due + timedelta(days=1)).astimezone(zone).replace(hour=9, minute=0)
    demo.clock.set(nine.astimezone(UTC))
    first = demo.review.fresh_promise(msg, draft)
    late = ("Sorry for the late reply." if msg["channel"] == "social"
            else "Apologies for the late reply.")
    assert first is not None and late in first.text
    assert "this morning" in first.promise.sentence  # 11:00 leaves two hours before noon
    demo.clock.set((nine + timedelta(minutes=50)).astimezone(UTC))
    assert demo.review.fresh_promise(msg, draft).text == first.text


def test_no_reply_promises_a_time_that_has_passed(demo: App) -> None:
    from triage.drafting.promises import stated_time_warnings

    promised = [r for r in demo.store.export_rows()
                if "We'll get back to you" in (r.get("draft") or "")]
    assert promised, "the demo has English drafts with a day-part promise"
    mid = int(promised[0]["id"])
    old = demo.store.drafts.current(mid)["text"]
    msg, draft = demo.store.message(mid), demo.store.drafts.current(mid)
    for hours in range(1, 73):  # the agent opens it when its day part has passed
        demo.clock.set(NOW + timedelta(hours=hours))
        fresh = demo.review.fresh_promise(msg, draft)
        if fresh is not None and fresh.changed:
            break
    else:
        raise AssertionError("the promise never needed saying anew")
    client = client_for(demo)
    html = client.get(f"/messages/{mid}").text
    editor = html.split('id="draft-text"')[1].split("</textarea>")[0]
    assert 'id="promise-note"' in html and editor != old.replace("'", "&#39;")
    assert fresh.promise.sentence.replace("'", "&#39;") in editor
    # a time the agent typed that has already passed is refused unless confirmed
    text = demo.store.drafts.current(mid)["text"].replace("[[", "").replace("]]", "")
    zone = demo.review.renderer.zone_for("en")
    local = demo.clock.now().astimezone(zone)
    afternoon = local.replace(hour=15, minute=30) + timedelta(days=1 if local.hour >= 15 else 0)
    demo.clock.set(afternoon.astimezone(UTC))  # 15:30 for the customer: the morning is over
    client = client_for(demo)
    html = client.get(f"/messages/{mid}").text
    local = demo.clock.now().astimezone(zone)
    candidates = [f"We will call you {p}." for p in ("this morning", "this afternoon",
                                                     "this evening")]
    candidates += [f"We will call you at {local.hour - 1:02d}:{local.minute:02d}."]
    past = [c for c in candidates if stated_time_warnings(c, "en", demo.clock.now(), zone)]
    assert past, candidates
    late = past[0] + "\n\n" + text
    r = client.post(f"/messages/{mid}/approve", data={
        "csrf_token": csrf_of(html), "subject": "Re", "text": late})
    assert "already passed" in r.text and demo.store.queue.outbox_rows(mid) == []
    r = client.post(f"/messages/{mid}/approve", data={
        "csrf_token": csrf_of(html), "subject": "Re", "text": text})
    assert r.status_code == 200
    [sent] = demo.store.queue.outbox_rows(mid)
    assert sent["status"] == "sent"
    assert stated_time_warnings(sent["payload"]["text"], "en", demo.clock.now(), zone) == []
    assert sent["payload"]["text"] != old  # the promise was said anew, not the stale one


def test_malformed_mail_is_flagged_and_never_confident(demo: App) -> None:
    add_to_maildir(demo.settings.resolve_path(demo.settings.sources[0].path), MALFORMED)
    Daemon(demo).poll_all()
    rows = {r["message_id"]: r for r in demo.store.export_rows()}
    bad = rows["<broken@example.net>"]
    msg = demo.store.message(bad["id"])
    assert msg["defects"], msg
    cl = demo.store.drafts.classification(bad["id"])
    assert cl["needs_review"] and cl["confidence"] <= 0.5
    # no clean demo message is flagged
    assert [r["id"] for r in rows.values() if demo.store.message(r["id"])["defects"]] == [
        bad["id"]]
    html = client_for(demo).get(f"/messages/{bad['id']}").text
    assert 'id="defects"' in html and "not confident" in html


def test_quarantine_page_lists_downloads_retries_and_dismisses(demo: App) -> None:
    inbox = demo.settings.resolve_path(demo.settings.sources[0].path)
    add_to_maildir(inbox, b"\x00\x01 this is no email")
    Daemon(demo).poll_all()
    [q] = demo.store.quarantined.rows()
    admin = client_for(demo, ADMIN)
    page = admin.get("/admin/quarantine").text
    assert f'id="q-{q["id"]}"' in page and q["error"] in page
    raw = admin.get(f"/admin/quarantine/{q['id']}/raw")
    assert raw.content == b"\x00\x01 this is no email"
    assert raw.headers["content-disposition"].startswith("attachment")
    agent_page = client_for(demo).get(f"/messages/{q['id']}").text
    assert 'id="quarantine-reason"' in agent_page and "/reclassify" not in agent_page
    assert client_for(demo).get("/admin/quarantine").status_code == 403
    # a message quarantined while processing is retried after the fix
    raw = make_email("Where is my parcel?", "Order 5512 has not arrived.",
                     msgid="<retry@example.com>")
    item = demo.pipeline.to_ingest(RawItem("retry-1", raw), "email")
    [fid] = demo.store.add_items("demo-inbox", [item], demo.store.get_cursor("demo-inbox"),
                                 threader=demo.pipeline.threader)
    demo.store.quarantine(fid, "classifier failed: out of memory")
    r = admin.post(f"/admin/quarantine/{fid}/retry", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 200 and demo.store.message(fid)["status"] == "processed"
    assert demo.store.drafts.current(fid) is not None
    admin.post(f"/admin/quarantine/{q['id']}/dismiss", data={"csrf_token": csrf_of(page)})
    assert demo.store.quarantined.rows() == []


def test_templates_page_checks_before_saving(demo: App, tmp_path: Path) -> None:
    demo.settings.drafting.template_dir = str(tmp_path / "tpl")
    (tmp_path / "tpl").mkdir()
    demo.__dict__.pop("renderer", None)  # rebuilt with the operator's template directory
    admin = client_for(demo, ADMIN)
    listing = admin.get("/admin/templates").text
    assert "en/request.email.j2" in listing and 'id="template-check"' in listing
    fid = follow_up(demo)
    page = admin.get("/admin/templates/tl/request.email.j2", params={"message_id": fid}).text
    assert "maria" in page.split('id="template-preview"')[1].lower()
    bad = admin.post("/admin/templates/en/request.email.j2", data={
        "csrf_token": csrf_of(page), "source": "Hi {{ customer_nam }}\n{{ reference }}"})
    assert bad.status_code == 422 and "customer_nam" in bad.text
    assert not (tmp_path / "tpl" / "en" / "request.email.j2").exists()
    good = admin.post("/admin/templates/en/request.email.j2", data={
        "csrf_token": csrf_of(page), "source": "Hello {{ first_name }}, ref {{ reference }}."})
    assert good.status_code == 200
    assert (tmp_path / "tpl" / "en" / "request.email.j2").read_text().startswith("Hello")
    assert client_for(demo).get("/admin/templates").status_code == 403


def test_dashboard_shows_the_report_charts(demo: App) -> None:
    admin = client_for(demo, ADMIN)
    assert 'src="/admin/charts/backlog.png"' in admin.get("/admin").text
    png = admin.get("/admin/charts/backlog.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert admin.get("/admin/charts/nope.png").status_code == 404


def test_deadline_policies_are_validated_written_back_and_applied(demo: App) -> None:
    import tomllib

    cfg = demo.settings.config_path
    assert cfg is not None
    admin = client_for(demo, ADMIN)
    page = admin.get("/admin/policies").text
    assert 'name="target_email" value="24h"' in page
    # the targets in force are written like the form and the config file ("24h", not
    # Python's "1 day, 0:00:00"), with the priority factors that shorten them
    in_force = page.split('id="policies-in-force"')[1]
    assert "<td>email</td><td>complaint</td><td>24h</td><td>3h before</td>" in in_force
    assert "0:00" not in in_force.split("</table>")[0]
    assert "urgent &times;0.25" in in_force and "high &times;0.5" in in_force
    form = {k: v for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', page)
            if k != "csrf_token"}
    before = cfg.read_text()
    bad = admin.post("/admin/policies", data={**form, "csrf_token": csrf_of(page),
                                              "target_email": "soon", "warn_social": "2h"})
    assert bad.status_code == 422 and "is not a duration" in bad.text
    assert "must be shorter than the target" in bad.text
    assert cfg.read_text() == before  # nothing written
    ok = admin.post("/admin/policies", data={**form, "csrf_token": csrf_of(page),
                                             "target_email": "8h",
                                             "override_email_complaint": "4h"})
    assert ok.status_code == 200, ok.text
    written = tomllib.loads(cfg.read_text())
    assert written["deadlines"]["email"] == "8h"
    assert written["deadlines"]["overrides"]["email"]["complaint"] == "4h"
    assert "# Demo configuration" in cfg.read_text() and before != cfg.read_text()
    assert demo.deadlines.target("email", "request").within == timedelta(hours=8)
    assert demo.deadlines.target("email", "complaint").within == timedelta(hours=4)


def test_every_draft_for_a_stored_message_sees_its_attachments_and_privacy(
        demo: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The display-time promise check detects the situation again for a draft stored without
    one; it used to build its request by hand and leave out the attachments and the private
    flag, so a customer's photo did not count there although processing had seen it."""
    from triage.drafting.request import request_for

    mid = next(int(r["id"]) for r in demo.store.export_rows() if r.get("draft"))
    msg = dict(demo.store.message(mid), private=True,
               attachments=[{"content_type": "image/jpeg", "filename": "crack.jpg"}])
    draft = dict(demo.store.drafts.current(mid), situation="")
    seen: list[Any] = []
    original = demo.review.renderer.situation_for

    def recording(req: Any) -> Any:
        seen.append(req)
        return original(req)

    monkeypatch.setattr(demo.review.renderer, "situation_for", recording)
    demo.review.fresh_promise(msg, draft)
    assert len(seen) == 1
    req = seen[0]
    assert req.attachment_types == ("image/jpeg",) and req.private is True
    built = request_for(msg, category=req.category, language=req.language,
                        needs_review=req.needs_review)
    assert req == built
    assert (built.thread_id, built.channel, built.text) == (
        msg["thread_id"] or mid, msg["channel"], msg["text"])
