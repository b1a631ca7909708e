"""The review page in a real browser: Playwright driving Debian's Chromium against uvicorn.

Covers sign-in, the queue (keyboard), editing and approving a draft that an aiosmtpd server
receives correctly threaded, reclassifying, and customer payloads that must stay inert. The
screenshots in docs/img/ (used by docs/agents.md) are made here with TRIAGE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.fixtures_web import AGENT, free_port
from triage.store import schema as s
from triage.web import create_app
from triage.web.server import WebServer

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
DOCS_IMG = Path(__file__).parent.parent / "docs" / "img"
IMG = (DOCS_IMG if os.environ.get("TRIAGE_SCREENSHOTS") == "1"
       else Path(tempfile.mkdtemp(prefix="triage-screens-")))
"""Screenshots go to docs/img/ only with TRIAGE_SCREENSHOTS=1 (so a test run leaves the tree
clean); otherwise to a temporary directory."""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium "
                                "(apt-get install chromium)")


@pytest.fixture
def server(seeded: Any, smtp_outbox: Any) -> Iterator[str]:
    """The review page served by uvicorn on a free loopback port."""
    stop = threading.Event()
    srv = WebServer(create_app(seeded.web_parts(outbox=smtp_outbox), secret_key="b" * 64),
                    "127.0.0.1", free_port(), stop)
    srv.start()
    yield srv.url
    stop.set()
    srv.stop()


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    """A Chromium page that may only reach 127.0.0.1 and records dialogs and errors."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            "http://127.0.0.1:") else r.abort())
        pg.dialogs = []  # type: ignore[attr-defined]
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.base = server  # type: ignore[attr-defined]
        yield pg
        browser.close()


def sign_in(pg: Any) -> None:
    pg.goto(pg.base + "/login")
    pg.get_by_label("Username").fill(AGENT[0])
    pg.get_by_label("Password").fill(AGENT[1])
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_url(re.compile(r".*/queue$"))


def test_agent_reviews_edits_and_sends(page: Any, seeded: Any, smtp_server_sink: Any) -> None:
    sink, _ = smtp_server_sink
    sign_in(page)
    rows = page.locator("#queue-rows tr.row")
    assert rows.count() == 4
    page.keyboard.press("j")
    assert "selected" in (rows.nth(0).get_attribute("class") or "")
    page.keyboard.press("j")
    assert "selected" in (rows.nth(1).get_attribute("class") or "")
    # a refresh (htmx swaps the rows) keeps the agent's place
    with page.expect_response(re.compile(r".*/queue/rows.*")):
        page.locator("#filters select[name=category]").dispatch_event("change")
    page.wait_for_function("document.querySelector('#queue-rows tr.selected') !== null")
    assert "selected" in (rows.nth(1).get_attribute("class") or "")
    page.keyboard.press("k")
    assert "overdue" not in rows.nth(0).locator(".countdown").inner_text()
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "queue-keyboard.png"), full_page=True)

    first = rows.nth(0).locator("a.open")
    assert first.inner_text() == "My order is late"
    first.click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    mid = int(page.url.rsplit("/", 1)[1])
    editor = page.get_by_label("Reply")
    editor.fill("Hi Ann,\n\nWe refund [[fill: refund amount]] today.\n\nSupport")
    assert page.locator("#placeholder-list mark.fill").inner_text() == "refund amount"
    page.screenshot(path=str(IMG / "placeholders.png"), full_page=True)
    approve = page.get_by_role("button", name="Approve and send")
    assert approve.get_attribute("aria-disabled") == "true"
    approve.click(force=True)  # the server must refuse it too
    page.wait_for_load_state()
    assert "refund amount" in page.locator(".flash-error").inner_text()
    assert not sink.messages

    page.locator("#subject").click()  # leave the editor, then use the keyboard: e, a
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "draft-text"
    page.get_by_label("Reply").fill("Hi Ann,\n\nYour parcel ships today, sorry for the wait."
                                    "\n\nSupport")
    page.keyboard.press("a")  # typed into the editor: not a shortcut
    assert not sink.messages
    page.locator("#subject").click()
    with page.expect_navigation():
        page.keyboard.press("a")
    assert sink.arrived.wait(10), "the SMTP server received no reply"
    msg = sink.parsed()
    assert msg["To"] == "ann.customer@example.com"
    assert msg["In-Reply-To"] == "<late@example.com>"
    assert "<late@example.com>" in msg["References"]
    assert re.fullmatch(r"Re: My order is late \[#T-\d+\]", msg["Subject"])
    assert "ships today" in msg.get_content() and "Supporta" in msg.get_content()
    page.reload()
    assert page.locator("#draft-status").inner_text() == "sent"
    assert "met" in page.locator(".meta .badge").inner_text()
    with seeded.store.engine.connect() as c:
        assert c.execute(select(s.outbox.c.status).where(
            s.outbox.c.message_id == mid)).scalar_one() == "sent"


def test_reclassify_shows_new_draft_and_stores_correction(page: Any, seeded: Any) -> None:
    sign_in(page)
    page.get_by_role("link", name="Idea").click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    before = page.get_by_label("Reply").input_value()
    old = page.locator("#category").inner_text()
    new = "complaint" if old != "complaint" else "request"
    page.get_by_label("New category").select_option(new)
    page.get_by_role("button", name="Reclassify").click()
    page.wait_for_load_state()
    assert page.locator("#category").inner_text() == new
    after = page.get_by_label("Reply").input_value()
    assert after != before
    assert f"{old} → {new} by {AGENT[0]}" in page.locator("#corrections").inner_text()
    with seeded.store.engine.connect() as c:
        row = c.execute(select(s.corrections)).one()
    assert (row.old_category, row.new_category, row.agent) == (old, new, AGENT[0])


def test_message_header_says_overdue_once(page: Any, seeded: Any) -> None:
    """A breached deadline reads "first response overdue 2d 3h" in the header, not "first
    response due overdue ..." (the countdown replaces the due time, "due" included)."""
    seeded.clock.advance(timedelta(days=3))
    sign_in(page)
    page.locator("#queue-rows tr.row a.open").first.click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    header = page.locator("#deadline-due").inner_text()
    assert re.fullmatch(r"(first|next) response overdue \d+d \d+h", header), header
    assert "due overdue" not in page.locator("p.meta").first.inner_text()


def test_reply_editor_uses_the_pages_font(page: Any, seeded: Any) -> None:
    """The reply editor is written in the page's font, not a monospace one: every monospace
    font Debian ships (Liberation Mono, DejaVu Sans Mono) lacks the precomposed Vietnamese
    letters with two marks (U+1EC1 "ề", U+1ED7 "ỗ"), so Chromium drew them decomposed with
    the marks beside the letter ("tiêu đề`thư", "hỗ˜trợ") in every Vietnamese draft."""
    sign_in(page)
    page.locator("#queue-rows tr.row a.open").first.click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    editor = page.evaluate("getComputedStyle(document.getElementById('draft-text')).fontFamily")
    body = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert editor == body and "mono" not in editor.lower(), editor


def test_hostile_message_is_inert(page: Any, seeded: Any) -> None:
    sign_in(page)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    link = page.locator("a.open", has_text="window.__pwned")
    assert link.count() == 1  # the subject is shown as text, not markup
    link.click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    assert "<script>" in page.locator("#subject").inner_text()
    for view in ("text", "html"):
        page.goto(page.url.split("?")[0] + f"?view={view}")
        page.wait_for_load_state("load")
        if view == "html":
            body = page.locator("article.current .html-body")
            assert body.locator("script, img, [onerror], [onmouseover]").count() == 0
            page.locator("article.current .html-body div", has_text="hover").hover()
            evil = body.locator("a", has_text="click me")
            assert (evil.get_attribute("href") or "").startswith("javascript:") is False
            evil.click()
            assert "1 remote image(s) blocked" in page.locator("article.current").inner_text()
        assert page.evaluate("typeof window.__pwned") == "undefined", view
    assert page.dialogs == []
