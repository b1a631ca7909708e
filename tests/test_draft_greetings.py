"""Greetings are even: a customer whose name we know is greeted by it in every template of a
language and channel, with or without an honorific (a Vietnamese chat only with one: without
it, plain "Quý khách"), and one we cannot name is greeted neutrally everywhere (session 11's
demo walk-through: Vietnamese e-mails said "Kính gửi Quý khách" to "Phạm Quốc Huy" while
drafts to "Nguyễn Thị Lan" said "Kính chào chị Lan")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.drafting.address import known_name
from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.situations import SITUATIONS

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
ZONES = {"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta", "tl": "Asia/Manila"}
CATEGORIES = ("complaint", "request", "technical_issue", "suggestion")

# display name -> (e-mail greeting, the name a chat reply uses), per language
NAMED = {
    "en": ("Linh Nguyen", "Hi Linh,", "Linh"),
    # vi chat: plain "Quý khách" ("Quý khách Huy" is not what a Vietnamese agent types)
    "vi": ("Phạm Quốc Huy", "Kính gửi Quý khách Phạm Quốc Huy,", "Quý khách"),
    "id": ("Siti Rahma", "Halo Kak Siti,", "Kak Siti"),
    "tl": ("Joy Bautista", "Hi Joy,", "Joy"),
}
NEUTRAL = {"en": "Hello,", "vi": "Kính gửi Quý khách,", "id": "Halo Bapak/Ibu,",
           "tl": "Magandang araw po,"}


def _drafts(language: str, channel: str, sender_name: str, private: bool = False
            ) -> dict[str, str]:
    renderer = Renderer(customer_timezone="Asia/Singapore", language_timezones=ZONES)
    out = {}
    for situation in [*SITUATIONS, "general"]:
        for category in CATEGORIES:
            draft = renderer.render(DraftRequest(
                category=category, channel=channel, language=language, subject="x",
                text="Xin chào", sender="c@example.com", sender_name=sender_name,
                thread_id=9, due_at=NOW + timedelta(hours=4), situation=situation, now=NOW,
                private=private))
            out[draft.template] = draft.text
    return out


@pytest.mark.parametrize("language", list(NAMED))
def test_every_email_greets_a_known_name_the_same_way(language: str) -> None:
    display, greeting, _chat = NAMED[language]
    drafts = _drafts(language, "email", display)
    assert len(drafts) >= 18
    firsts = {t.split("\n", 1)[0] for t in drafts.values()}
    assert firsts == {greeting}


@pytest.mark.parametrize("language", list(NAMED))
@pytest.mark.parametrize("private", [False, True])
def test_every_chat_reply_names_a_known_customer(language: str, private: bool) -> None:
    display, _greeting, chat = NAMED[language]
    drafts = _drafts(language, "social", display, private)
    missing = sorted(name for name, text in drafts.items() if chat not in text)
    assert not missing
    if language == "vi":  # without an honorific a chat names nobody: no "Quý khách Huy"
        assert not any("Huy" in t for t in drafts.values())


@pytest.mark.parametrize("language", list(NAMED))
def test_a_customer_we_cannot_name_is_greeted_neutrally_everywhere(language: str) -> None:
    drafts = _drafts(language, "email", "shop_owner_88")
    assert {t.split("\n", 1)[0] for t in drafts.values()} == {NEUTRAL[language]}


def test_the_honorific_still_comes_first() -> None:
    drafts = _drafts("vi", "email", "Nguyễn Thị Lan")
    assert {t.split("\n", 1)[0] for t in drafts.values()} == {"Kính chào chị Lan,"}
    drafts = _drafts("id", "email", "Ibu Siti Rahma")
    assert {t.split("\n", 1)[0] for t in drafts.values()} == {"Halo Ibu Siti,"}


@pytest.mark.parametrize("display,name", [
    ("Phạm Quốc Huy", "Phạm Quốc Huy"), ("PHAM QUOC HUY", "Pham Quoc Huy"),
    ("Ibu Siti Rahma", "Siti Rahma"), ("linh nguyen", "Linh Nguyen"),
    ("support@shop.vn", ""), ("Shopee Support", ""), ("Tan Wei Ming", ""),
    ("budi_88", ""), ("J. Santos", ""), ("Maria Clara de los Santos Reyes", ""),
])
def test_known_name_is_the_name_as_written_or_nothing(display: str, name: str) -> None:
    assert known_name(display) == name


@pytest.mark.parametrize("display,greeting,you,not_you", [
    ("Budi Santoso", "Halo Kak Budi,", "Kakak", "Bapak/Ibu"),  # demo #13: no "Halo Budi Santoso"
    ("Siti Rahma", "Halo Kak Siti,", "Kakak", "Bapak/Ibu"),  # demo #14
    ("shop_owner_88", "Halo Bapak/Ibu,", "Bapak/Ibu", "Kak"),
    # a name in which no first name is found: no "Kak Tan", no "Halo Tan Wei Ling,"
    ("Tan Wei Ling", "Halo Bapak/Ibu,", "Bapak/Ibu", "Kak"),
    ("I Made Wirawan", "Halo Bapak/Ibu,", "Bapak/Ibu", "Kak"),
    ("Maria Clara de los Santos Reyes", "Halo Kak Maria,", "Kakak", "Bapak/Ibu"),
    ("Ibu Siti Rahma", "Halo Ibu Siti,", "Ibu", "Kak"),
])
def test_indonesian_email_body_says_what_the_greeting_said(display: str, greeting: str, you: str,
                                                           not_you: str) -> None:
    """Greeting and body agree: "Kak Budi" is "Kakak" throughout, never "Bapak/Ibu"."""
    for name, text in _drafts("id", "email", display).items():
        assert text.startswith(greeting + "\n"), name
        assert f"agar pesan {you} langsung sampai" in text, name  # the reference line
        assert not_you not in text.split("\n", 1)[1], name


def test_tagalog_email_keeps_its_taglish_frame() -> None:
    """Philippine support writes e-mail in Taglish: "Hi Maria," and an English "Reference
    number" label with a Tagalog "po" sentence (polish14: kept on purpose, not translated);
    the subject already carries the reference, so the line asks not to remove it ("huwag po
    sana itong tanggalin"), never to add it ("pakisama": some would type it in again)."""
    for name, text in _drafts("tl", "email", "Maria Santos").items():
        assert text.startswith("Hi Maria,\n"), name
        assert "\nMaraming salamat po,\n" in text, name
        assert ("\nReference number: T-9 (huwag po sana itong tanggalin sa subject kapag "
                "nag-reply kayo para "
                "diretsong makarating sa amin ang inyong mensahe)\n") in text, name
