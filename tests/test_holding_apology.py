"""An overdue holding e-mail of a complaint says sorry once (session 11's review: the
Indonesian one read "... dan kami mohon maaf atas ketidaknyamanannya. / Mohon maaf atas
keterlambatan balasan kami.", and so did the other three languages in their words), while
every holding draft whose template has no apology of its own keeps the late-reply apology."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.clock import FrozenClock
from triage.drafting.promises import _LATE
from triage.drafting.render import DraftRequest, Renderer

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# the complaint's own apology in each language's holding e-mail
SORRY = {"en": "we're sorry for the trouble",
         "id": "kami mohon maaf atas ketidaknyamanannya",
         "vi": "thành thật xin lỗi vì sự bất tiện này",
         "tl": "pasensya na po sa abala"}


def _holding(language: str, channel: str, category: str, due_at: datetime) -> str:
    renderer = Renderer(clock=FrozenClock(NOW))
    return renderer.render(DraftRequest(
        category=category, channel=channel, language=language, subject="Pesanan 48213",
        text="x", sender="c@example.com", sender_name="Siti Rahma", thread_id=7,
        due_at=due_at, situation="holding", now=NOW)).text


@pytest.mark.parametrize("language", list(SORRY))
def test_an_overdue_holding_complaint_email_says_sorry_once(language: str) -> None:
    text = _holding(language, "email", "complaint", NOW - timedelta(hours=2))
    assert SORRY[language] in text, text
    assert _LATE[(language, "email")] not in text, text


@pytest.mark.parametrize("language", list(SORRY))
def test_a_holding_draft_without_its_own_apology_keeps_the_late_one(language: str) -> None:
    overdue = NOW - timedelta(hours=2)
    for channel, category in (("email", "request"), ("email", "technical_issue"),
                              ("social", "complaint"), ("social", "request")):
        text = _holding(language, channel, category, overdue)
        assert _LATE[(language, channel)] in text, (channel, category, text)
        assert SORRY[language] not in text
    # on time: the complaint's apology, no late one
    on_time = _holding(language, "email", "complaint", NOW + timedelta(hours=5))
    assert SORRY[language] in on_time and _LATE[(language, "email")] not in on_time


@pytest.mark.parametrize("language", list(SORRY))
def test_a_holding_complaint_opened_after_its_deadline_gets_no_second_apology(
        language: str) -> None:
    """The display-time refresh follows the same rule: a holding e-mail written on time and
    opened late is not given the late apology after the complaint's own."""
    renderer = Renderer(clock=FrozenClock(NOW))
    due = NOW + timedelta(hours=1)
    text = _holding(language, "email", "complaint", due)
    shown = renderer.refresh(text, situation="holding", language=language, channel="email",
                             now=due + timedelta(hours=2), category="complaint", due_at=due)
    assert shown.changed  # the near promise
    assert _LATE[(language, "email")] not in shown.text and SORRY[language] in shown.text
    asked = renderer.refresh(_holding(language, "email", "request", due), situation="holding",
                             language=language, channel="email", now=due + timedelta(hours=2),
                             category="request", due_at=due)
    assert _LATE[(language, "email")] in asked.text
