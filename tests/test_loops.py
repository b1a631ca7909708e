"""Automatic-mail detection: the cases of issues #15 and #18 as hand-made files
(tests/mail_fixtures/auto and human), the per-language subject table, our own Message-IDs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.mail_fixtures.score import load_cases
from triage.mail.auto_subjects import AUTO_SUBJECTS, auto_subject_language
from triage.mail.msgid import is_own_message_id, message_id_for
from triage.mail.parse import parse_email

HERE = Path(__file__).resolve().parent / "mail_fixtures"
AUTO = sorted((HERE / "auto").glob("*.eml"))
HUMAN = sorted((HERE / "human").glob("*.eml"))
T0 = datetime(2024, 6, 4, tzinfo=UTC)


def parse(path: Path):  # type: ignore[no-untyped-def]
    return parse_email(path.read_bytes(), fallback_received=T0,
                       own_addresses=("support@shopmate.example",))


@pytest.mark.parametrize("path", AUTO, ids=[p.stem for p in AUTO])
def test_automatic_mail_is_recognised(path: Path) -> None:
    msg = parse(path)
    assert msg.is_auto and msg.auto_reason, path.name


@pytest.mark.parametrize("path", HUMAN, ids=[p.stem for p in HUMAN])
def test_human_mail_is_answered(path: Path) -> None:
    msg = parse(path)
    assert not msg.is_auto, msg.auto_reason


def test_no_customer_fixture_is_taken_for_automatic_mail() -> None:
    held = [c.name for c in load_cases()
            if parse_email(c.raw, fallback_received=T0).is_auto]
    assert held == []


def test_x_auto_response_suppress_alone_is_not_automatic() -> None:
    msg = parse(HERE / "human" / "outlook-auto-response-suppress.eml")
    assert not msg.is_auto and msg.text.startswith("The VAT")


@pytest.mark.parametrize(("subject", "lang"), [
    ("Vắng mặt khỏi văn phòng", "vi"), ("Thư trả lời tự động: Re: Đơn hàng", "vi"),
    ("Tra loi tu dong: Re: Don hang", "vi"), ("Balasan Otomatis: Re: Pesanan", "id"),
    ("Di luar kantor", "id"), ("Sedang cuti", "id"), ("Awtomatikong tugon: Re: Order", "tl"),
    ("Awtomatikong sagot", "tl"), ("Automatic reply: x", "en"), ("Out of Office: x", "en"),
    ("Undeliverable: x", "en"), ("Abwesenheitsnotiz", "de"), ("Automatisch antwoord: x", "nl"),
    ("Автоответ", "ru"), ("自動返信: x", "ja"), ("자동 회신: x", "ko"),
    ("Fuera de la oficina", "es"),
])
def test_subject_table_knows_each_language(subject: str, lang: str) -> None:
    assert auto_subject_language(subject) == lang


@pytest.mark.parametrize("subject", [
    "Out of office hours support?", "Undeliverable package?", "Automatic renewal of my plan",
    "Is the shop open on leave days?", "Jam layanan di luar kantor?", "Re: Out of stock",
    "Trả lời giúp mình về đơn hàng", "Sagot po sa tanong ko", "Afwezigheid van bezorger",
])
def test_customer_subjects_are_not_automatic(subject: str) -> None:
    assert auto_subject_language(subject) is None


def test_the_table_has_our_languages_first_and_twenty_in_all() -> None:
    assert list(AUTO_SUBJECTS)[:4] == ["en", "vi", "id", "tl"] and len(AUTO_SUBJECTS) >= 20


@pytest.mark.parametrize("key", ["m1-d1", "42", "m7/d9 x", "üñí"])
def test_own_message_ids_are_recognised_from_the_function_that_makes_them(key: str) -> None:
    mid = message_id_for(key, "support@shopmate.example")
    assert is_own_message_id(mid)
    assert is_own_message_id("<20240604.123@triage>")  # deadline notices (make_msgid)
    assert not is_own_message_id("<CAF=abc@mail.gmail.com>")
    assert not is_own_message_id("<triage.x@example.com> <other@x>")
