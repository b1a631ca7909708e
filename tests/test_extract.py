"""Extractors: the customer's own details, in the formats Southeast Asian customers write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from triage.drafting.extract import (
    extract_amounts,
    extract_dates,
    extract_emails,
    extract_facts,
    extract_order_numbers,
    extract_phones,
)
from triage.drafting.techdetails import detect_tech_details


@pytest.mark.parametrize("text,orders,tickets", [
    ("Where is my order #123?", ["123"], []),
    ("Order number: SO-2026-0042 still not shipped", ["SO-2026-0042"], []),
    ("Đơn hàng DH123456 của tôi chưa giao", ["DH123456"], []),
    ("don hang so 2311230ABC giao tre qua", ["2311230ABC"], []),
    ("mã đơn: 88112233 bị huỷ", ["88112233"], []),
    ("Nomor pesanan saya 2311230XYZ9 belum sampai", ["2311230XYZ9"], []),
    ("resi JX1234567890 tidak bisa dilacak", ["JX1234567890"], []),
    ("Yung order ko #889911 hindi pa dumating", ["889911"], []),
    ("ticket no. 88231 was closed without an answer", [], ["88231"]),
    ("Kaso #55123 po", [], ["55123"]),
    ("I ordered 3 items and got 2", [], []),
    ("order 100 pcs please", [], []),  # no connector: a short number is a quantity
    ("See T-12 in your reply", [], []),  # our own reference token
])
def test_order_and_ticket_numbers(text: str, orders: list[str], tickets: list[str]) -> None:
    assert extract_order_numbers(text) == (orders, tickets)


@pytest.mark.parametrize("text,language,value,currency", [
    ("đã trả 350.000đ", "vi", "350000", "VND"),
    ("hoàn 350.000 đ giúp mình", "vi", "350000", "VND"),
    ("350,000 VND", "vi", "350000", "VND"),
    ("hoan tien 1,5 trieu giup minh", "vi", "1500000", "VND"),
    ("chuyển khoản 1tr5 rồi", "vi", "1500000", "VND"),
    ("Rp 50.000", "id", "50000", "IDR"),
    ("Rp50.000,00", "id", "50000", "IDR"),
    ("IDR 1.250.000", "id", "1250000", "IDR"),
    ("sudah transfer 2 juta", "id", "2000000", "IDR"),
    ("350k", "id", "350000", "IDR"),
    ("₱1,299", "tl", "1299", "PHP"),
    ("PHP 1,299.50", "tl", "1299.5", "PHP"),
    ("P499 lang", "tl", "499", "PHP"),
    ("charged $12.99 twice", "en", "12.99", "USD"),
    ("S$ 25.50", "en", "25.5", "SGD"),
    ("RM 1,200", "en", "1200", "MYR"),
])
def test_amounts(text: str, language: str, value: str, currency: str) -> None:
    amounts = extract_amounts(text, language)
    assert len(amounts) == 1, amounts
    assert amounts[0].value == Decimal(value)
    assert amounts[0].currency == currency
    assert amounts[0].text in text


def test_amounts_keep_what_the_customer_wrote_and_ignore_plain_numbers() -> None:
    found = extract_amounts("I paid Rp 50.000 and then ₱1,299 for 3 items in 2026", "id")
    assert [a.text for a in found] == ["Rp 50.000", "₱1,299"]
    assert str(found[0]) == "Rp 50.000"


@pytest.mark.parametrize("text,expected", [
    ("delivered on 12/11/2026", (12, 11, 2026)),
    ("giao ngày 12/11", (12, 11, None)),
    ("ngay 5 thang 3 nam 2026", (5, 3, 2026)),
    ("on 2026-11-02", (2, 11, 2026)),
    ("tgl 12 Agustus 2026", (12, 8, 2026)),
    ("noong Nobyembre 12", (12, 11, None)),
    ("on the 3rd Dec", (3, 12, None)),
    ("since March 7, 2026", (7, 3, 2026)),
    ("12.11.2026", (12, 11, 2026)),
])
def test_dates_are_read_day_first(text: str, expected: tuple[int, int, int | None]) -> None:
    dates = extract_dates(text)
    assert [(d.day, d.month, d.year) for d in dates] == [expected]


def test_dates_reject_impossible_and_version_like_numbers() -> None:
    assert extract_dates("version 3.2.1, price 12.99, 45/13") == []
    assert extract_dates("12/11").pop().iso == "--11-12"
    assert extract_dates("2026-11-02").pop().iso == "2026-11-02"


@pytest.mark.parametrize("text,language,e164", [
    ("SĐT 0912 345 678", "vi", "+84912345678"),
    ("goi +84 912 345 678 nhe", "en", "+84912345678"),
    ("WA 0812-3456-7890", "id", "+6281234567890"),
    ("hubungi +62 812 3456 7890", "en", "+6281234567890"),
    ("Call me 0917 123 4567", "tl", "+639171234567"),
    ("+63 917 123 4567 po", "", "+639171234567"),
    ("whatsapp +65 9123 4567", "en", "+6591234567"),
])
def test_phone_numbers_in_sea_formats(text: str, language: str, e164: str) -> None:
    assert [p.e164 for p in extract_phones(text, language)] == [e164]


def test_an_order_number_is_not_also_a_phone_number() -> None:
    facts = extract_facts("Đơn hàng 0912345678 chưa giao, gọi 0987 654 321", "vi")
    assert facts.order_numbers == ["0912345678"]
    assert [p.e164 for p in facts.phones] == ["+84987654321"]


def test_emails() -> None:
    text = "write to juan.dela-cruz+support@example.com.ph, or ann@example.com."
    assert extract_emails(text) == ["juan.dela-cruz+support@example.com.ph", "ann@example.com"]


def test_extract_facts_all_together() -> None:
    facts = extract_facts(
        "Nomor pesanan 2311230XYZ9, bayar Rp 50.000 tgl 12 Agustus 2026. "
        "WA 0812-3456-7890 / sari@example.co.id", "id")
    assert facts.order_numbers == ["2311230XYZ9"]
    assert [a.value for a in facts.amounts] == [Decimal(50000)]
    assert [(d.day, d.month) for d in facts.dates] == [(12, 8)]
    assert [p.e164 for p in facts.phones] == ["+6281234567890"]
    assert facts.emails == ["sari@example.co.id"]


@pytest.mark.parametrize("text,device,version,error,missing", [
    ('The app crashes on my iPhone 13 Pro, version 4.2.1, it says "Payment failed"',
     "iPhone 13 Pro", "4.2.1", "Payment failed", []),
    ("App khong vao duoc, bao loi 'Phiên đăng nhập hết hạn' tren Samsung Galaxy A52",
     "Samsung Galaxy A52", "", "Phiên đăng nhập hết hạn", ["app_version"]),
    ("Aplikasi error di Android 12, muncul tulisan “Terjadi kesalahan jaringan”. versi 3.10",
     "", "3.10", "Terjadi kesalahan jaringan", []),
    ("Ayaw gumana, lumalabas ERR_CONNECTION_REFUSED sa Chrome 119",
     "", "Chrome 119", "ERR_CONNECTION_REFUSED", ["device"]),
    ("I can't log in, I don't know what's wrong", "", "", "",
     ["device", "app_version", "error_text"]),
    ("website shows error 500 on my windows 11 laptop", "laptop", "", "error 500",
     ["app_version"]),
])
def test_tech_details_say_what_to_ask(text: str, device: str, version: str, error: str,
                                      missing: list[str]) -> None:
    t = detect_tech_details(text)
    assert (t.device, t.app_version, t.error_text) == (device, version, error)
    assert t.missing == missing


@pytest.mark.parametrize("text,device", [
    # the whole model name, in the four languages' sentences
    ("still no OTP on my Xiaomi Redmi Note 12, please help", "Xiaomi Redmi Note 12"),
    ("I use an iPhone 15 Pro Max and it crashes", "iPhone 15 Pro Max"),
    ("Galaxy S23+ shows an error", "Galaxy S23+"),
    ("google pixel 8 pro, app version 2.1", "google pixel 8 pro"),
    ("Mã OTP không về máy Xiaomi Redmi Note 12 Pro 5G của em", "Xiaomi Redmi Note 12 Pro 5G"),
    ("em dùng iphone 13 pro max bị lỗi", "iphone 13 pro max"),
    ("pakai OPPO Reno8 T, kode OTP tidak masuk", "OPPO Reno8 T"),
    ("HP saya vivo Y36 tidak bisa login", "vivo Y36"),
    ("Samsung Galaxy A54 hindi po dumarating ang OTP", "Samsung Galaxy A54"),
    ("Infinix Hot 30 po, walang signal", "Infinix Hot 30"),
    ("Samsung Galaxy Z Fold5 crashes", "Samsung Galaxy Z Fold5"),
    # ... and nothing of the sentence after it
    ("Xiaomi khong nhan duoc ma OTP", "Xiaomi"),
    ("oppo ko vao duoc app", "oppo"),
    ("sa iPhone 15 po ayaw mag-login", "iPhone 15"),
    ("my Xiaomi 13 I can't log in", "Xiaomi 13"),
    ("iPhone 15 128GB, the app closes", "iPhone 15"),
    ("on my Samsung. Please help", "Samsung"),
    ("website shows error 500 on my windows 11 laptop", "laptop"),
])
def test_device_names_are_whole_models(text: str, device: str) -> None:
    assert detect_tech_details(text).device == device


# ------------------------------------------------- shortcuts change no result

_SHORTCUT_TEXTS = [
    "Please call me back, my e-mail is ann@example.com",
    "no digits, no address, just words about my order",
    "Đơn hàng ٣٤٥٦٧ của tôi",  # Arabic-Indic digits are digits to the patterns too
    "order #١٢٣٤٥ and 350.000đ on 12/11, call 0912 345 678",
    "The app says 'Payment failed' on my iPhone",
    "Chrome 119 shows ERR_CONNECTION_REFUSED, version 4.2.1",
    "it said “Không kết nối được” on Android",
    "error code E1234 after update",
]


def _facts_without_shortcuts(text: str, language: str):  # type: ignore[no-untyped-def]
    from triage.drafting.extract import Facts, _Claims

    claims = _Claims()
    emails = extract_emails(text, claims)
    orders, tickets = extract_order_numbers(text, claims)
    amounts = extract_amounts(text, language, claims)
    dates = extract_dates(text, claims)
    phones = extract_phones(text, language, claims)
    return Facts(order_numbers=orders, ticket_numbers=tickets, amounts=amounts, dates=dates,
                 phones=phones, emails=emails)


def _tech_without_shortcuts(text: str):  # type: ignore[no-untyped-def]
    from triage.drafting import techdetails as t

    version = t._VERSION.search(text)
    browser = t._BROWSER.search(text)
    app_version = version.group("ver") if version else ""
    if not app_version and browser and browser.group("ver"):
        app_version = browser.group(0).strip()
    quoted = t._QUOTED.search(text)
    code = t._CODE.search(text)
    error = quoted.group("q").strip() if quoted else (code.group(0).strip() if code else "")
    return app_version, error


def _realistic_texts() -> list[str]:
    from datetime import UTC, datetime

    from bench.mailgen import generate
    from triage.mail.parse import parse_email

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return [f"{p.subject}\n{p.text}" for p in
            (parse_email(r, fallback_received=t0) for r in generate(200, seed=4))]


def test_digit_and_quote_shortcuts_change_no_result() -> None:
    texts = _SHORTCUT_TEXTS + _realistic_texts()
    skipped = 0
    for text in texts:
        for lang in ("en", "vi"):
            assert extract_facts(text, lang) == _facts_without_shortcuts(text, lang), text
        tech = detect_tech_details(text)
        assert (tech.app_version, tech.error_text) == _tech_without_shortcuts(text), text
        skipped += not any(ch.isdigit() for ch in text)
    assert skipped > 20  # the shortcut paths were taken
    assert extract_facts(_SHORTCUT_TEXTS[0]).emails == ["ann@example.com"]
