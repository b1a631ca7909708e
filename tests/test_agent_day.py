"""An agent's day in a real browser (Playwright driving Debian's Chromium against uvicorn).

The store holds 300 generated customer mails in en/vi/id/tl (``bench/mailgen``) plus a breached
thread with the customer's follow-up, mail with Cc, with an attachment and an inline image, a
malformed mail, and an archive import that repeats stored Message-IDs. The agent works the
queue; every open conversation appears exactly once, the queue, the dashboard, ``triage
status``, ``triage report`` and ``/metrics`` agree before and after, no sent reply promises a
time already past, and each sent reply is in its thread and credited to its agent.
Screenshots (desktop and 390 px phone width) go to docs/img/ with TRIAGE_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bench.mailgen import BASE_DATE, generate
from tests.conftest import add_to_maildir, make_email
from tests.test_conversations_web import MALFORMED
from tests.test_web_browser import ARGS, CHROMIUM, IMG
from triage.cli.deadlines import report_data
from triage.cli.ops import status_report
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.deadlines.states import counts
from triage.drafting.promises import stated_time_warnings
from triage.models import RawItem
from triage.send.log import LogSender
from triage.send.outbox import Outbox
from triage.services import App
from triage.web import create_app
from triage.web.accounts import add_user
from triage.web.server import WebServer

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")

NOW = BASE_DATE + timedelta(hours=36)
AGENT = ("ann", "agent-password-1")
ADMIN = ("root", "admin-password-1")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def mail(subject: str, body: str, sender: str, msgid: str, when: Any, **headers: str) -> bytes:
    return make_email(subject, body, sender, msgid, when, **headers)


def with_files(raw_subject: str, msgid: str) -> bytes:
    m = EmailMessage()
    m["From"] = "Dewi <dewi@example.co.id>"
    m["To"] = "support@example.com"
    m["Subject"] = raw_subject
    m["Date"] = format_datetime(NOW - timedelta(hours=2))
    m["Message-ID"] = msgid
    m.set_content("Aplikasi error saat bayar, lihat lampiran dan screenshot.")
    m.add_related(PNG, maintype="image", subtype="png", cid="<shot1>", filename="shot.png",
                  disposition="inline")
    m.add_attachment(b"%PDF-1.4 invoice 4411", maintype="application", subtype="pdf",
                     filename="invoice-4411.pdf")
    m.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html",
                     filename="page.html")
    return bytes(m)


@pytest.fixture
def day(tmp_path: Path, model_path: Path) -> Iterator[App]:
    """The store of the agent's day (see the module docstring)."""
    box = tmp_path / "Maildir"
    import mailbox

    mailbox.Maildir(str(box), create=True).close()
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "drafting": {"support_address": "support@example.com", "team_name": "Support"},
        "sources": [{"name": "inbox", "type": "maildir", "path": str(box)}]})
    app = App(settings, clock=FrozenClock(NOW), environ={})
    raws = generate(300, seed=16)
    for raw in raws:
        add_to_maildir(box, raw)
    old = NOW - timedelta(days=2)
    add_to_maildir(box, mail("Refund still missing", "I returned the shoes, where is my "
                             "refund for order 7781?", "Lina <lina@example.com>",
                             "<late-1@example.com>", old))
    add_to_maildir(box, mail("Re: Refund still missing", "We are checking with the warehouse.",
                             "Support <support@example.com>", "<late-2@example.com>",
                             old + timedelta(hours=3), In_Reply_To="<late-1@example.com>",
                             References="<late-1@example.com>"))
    add_to_maildir(box, mail("Re: Refund still missing", "It has been two days. Please "
                             "refund order 7781 now.", "Lina <lina@example.com>",
                             "<late-3@example.com>", NOW - timedelta(hours=30),
                             In_Reply_To="<late-2@example.com>",
                             References="<late-1@example.com> <late-2@example.com>"))
    add_to_maildir(box, mail("Invoice for our team", "Please send the October invoice for "
                             "account 5521 to me and my manager.", "Kevin <kevin@example.sg>",
                             "<cc-1@example.sg>", NOW - timedelta(hours=1),
                             Cc="Mei <mei@example.sg>, support@example.com"))
    add_to_maildir(box, with_files("Payment error", "<files-1@example.co.id>"))
    add_to_maildir(box, MALFORMED)
    Daemon(app).poll_all()
    Daemon(app).sweep_deadlines()
    # an archive import repeating five stored Message-IDs: reported, not stored again
    stats = app.pipeline.import_items("archive", [RawItem(f"a{i}", r)
                                                  for i, r in enumerate(raws[:5])])
    assert stats.duplicates == 5 and stats.stored == 0
    add_user(app.store, *AGENT, "agent")
    add_user(app.store, *ADMIN, "admin")
    yield app
    app.store.close()


@pytest.fixture
def server(day: App) -> Iterator[str]:
    stop = threading.Event()
    parts = day.web_parts(outbox=Outbox(day.store, {"email": LogSender()}))
    srv = WebServer(create_app(parts, secret_key="d" * 64), "127.0.0.1", _port(), stop)
    srv.start()
    yield srv.url
    stop.set()
    srv.stop()


def _port() -> int:
    from tests.fixtures_web import free_port

    return free_port()


@pytest.fixture
def browser(server: str) -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        b.base = server  # type: ignore[attr-defined]
        yield b
        b.close()


def signed_in(browser: Any, who: tuple[str, str], width: int = 1280) -> Any:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        "http://127.0.0.1:") else r.abort())
    pg.on("dialog", lambda d: d.accept())
    pg.goto(browser.base + "/login")
    pg.get_by_label("Username").fill(who[0])
    pg.get_by_label("Password").fill(who[1])
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_url(re.compile(r".*/queue$"))
    return pg


def queue_convs(pg: Any, base: str) -> list[int]:
    """Every conversation key of every queue page."""
    out: list[int] = []
    page = 1
    while True:
        pg.goto(f"{base}/queue?page={page}")
        out += [int(x) for x in pg.locator("#queue-rows tr.row").evaluate_all(
            "rs => rs.map(r => r.getAttribute('data-conv'))")]
        if pg.locator("#next-page").count() == 0:
            return out
        page += 1


def five_views(app: App, agent: Any, admin: Any, base: str) -> dict[str, int]:
    """The counts as the queue, dashboard, status, report and metrics show them; asserts
    they agree and returns them."""
    want = counts(app.store, app.deadlines, NOW).as_dict()
    agent.goto(base + "/queue")
    for k in ("open", "waiting", "breached", "due_soon"):
        assert int(agent.locator(f"#count-{k.replace('_', '-')}").inner_text()) == want[k], k
    admin.goto(base + "/admin")
    for k, v in want.items():
        assert int(admin.locator(f"#total-{k.replace('_', '-')}").inner_text()) == v, k
    assert status_report(app)["deadlines"] == want
    assert report_data(app, NOW - timedelta(days=7), NOW + timedelta(seconds=1))[1]["now"] == want
    metrics = admin.request.get(base + "/metrics").text()
    got = {m.group(1): int(float(m.group(2)))
           for m in re.finditer(r'triage_deadlines\{state="(\w+)"\} ([\d.]+)', metrics)}
    assert got == want
    convs = queue_convs(agent, base)
    assert len(convs) == len(set(convs)) == want["open"]
    return want


def shot(pg: Any, name: str, full_page: bool = True) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(IMG / f"{name}.png"), full_page=full_page)


def no_sideways_scroll(pg: Any) -> None:
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{pg.url} is {width}px wide at 390px"


def sent_and_shown(pg: Any, tries: int = 50) -> None:
    """Reload until the reply the page sends after answering is shown sent (the send runs
    right after the response, so the first page may still show it sending)."""
    for _ in range(tries):
        if pg.locator("#deadline-met").count():
            return
        pg.wait_for_timeout(100)
        pg.reload()
    raise AssertionError("the approved reply was not sent")


def open_message(pg: Any, base: str, app: App, msgid: str) -> int:
    [row] = [r for r in app.store.export_rows() if r["message_id"] == msgid]
    pg.goto(f"{base}/messages/{row['id']}")
    return int(row["id"])


def test_an_agents_day(day: App, browser: Any) -> None:
    base = browser.base
    assert len(day.store.export_rows()) >= 300
    assert {r["language"] for r in day.store.export_rows() if r["language"]} >= {
        "en", "vi", "id", "tl"}
    agent, admin = signed_in(browser, AGENT), signed_in(browser, ADMIN)
    before = five_views(day, agent, admin, base)
    assert before["breached"] > 0 and before["open"] > 100
    agent.goto(base + "/queue")
    shot(agent, "queue", full_page=False)
    admin.goto(base + "/admin")
    shot(admin, "dashboard")

    # the breached thread: the customer's follow-up is the conversation's row
    fid = open_message(agent, base, day, "<late-3@example.com>")
    assert "next response overdue" in agent.locator("#deadline-due").inner_text()  # breached
    assert agent.locator(".meta .badge.state-breached").count() == 1
    assert agent.locator("#dry-run").count() == 1  # replies are only logged here
    agent.get_by_label("Internal note").fill("Warehouse confirmed the return on Tuesday.")
    agent.get_by_role("button", name="Add note").click()
    agent.wait_for_load_state()
    assert "never sent" in agent.locator("article.note").inner_text()
    agent.get_by_label("Canned text").select_option(label="template: request")
    drafted = agent.get_by_label("Reply", exact=True).input_value()
    edited = drafted + "\nP.S. a line of mine"
    agent.get_by_label("Reply", exact=True).fill(edited)
    agent.once("dialog", lambda dialog: dialog.accept())  # "Replace your edited reply?"
    agent.get_by_role("button", name="Insert").click()
    # wait for the inserted text itself: the draft already there is a long text too, and a
    # loaded machine read it before the template arrived
    agent.wait_for_function("prev => document.getElementById('draft-text').value !== prev",
                            arg=edited)
    inserted = agent.get_by_label("Reply", exact=True).input_value()
    # a template is a whole reply: it replaces the draft instead of doubling the greeting,
    # the signature and the reference
    assert inserted.count("Hi Lina") == 1 and inserted.count("Best regards") == 1, inserted
    # drafted with the thread, as triage drafted it: Lina is chasing our reply (it was
    # "Thanks for your message about your refund", as if she had written for the first time)
    assert "write to us again about your refund" in inserted, inserted
    assert "P.S." not in inserted
    shot(agent, "message")
    agent.get_by_label("Reply", exact=True).fill(
        "Hi Lina,\n\nYour refund for order 7781 was sent today.\n\nSupport")
    agent.get_by_role("button", name="Approve and send").click()
    agent.wait_for_load_state()
    assert "Reply by ann" in agent.locator("article.reply").inner_text()
    sent_and_shown(agent)
    assert "by ann" in agent.locator("#deadline-met").inner_text()
    shot(agent, "message-sent")

    # Cc kept: reply-all copies the manager, never our own address
    cid = open_message(agent, base, day, "<cc-1@example.sg>")
    assert "mei@example.sg" in agent.locator("#cc").inner_text()
    text = agent.get_by_label("Reply", exact=True).input_value()
    agent.get_by_label("Reply", exact=True).fill(re.sub(r"\[\[fill:[^\]]*\]\]", "5521", text))
    agent.get_by_role("button", name=re.compile(r"Reply all")).click()
    agent.wait_for_load_state()
    [sent] = day.store.queue.outbox_rows(cid)
    assert sent["payload"]["extra"]["cc"] == "mei@example.sg"

    # attachments: listed, downloaded as attachments, the inline image only on request
    open_message(agent, base, day, "<files-1@example.co.id>")
    links = agent.locator("ul.attachments a.download")
    assert links.count() == 2 and "invoice-4411.pdf" in agent.locator(
        "ul.attachments").inner_text()
    resp = agent.request.get(base + links.nth(1).get_attribute("href"))
    assert resp.body() == b"<script>alert(1)</script>"
    assert resp.headers["content-disposition"].startswith("attachment")
    assert resp.headers["content-type"] == "application/octet-stream"
    assert agent.locator("img.inline-image").count() == 0
    agent.get_by_role("button", name=re.compile("Show image")).click()
    agent.wait_for_function("() => { const i = document.querySelector('img.inline-image');"
                            " return !!i && i.complete && i.naturalWidth > 0; }")

    # malformed mail: flagged, sent to review, not confident
    open_message(agent, base, day, "<broken@example.net>")
    assert agent.locator("#defects").count() == 1
    assert "not confident" in agent.locator(".side").inner_text()

    # bulk: assign two unassigned conversations to me, then approve ready ones, discard one
    agent.goto(base + "/queue?assignee=unassigned")
    boxes = agent.locator("#queue-rows input[type=checkbox]")
    picked = [boxes.nth(i).get_attribute("value") for i in range(2)]
    boxes.nth(0).check()
    boxes.nth(1).check()
    agent.locator("#bulk-action").select_option("assign")
    agent.locator("#bulk-agent").select_option("ann")
    agent.get_by_role("button", name="Apply").click()
    agent.wait_for_load_state()
    agent.goto(base + "/queue?assignee=mine")
    mine = agent.locator("#queue-rows tr.row").evaluate_all(
        "rs => rs.map(r => r.getAttribute('data-id'))")
    assert set(picked) <= set(mine)
    agent.locator(f"#queue-rows input[value='{picked[0]}']").check()
    agent.locator("#bulk-action").select_option("discard")
    agent.get_by_role("button", name="Apply").click()
    agent.wait_for_load_state()
    assert agent.locator("#discard-list li").count() == 1
    agent.get_by_role("button", name="Discard").click()
    agent.wait_for_load_state()
    assert picked[0] not in agent.locator("#queue-rows tr.row").evaluate_all(
        "rs => rs.map(r => r.getAttribute('data-id'))")
    agent.get_by_role("button", name=re.compile("Undo discard")).click()
    agent.wait_for_load_state()
    agent.goto(f"{base}/messages/{picked[0]}")
    assert agent.locator("#draft-status").inner_text() == "pending review"
    agent.goto(base + "/queue?sort=received")
    # three drafts that can go as they are: a draft with a [[fill: ...]] left is refused (which
    # rows those are depends on the model, so they are looked up, not taken by position)
    rows = agent.locator("#queue-rows tr.row").evaluate_all(
        "rs => rs.map(r => r.getAttribute('data-id'))")
    ready = [r for r in rows
             if "[[fill:" not in ((day.store.drafts.current(int(r)) or {}).get("text") or "")][:3]
    assert len(ready) == 3, rows
    for r in ready:
        agent.locator(f"#queue-rows input[value='{r}']").check()
    agent.locator("#bulk-action").select_option("approve")
    agent.get_by_role("button", name="Apply").click()
    agent.wait_for_load_state()

    # after the day: the numbers still agree, replies are credited, no promise is past
    after = five_views(day, agent, admin, base)
    assert after["met"] > before["met"] and after["open"] < before["open"]
    _rows, rep = report_data(day, NOW - timedelta(days=7), NOW + timedelta(seconds=1))
    assert "ann" in rep["agents"] and "(unknown)" not in rep["agents"]
    sent_rows = [o for r in day.store.export_rows() for o in day.store.queue.outbox_rows(r["id"])
                 if o["status"] == "sent"]
    assert len(sent_rows) >= 3
    for o in sent_rows:
        msg = day.store.message(o["message_id"])
        thread = [t["id"] for t in day.store.queue.thread_replies(msg)]
        assert o["id"] in thread and o["actor"] == "ann"
        cl = day.store.drafts.classification(o["message_id"]) or {}
        lang = cl.get("language") or "en"
        assert stated_time_warnings(o["payload"]["text"], lang, o["sent_at"],
                                    day.review.renderer.zone_for(lang)) == [], o["id"]

    # quarantine page for admins
    admin.goto(base + "/admin/quarantine")
    shot(admin, "quarantine")

    # 390 px phone: queue and message page without sideways scrolling
    phone = signed_in(browser, AGENT, width=390)
    phone.goto(base + "/queue")
    no_sideways_scroll(phone)
    shot(phone, "queue-phone", full_page=False)
    phone.goto(f"{base}/messages/{fid}")
    no_sideways_scroll(phone)
    shot(phone, "message-phone")
