"""Security of the review page in a real browser (Playwright driving Debian's Chromium against
uvicorn): the security headers and what the CSP blocks, sessions that end for every copy of
the cookie, and the admins' audit log with its export (#18)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_web import ADMIN, AGENT
from tests.test_web_browser import ARGS, CHROMIUM, server  # noqa: F401 (fixture)

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium "
                                "(apt-get install chromium)")


@pytest.fixture
def browser(server: str) -> Iterator[Any]:  # noqa: F811
    """A Chromium that may only reach 127.0.0.1; ``browser.tab()`` opens a fresh profile."""
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)

        def tab(cookies: list[dict[str, Any]] | None = None) -> Any:
            ctx = b.new_context(accept_downloads=True)
            if cookies:
                ctx.add_cookies(cookies)
            pg = ctx.new_page()
            pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                "http://127.0.0.1:") else r.abort())
            pg.base = server  # type: ignore[attr-defined]
            return pg

        b.tab = tab  # type: ignore[attr-defined]
        yield b
        b.close()


def sign_in(pg: Any, who: tuple[str, str]) -> None:
    pg.goto(pg.base + "/login")
    pg.get_by_label("Username").fill(who[0])
    pg.get_by_label("Password").fill(who[1])
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_url(re.compile(r".*/queue$"))


def on_queue(pg: Any) -> bool:
    pg.goto(pg.base + "/queue")
    return pg.url.endswith("/queue")


def test_headers_and_the_csp_hold_in_the_browser(browser: Any) -> None:
    pg = browser.tab()
    response = pg.goto(pg.base + "/login")
    h = response.headers
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "script-src 'self'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    # what an injected inline script would meet: the browser refuses to run it
    with pytest.raises(Exception, match=r"(?i)content security policy|refused"):
        pg.add_script_tag(content="window.__ran = true")
    assert pg.evaluate("window.__ran === undefined")
    # and the page cannot be framed by another page
    pg.set_content(f'<iframe id="f" src="{pg.base}/login"></iframe>')
    pg.wait_for_timeout(500)
    frame = pg.frame_locator("#f")
    assert frame.locator("#username").count() == 0


def test_sessions_end_for_every_copy_of_the_cookie(browser: Any) -> None:
    agent = browser.tab()
    sign_in(agent, AGENT)
    stolen = browser.tab(agent.context.cookies())  # a copy of the cookie, as a thief has it
    assert on_queue(stolen)
    agent.get_by_role("button", name="Sign out").click()
    agent.wait_for_url(re.compile(r".*/login$"))
    assert not on_queue(stolen)  # #18 defect 1: this opened the queue before

    # an admin's "Sign out everywhere" ends the agent's sessions on every device
    phone, laptop = browser.tab(), browser.tab()
    sign_in(phone, AGENT)
    sign_in(laptop, AGENT)
    admin = browser.tab()
    sign_in(admin, ADMIN)
    admin.goto(admin.base + "/admin/users")
    row = admin.locator(f"#user-{AGENT[0]}")
    assert row.locator("td.num").inner_text() == "2"
    row.get_by_role("button", name="Sign out everywhere").click()
    admin.wait_for_url(re.compile(r".*/admin/users$"))
    assert "2 session(s) ended" in admin.content()
    assert not on_queue(phone) and not on_queue(laptop)
    assert on_queue(admin)


def test_admin_reads_and_exports_the_audit_log(browser: Any, tmp_path: Path) -> None:
    agent = browser.tab()
    sign_in(agent, AGENT)
    agent.get_by_role("button", name="Sign out").click()
    admin = browser.tab()
    sign_in(admin, ADMIN)
    admin.get_by_role("link", name="Audit log").click()
    admin.wait_for_url(re.compile(r".*/admin/audit$"))
    lines = admin.locator("tr.audit-line")
    assert lines.count() >= 3
    text = admin.locator("#audit").inner_text()
    assert "logout" in text and AGENT[0] in text and "127.0.0.1" in text
    admin.locator("select[name=action]").select_option("logout")
    admin.get_by_role("button", name="Show").click()
    admin.wait_for_url(re.compile(r".*action=logout.*"))
    assert admin.locator("tr.audit-line").count() == 1
    with admin.expect_download() as dl:
        admin.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "audit.csv"
    dl.value.save_as(path)
    exported = path.read_text("utf-8").splitlines()
    assert exported[0] == "at,actor,action,client,message_id,detail"
    assert len(exported) == 2 and f",{AGENT[0]},logout,127.0.0.1," in exported[1]
