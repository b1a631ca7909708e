"""Outage words make a message urgent only as whole words, in all four languages.

Found by using the demo: "sập" folded is "sap", which sits inside "disappointed", so every
disappointed complaint was urgent with a quarter of its deadline."""

from __future__ import annotations

import pytest

from triage.config import DeadlineSettings
from triage.deadlines.priority import Prioritizer

URGENT = [
    ("en", "Your service is down again since this morning"),
    ("en", "Third outage this week, nothing loads"),
    ("en", "Outages all over Cebu right now"),
    ("vi", "Hệ thống bị sập từ sáng, không vào được app"),
    ("vi", "web sập rồi shop ơi"),
    ("vi", "He thong bi sap, khong vao duoc app!"),  # unaccented: the phrase matches
    ("vi", "Mất kết nối internet cả khu phố"),
    ("vi", "mat ket noi tu toi qua"),
    ("id", "Ada gangguan di daerah Bekasi ya min?"),
    ("id", "gangguannya dari pagi belum beres"),
    ("tl", "Walang serbisyo dito sa Pasig mula kagabi"),
    ("tl", "sira lahat ng linya namin"),
]

NOT_URGENT = [
    ("en", "I am so disappointed with the delivery of my order"),
    ("en", "The app is downloading the update very slowly"),
    ("en", "Please send the invoice for order 4821"),
    ("vi", "Em sắp hết hạn gói cước, gia hạn giúp em"),  # sắp = about to
    ("vi", "em sap het han roi, gia han giup em"),
    ("id", "Saya kecewa, paket sapi kurban belum dikirim"),
    ("id", "Tolong kirim tagihan bulan ini"),
    ("tl", "Nadisappoint ako sa packaging"),
    ("tl", "Pakipadala po ng resibo"),
]


@pytest.fixture(scope="module")
def prioritizer() -> Prioritizer:
    return Prioritizer(DeadlineSettings())


@pytest.mark.parametrize(("lang", "text"), URGENT)
def test_outage_words_make_it_urgent(prioritizer: Prioritizer, lang: str, text: str) -> None:
    decision = prioritizer.decide("technical_issue", "a@example.com", "", text)
    assert decision.priority == "urgent", (lang, text, decision.reasons)


@pytest.mark.parametrize(("lang", "text"), NOT_URGENT)
def test_words_that_only_contain_an_outage_word_do_not(prioritizer: Prioritizer, lang: str,
                                                       text: str) -> None:
    decision = prioritizer.decide("complaint", "a@example.com", "", text)
    assert decision.priority == "normal", (lang, text, decision.reasons)


def test_the_subject_counts_and_the_reason_names_the_word(prioritizer: Prioritizer) -> None:
    decision = prioritizer.decide("request", "a@example.com", "Service down for everyone?",
                                  "Hello, is it just me?")
    assert decision.priority == "urgent"
    assert "outage word 'service down'" in decision.reasons  # the first listed word found


def test_an_admins_word_with_accents_is_matched_as_written() -> None:
    p = Prioritizer(DeadlineSettings(outage_words=["Sập", "no signal"]))
    assert p.outage_word("", "Mạng SẬP rồi") == "sập"
    assert p.outage_word("", "mang sap roi") is None  # unaccented, one word: "sắp" too
    assert p.outage_word("", "NO SIGNAL since 9am") == "no signal"
    assert p.outage_word("", "no signals, no  signal") == "no signal"
    assert p.outage_word("", "nosignal") is None
