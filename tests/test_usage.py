"""Learning from use: edit ratio and discard rate per template, over real drafts."""

from __future__ import annotations

from datetime import UTC, datetime

from triage.drafting.placeholders import MARKER
from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.usage import (
    DraftOutcome,
    added_ratio,
    edit_ratio,
    format_usage_report,
    usage_report,
)

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def draft(situation: str, language: str = "en", text: str = "Where is my order #123?") -> str:
    return Renderer().render(DraftRequest(
        category="complaint", channel="email", language=language, subject="Order", text=text,
        sender="a@example.com", sender_name="Ann Lee", thread_id=5, due_at=None,
        situation=situation, now=NOW)).text


def fill_in(text: str, answer: str = "It left the warehouse today.") -> str:
    return MARKER.sub(answer, text)


def test_filling_the_placeholders_is_not_an_edit() -> None:
    d = draft("order_status")
    sent = fill_in(d)
    assert edit_ratio(d, sent) == 0.0
    assert 0 < added_ratio(d, sent) < 0.5
    assert edit_ratio(d, d) == 0.0


def test_changing_the_templates_words_is() -> None:
    d = draft("order_status")
    lightly = fill_in(d).replace("we're sorry it's taking longer than it should",
                                 "apologies for the delay")
    rewritten = "Hi Ann, your parcel arrives Monday. Regards, Bob"
    assert 0.05 < edit_ratio(d, lightly) < 0.3
    assert edit_ratio(d, rewritten) > 0.8
    assert edit_ratio("", "") == 0.0 and edit_ratio("", "hello") == 1.0


def test_report_per_template_and_language_worst_first() -> None:
    good, bad = draft("refund"), draft("holding", "vi", "đơn hàng #123 chưa tới")
    outcomes = [
        DraftOutcome("en/situations/refund.email.j2", "en", "sent", good, fill_in(good)),
        DraftOutcome("en/situations/refund.email.j2", "en", "approved", good, fill_in(good)),
        DraftOutcome("en/situations/refund.email.j2", "en", "pending_review", good),
        DraftOutcome("vi/situations/holding.email.j2", "vi", "sent", bad,
                     "Chào bạn, đơn hàng sẽ giao thứ Hai."),
        DraftOutcome("vi/situations/holding.email.j2", "vi", "discarded", bad),
        DraftOutcome("vi/situations/holding.email.j2", "vi", "discarded", bad),
    ]
    rows = usage_report(outcomes)
    assert [r.template for r in rows] == ["vi/situations/holding.email.j2",
                                          "en/situations/refund.email.j2"]
    vi, en = rows
    assert (vi.drafted, vi.sent, vi.discarded) == (3, 1, 2)
    assert vi.discard_rate == round(2 / 3, 4) and vi.mean_edit > 0.8 and vi.untouched == 0
    assert (en.drafted, en.sent, en.discarded, en.discard_rate) == (3, 2, 0, 0.0)
    assert en.mean_edit == 0.0 and en.untouched == 1.0
    text = format_usage_report(rows)
    lines = text.splitlines()
    assert lines[0].startswith("Templates, worst first")
    assert lines[3].startswith("vi/situations/holding.email.j2") and " 67% " in lines[3]
    assert lines[4].startswith("en/situations/refund.email.j2") and "100%" in lines[4]
    assert format_usage_report(rows, min_drafts=4) == \
        "Templates: no drafts sent or discarded yet.\n"
