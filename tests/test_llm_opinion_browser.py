"""The local LLM's second opinion on the message page, in Debian's Chromium (Playwright): shown
beside the model's label, its text inert (an LLM's answer is as untrusted as the customer's
message it read)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_web import message_ids
from tests.test_web_browser import page, server, sign_in  # noqa: F401 (fixtures)

pytest.importorskip("playwright.sync_api")


def test_the_page_shows_the_llm_answer_beside_the_label(page: Any, seeded: Any) -> None:  # noqa: F811
    mid = message_ids(seeded)["<late@example.com>"]
    category = seeded.store.drafts.classification(mid)["category"]
    seeded.store.opinions.record_answer(
        mid, "complaint", 'late parcel <img src=x onerror="window.__pwned=1">', "llama3.1:8b")
    sign_in(page)
    page.goto(f"{page.base}/messages/{mid}")
    side = page.locator("section.side")
    opinion = side.locator("#llm-opinion")
    assert opinion.is_visible()
    assert opinion.inner_text().startswith(
        'Local LLM (llama3.1:8b) says: complaint — late parcel <img src=x onerror="window.'
        '__pwned=1">')
    assert "the label above stays" in opinion.inner_text()
    assert side.locator("#category").inner_text() == category  # not replaced
    assert opinion.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
