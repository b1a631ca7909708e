"""The overdue holding e-mail of a complaint (session 11's review: the Indonesian one read
"... dan kami mohon maaf atas ketidaknyamanannya. / Mohon maaf atas keterlambatan balasan
kami.", "mohon maaf" twice in a row). The proof-readers of session 12 chose per language:
Indonesian and Vietnamese merge the late-reply apology into the complaint's own ("... atas
ketidaknyamanan ini serta keterlambatan balasan kami"); English and Tagalog keep both
sentences (different words, the late one beside the new time). No language drops the apology
for the late reply: the customer waited past our deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.clock import FrozenClock
from triage.drafting.promises import _LATE
from triage.drafting.render import DraftRequest, Renderer

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# the complaint's own apology in each language's holding e-mail, on time
SORRY = {"en": "we're sorry for the trouble",
         "id": "kami mohon maaf atas ketidaknyamanannya.",
         "vi": "thành thật xin lỗi vì sự bất tiện này.",
         "tl": "pasensya na po sa abala"}
# overdue, Indonesian and Vietnamese say both in one sentence
MERGED = {"id": "kami mohon maaf atas ketidaknyamanan ini serta keterlambatan balasan kami.",
          "vi": "thành thật xin lỗi vì sự bất tiện này cũng như sự chậm trễ trong việc trả lời."}


def _holding(language: str, channel: str, category: str, due_at: datetime) -> str:
    renderer = Renderer(clock=FrozenClock(NOW))
    return renderer.render(DraftRequest(
        category=category, channel=channel, language=language, subject="Pesanan 48213",
        text="x", sender="c@example.com", sender_name="Siti Rahma", thread_id=7,
        due_at=due_at, situation="holding", now=NOW)).text


@pytest.mark.parametrize("language", ["id", "vi"])
def test_an_overdue_holding_complaint_email_merges_the_two_apologies(language: str) -> None:
    text = _holding(language, "email", "complaint", NOW - timedelta(hours=2))
    assert MERGED[language] in text, text
    assert _LATE[(language, "email")] not in text, text  # not said a second time
    on_time = _holding(language, "email", "complaint", NOW + timedelta(hours=5))
    assert SORRY[language] in on_time and MERGED[language] not in on_time


@pytest.mark.parametrize("language", ["en", "tl"])
def test_an_overdue_holding_complaint_email_keeps_both_apologies(language: str) -> None:
    text = _holding(language, "email", "complaint", NOW - timedelta(hours=2))
    assert SORRY[language] in text and _LATE[(language, "email")] in text, text


@pytest.mark.parametrize("language", list(SORRY))
def test_a_holding_draft_without_its_own_apology_keeps_the_late_one(language: str) -> None:
    overdue = NOW - timedelta(hours=2)
    for channel, category in (("email", "request"), ("email", "technical_issue"),
                              ("social", "complaint"), ("social", "request")):
        text = _holding(language, channel, category, overdue)
        assert _LATE[(language, channel)] in text, (channel, category, text)
        assert SORRY[language].rstrip(".") not in text
    # on time: the complaint's apology, no late one
    on_time = _holding(language, "email", "complaint", NOW + timedelta(hours=5))
    assert SORRY[language] in on_time and _LATE[(language, "email")] not in on_time


@pytest.mark.parametrize("language", list(SORRY))
def test_a_holding_complaint_shown_after_its_deadline_says_sorry_for_the_wait_once(
        language: str) -> None:
    """The display-time refresh: a holding e-mail written on time and opened late has not
    said sorry for the wait, so its new promise does; one written overdue has said it (merged,
    in id and vi) and is not given it a second time."""
    renderer = Renderer(clock=FrozenClock(NOW))
    late = _LATE[(language, "email")]
    due = NOW + timedelta(hours=1)
    shown = renderer.refresh(_holding(language, "email", "complaint", due), situation="holding",
                             language=language, channel="email", now=due + timedelta(hours=2),
                             category="complaint", due_at=due)
    assert shown.changed  # the near promise
    assert shown.text.count(late) == 1 and SORRY[language] in shown.text, shown.text
    past = NOW - timedelta(hours=2)
    written_late = _holding(language, "email", "complaint", past)
    again = renderer.refresh(written_late, situation="holding", language=language,
                             channel="email", now=NOW + timedelta(hours=6), category="complaint",
                             due_at=past)
    said = MERGED.get(language, late)
    assert again.text.count(said) == 1, again.text
    assert language not in MERGED or late not in again.text, again.text
