"""The sentence encoder's re-score on the message page, in the API and in ``triage show``
(issue #17, item 5): beside the model's label, the fast model's category before, the blend's
category and confidence, the head's version and whether the label changed.

The re-scores are written by the real job (:class:`EncoderRescorer`) with a scorer that
answers fixed probabilities, so these tests do not load the encoder; the page is checked with
the web test client and once in Chromium (Playwright).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW
from tests.fixtures_web import AGENT
from tests.test_cli_review import cli  # noqa: F401 (fixture)
from tests.test_store_aggregates import DRAFT, ingest
from tests.test_web import login, message_ids
from tests.test_web_browser import IMG, page, server, sign_in  # noqa: F401 (fixtures)
from triage.config import EncoderSettings
from triage.models import Classification
from triage.review.rescore import EncoderRescorer
from triage.services import App

IDEA = "It would be great if you added a dark mode, please consider it."
ANGRY = "This is the worst service ever, I am furious about my late refund."
OPINION = "Please add an export button to the reports page."


class FixedScorer:
    """The encoder's side of a re-score with fixed answers (no encoder loaded)."""

    version = "enc-test-1"

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [{"complaint": 0.9, "suggestion": 0.1} if "furious" in t
                else {"complaint": 0.1, "suggestion": 0.9} for t in texts]


def rescored(app: App) -> dict[str, int]:
    """Three unsure English mails the fast model called complaints, re-scored by the job:
    an idea (relabelled a suggestion), a real complaint (kept) and one an agent edited
    meanwhile (the blend's suggestion not applied)."""
    ids = dict(zip(("idea", "angry", "edited"), ingest(app.store, *[
        dict(msgid=f"<enc-{k}@x>", subject=f"about {k}", body=body)
        for k, body in (("idea", IDEA), ("angry", ANGRY), ("edited", OPINION))]),
        strict=True))
    for mid in ids.values():
        app.store.save_processing(mid, Classification(
            "complaint", 0.45, "en", "m1", True,
            {"complaint": 0.45, "other": 0.35, "suggestion": 0.20}), NOW, "p", DRAFT)
    r = app.review
    rescorer = EncoderRescorer(app.store, FixedScorer(), EncoderSettings(enabled=True),
                               r.renderer, r.deadlines, r.deadline_store)
    real = app.store.rescores.record

    def edited_meanwhile(rescore: Any) -> bool:
        if rescore.message_id == ids["edited"]:  # an agent edits between read and write
            draft = app.store.drafts.current(ids["edited"])
            app.store.drafts.save_edit(draft["id"], "Re: x", "mine", "ann")
        return real(rescore)

    app.store.rescores.record = edited_meanwhile  # type: ignore[method-assign]
    try:
        run = rescorer.run()
    finally:
        del app.store.rescores.record
    assert sorted(run.changed) == [ids["idea"]]
    return ids


def test_the_page_shows_the_rescore_beside_the_label(web: Any, seeded: App,
                                                     cli: Any) -> None:  # noqa: F811
    ids = rescored(seeded)
    client = TestClient(web)
    login(client, AGENT)
    html = client.get(f"/messages/{ids['idea']}").text
    assert '<strong id="category">suggestion</strong>' in html  # the blend's label
    # blend: 0.5 * 0.20 + 0.5 * 0.9 = 0.55
    assert re.search(r'the model said <strong id="rescore-before">complaint</strong>, the '
                     r'blend <strong id="rescore-after">suggestion</strong> \(55%\)', html)
    assert '<code id="rescore-head">enc-test-1</code>, weight 0.5' in html
    assert '<span class="badge review" id="rescore-outcome">label changed</span>' in html
    kept = client.get(f"/messages/{ids['angry']}").text
    assert '<strong id="category">complaint</strong>' in kept
    # the label stayed, so no classification was written: the blend's confidence comes from
    # the re-score's own row (migration 0023), 0.5 * 0.45 + 0.5 * 0.9 = 0.675
    assert re.search(r'id="rescore-after">complaint</strong> \(6[78]%\)', kept)
    assert 'id="rescore-outcome">label kept</span>' in kept
    edited = client.get(f"/messages/{ids['edited']}").text
    assert '<strong id="category">complaint</strong>' in edited
    assert 'id="rescore-outcome">not applied</span>' in edited
    assert "an agent had touched the message" in edited
    assert 'id="rescore-after">suggestion</strong> (55%)' in edited  # 0.5 * 0.2 + 0.5 * 0.9
    api = client.get(f"/api/messages/{ids['idea']}").json()["encoder_rescore"]
    assert (api["old_category"], api["new_category"], api["head"], api["changed"]) == (
        "complaint", "suggestion", "enc-test-1", True)
    assert api["confidence"] == pytest.approx(0.55)
    assert api["text"] == ("Sentence encoder (head enc-test-1, weight 0.5): the model said "
                           "complaint, the blend suggestion (55%); label changed: "
                           "complaint \u2192 suggestion")
    out = cli("show", str(ids["angry"]))
    assert out.exit_code == 0, out.output
    assert ("the model said complaint, the blend complaint (68%); label kept: the blend "
            "agrees on complaint") in out.output
    kept_api = client.get(f"/api/messages/{ids['angry']}").json()["encoder_rescore"]
    assert kept_api["confidence"] == pytest.approx(0.675)


def test_a_message_never_rescored_shows_nothing(web: Any, seeded: App) -> None:
    client = TestClient(web)
    login(client, AGENT)
    other = message_ids(seeded)["<late@example.com>"]  # processed, never re-scored
    html = client.get(f"/messages/{other}").text
    assert 'id="category"' in html and 'id="encoder-rescore"' not in html
    assert client.get(f"/api/messages/{other}").json()["encoder_rescore"] is None


def test_the_rescore_in_chromium(page: Any, seeded: App) -> None:  # noqa: F811
    ids = rescored(seeded)
    sign_in(page)
    page.goto(f"{page.base}/messages/{ids['idea']}")
    side = page.locator("section.side")
    box = side.locator("#encoder-rescore")
    assert box.is_visible()
    assert box.inner_text().startswith(
        "Re-scored by the sentence encoder (head enc-test-1, weight 0.5): the model said "
        "complaint, the blend suggestion (55%) label changed")
    assert side.locator("#category").inner_text() == "suggestion"
    # shown under the label, inside the side column
    assert box.bounding_box()["y"] > side.locator("#category").bounding_box()["y"]
    page.screenshot(path=str(IMG / "encoder-rescore.png"), full_page=True)
