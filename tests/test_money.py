"""A draft restates the customer's sum of money as the market's support writes it (demo #12:
a Vietnamese draft echoed "350.000d", the customer's "d" for "đ")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.drafting.extract import extract_amounts, extract_facts
from triage.drafting.money import shown_amount
from triage.drafting.render import DraftRequest, Renderer

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
ZONES = {"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta", "tl": "Asia/Manila"}


@pytest.mark.parametrize("written,language,shown", [
    ("350.000d", "vi", "350.000 đồng"), ("350.000đ", "vi", "350.000 đồng"),
    ("350k", "vi", "350.000 đồng"), ("1tr5", "vi", "1.500.000 đồng"),
    ("1,5 triệu", "vi", "1.500.000 đồng"),
    ("50rb", "id", "Rp50.000"), ("Rp 50.000", "id", "Rp50.000"), ("1,5jt", "id", "Rp1.500.000"),
    ("Rp 50.000,00", "id", "Rp50.000"), ("IDR 1.250.000", "id", "Rp1.250.000"),
    ("P1299", "tl", "₱1,299"), ("1,299 pesos", "tl", "₱1,299"), ("php 1,299.50", "tl", "₱1,299.50"),
    # not the market's currency, no currency, a fraction of a đồng, an English draft: as written
    ("350.000d", "en", "350.000d"), ("Rp 50.000", "en", "Rp 50.000"), ("₱1,299", "en", "₱1,299"),
    ("$12.99", "en", "$12.99"), ("$12.99", "vi", "$12.99"), ("350k", "en", "350k"),
    ("Rp 50.000", "tl", "Rp 50.000"),
    # not a plausible sum in the currency (read as 1.299 pesos, 1.5 rupiah, 12.5 đồng): as
    # written, never a different sum such as "₱1.30"
    ("P1.299", "tl", "P1.299"), ("1.299 pesos", "tl", "1.299 pesos"), ("Rp 1,5", "id", "Rp 1,5"),
    ("Rp 50.000,50", "id", "Rp 50.000,50"), ("12.5đ", "vi", "12.5đ"),
])
def test_the_market_currency_in_its_house_style(written: str, language: str, shown: str) -> None:
    [amount] = extract_amounts(written, language)
    assert shown_amount(amount, language) == shown


def _draft(language: str, text: str, name: str = "C") -> str:
    renderer = Renderer(customer_timezone="Asia/Singapore", language_timezones=ZONES)
    return renderer.render(DraftRequest(
        category="technical_issue", channel="email", language=language, subject="x", text=text,
        sender="c@example.com", sender_name=name, thread_id=12, due_at=NOW + timedelta(hours=4),
        situation="payment_failed", now=NOW)).text


@pytest.mark.parametrize("language,text,echo,slip", [
    ("vi", "tien da bi tru 350.000d nhung app bao 'Giao dich that bai'",
     "về khoản tiền 350.000 đồng bị trừ", "350.000d"),
    ("id", "saldo kepotong 50rb tapi transaksi gagal", "tentang dana Rp50.000 yang terpotong",
     "50rb"),
    ("tl", "na-charge ako ng P1299 pero failed ang order", "tungkol sa ₱1,299 na nabawas",
     "P1299"),
])
def test_a_payment_draft_restates_the_sum(language: str, text: str, echo: str,
                                          slip: str) -> None:
    draft = _draft(language, text)
    assert echo in draft
    assert slip not in draft


def test_the_facts_keep_the_sum_as_written() -> None:
    """Only the draft restates it: what was extracted stays what the customer typed."""
    facts = extract_facts("da bi tru 350.000d", "vi")
    assert [a.text for a in facts.amounts] == ["350.000d"]
    assert str(facts.amounts[0]) == "350.000d"
