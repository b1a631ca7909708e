"""Parsing real-world-shaped email: charsets, HTML, missing ids, broken input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import make_email
from triage.errors import ParseError
from triage.mail.parse import GENERATED_ID_DOMAIN, parse_email

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_plain_message_fields() -> None:
    p = parse_email(make_email(), fallback_received=T0)
    assert p.sender == "ann@example.com" and p.sender_name == "Ann Lee"
    assert p.subject == "Order late" and "order #123" in p.text
    assert p.message_id == "<m1@example.com>"
    assert p.received_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert not p.is_auto


def test_missing_message_id_is_generated_and_stable() -> None:
    raw = make_email(msgid=None)
    a = parse_email(raw, fallback_received=T0)
    b = parse_email(raw, fallback_received=T0)
    assert a.message_id.endswith(f"@{GENERATED_ID_DOMAIN}>") and a.message_id == b.message_id


def test_encoded_word_subject_and_vietnamese_body() -> None:
    raw = (b"From: =?utf-8?b?Tmd1eeG7hW4gTGFu?= <lan@example.vn>\r\n"
           b"Subject: =?utf-8?q?=C4=90=C6=A1n_h=C3=A0ng_giao_tr=E1=BB=85?=\r\n"
           b"Message-ID: <v1@example.vn>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
           + "Tôi chưa nhận được hàng.".encode())
    p = parse_email(raw, fallback_received=T0)
    assert p.subject == "Đơn hàng giao trễ"
    assert p.sender_name == "Nguyễn Lan"
    assert "chưa nhận được" in p.text


def test_mislabelled_charset_is_recovered() -> None:
    body = "Xin chào, tôi không đăng nhập được vào ứng dụng từ sáng nay.".encode()
    raw = (b"From: a@example.vn\r\nSubject: test\r\nMessage-ID: <c1@x>\r\n"
           b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n" + body)
    p = parse_email(raw, fallback_received=T0)
    assert "không đăng nhập được" in p.text


def test_legacy_charset_latin1_indonesian() -> None:
    body = "Terima kasih, saya menunggu café pesanan saya.".encode("latin-1")
    raw = (b"From: a@example.id\r\nSubject: x\r\nMessage-ID: <c2@x>\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n" + body)
    assert "café" in parse_email(raw, fallback_received=T0).text


def test_html_only_becomes_text() -> None:
    raw = (b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <h@x>\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><body><p>My <b>order</b> is late</p><script>alert(1)</script></body></html>")
    p = parse_email(raw, fallback_received=T0)
    assert "My order is late" in p.text and "<b>" not in p.text
    assert p.html is not None


def test_empty_body_is_parsed_with_empty_text() -> None:
    raw = b"From: a@example.com\r\nSubject: only a subject\r\nMessage-ID: <e@x>\r\n\r\n"
    p = parse_email(raw, fallback_received=T0)
    assert p.text == "" and p.subject == "only a subject"


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"\x00\x01\x02 binary junk without headers"])
def test_garbage_raises_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError):
        parse_email(raw, fallback_received=T0)


def test_bad_date_falls_back() -> None:
    raw = make_email().replace(b"Fri, 20 Nov 2026 08:00:00 +0000", b"yesterday-ish")
    assert parse_email(raw, fallback_received=T0).received_at == T0


def test_quoted_history_is_stripped_but_kept_in_full_text() -> None:
    body = ("Still broken, see below.\n\nOn Mon, 16 Nov 2026 at 10:00, Support "
            "<support@example.com> wrote:\n> Please reinstall the app.\n")
    p = parse_email(make_email(body=body), fallback_received=T0)
    assert p.text == "Still broken, see below."
    assert "Please reinstall" in p.full_text


def test_attachments_recorded_by_name_type_size() -> None:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"] = "a@example.com"
    m["Subject"] = "invoice"
    m["Message-ID"] = "<a@x>"
    m.set_content("see attached")
    m.add_attachment(b"%PDF-1.4 fake" * 100, maintype="application", subtype="pdf",
                     filename="invoice.pdf")
    p = parse_email(bytes(m), fallback_received=T0)
    assert [(a.filename, a.content_type, a.size) for a in p.attachments] == [
        ("invoice.pdf", "application/pdf", 1300)]
    assert p.text == "see attached"


@pytest.mark.parametrize("headers,reason", [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"Precedence": "bulk"}, "Precedence"),
    ({"List-Unsubscribe": "<https://news.example.com/u>"}, "List-Unsubscribe"),
    ({"List-Id": "<news.example.com>"}, "mailing list"),
    ({"X-Loop": "support@example.com"}, "X-Loop"),
])
def test_automatic_mail_detected(headers: dict[str, str], reason: str) -> None:
    p = parse_email(make_email(**{k.replace("-", "_"): v for k, v in headers.items()}),
                    fallback_received=T0)
    assert p.is_auto and reason in (p.auto_reason or "")


def test_bounce_sender_detected() -> None:
    p = parse_email(make_email(sender="MAILER-DAEMON@mx.example.com", subject="Undeliverable"),
                    fallback_received=T0)
    assert p.is_auto


def test_ordinary_customer_mail_is_not_auto() -> None:
    p = parse_email(make_email(subject="Re: your reply"), fallback_received=T0)
    assert not p.is_auto and p.auto_reason is None
