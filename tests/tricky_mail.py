"""Real-world-shaped emails that break naive parsers (built in code, so each is explained)."""

from __future__ import annotations

import base64

VI = "Đơn hàng của tôi đã trễ một tuần, tôi rất thất vọng về dịch vụ."
ID = "Pesanan saya belum sampai — tolong dibantu, saya sangat kecewa."
TL = "Hindi pa dumarating ang order ko, sobrang tagal na. Pakiayos po."


def _msg(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body


def tricky_mails(huge_size: int) -> dict[str, bytes]:
    """Name -> raw bytes; ``huge_size`` is the size of the attachment of ``huge``."""
    out: dict[str, bytes] = {}
    # UTF-8 body labelled ISO-8859-1 (a very common mislabel)
    out["mislabelled_latin1"] = _msg(
        "From: An <an@example.vn>\nTo: support@example.com\nSubject: Don hang tre\n"
        "Message-ID: <mislabel@example.vn>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n",
        VI.encode("utf-8"))
    # Windows-1252 body labelled UTF-8 (the em dash is 0x97)
    out["cp1252_as_utf8"] = _msg(
        "From: Budi <budi@example.id>\nTo: support@example.com\nSubject: Pesanan\n"
        "Message-ID: <cp1252@example.id>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
        ID.encode("cp1252"))
    # raw 8-bit UTF-8 in headers (no encoded words), no charset anywhere
    out["eight_bit_headers"] = (
        "From: Nguyễn Văn An <an2@example.vn>\r\nTo: support@example.com\r\n"
        "Subject: Đơn hàng chưa giao\r\nMessage-ID: <8bit@example.vn>\r\n\r\n"
        + VI).encode("utf-8")
    # encoded-word headers (RFC 2047) in Tagalog and Vietnamese
    subj = base64.b64encode("Hindi dumating – đơn hàng".encode()).decode()
    out["encoded_words"] = _msg(
        f"From: =?utf-8?q?Jos=C3=A9_Santos?= <jose@example.ph>\nTo: support@example.com\n"
        f"Subject: =?utf-8?b?{subj}?=\nMessage-ID: <ew@example.ph>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
        TL.encode("utf-8"))
    # HTML only, with a quoted reply in Vietnamese Gmail style
    html = (f"<html><body><p>{VI}</p><div>Vào Th 2, 16 thg 11, 2026 lúc 09:00, Support "
            "&lt;support@example.com&gt; đã viết:</div><blockquote>Cảm ơn bạn đã liên hệ"
            "</blockquote></body></html>")
    out["html_only"] = _msg(
        "From: Chi <chi@example.vn>\nTo: support@example.com\nSubject: Re: don hang\n"
        "Message-ID: <html@example.vn>\nMIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n",
        base64.encodebytes(html.encode("utf-8")))
    # nested multiparts: mixed > related > alternative, an inline image, a PDF attachment
    png = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 300).decode()
    pdf = base64.encodebytes(b"%PDF-1.4 " + b"x" * 2000).decode()
    nested = f"""From: Rina <rina@example.id>
To: support@example.com
Subject: Aplikasi error
Message-ID: <nested@example.id>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m1"

--m1
Content-Type: multipart/related; boundary="r1"

--r1
Content-Type: multipart/alternative; boundary="a1"

--a1
Content-Type: text/plain; charset=utf-8

Aplikasi selalu error saat saya login, muncul kode 500.
--a1
Content-Type: text/html; charset=utf-8

<p>Aplikasi selalu error saat saya login, muncul kode 500.<img src="cid:logo"></p>
--a1--
--r1
Content-Type: image/png; name="logo.png"
Content-ID: <logo>
Content-Transfer-Encoding: base64

{png}
--r1--
--m1
Content-Type: application/pdf; name="screenshot.pdf"
Content-Disposition: attachment; filename="screenshot.pdf"
Content-Transfer-Encoding: base64

{pdf}
--m1--
"""
    out["nested"] = nested.replace("\n", "\r\n").encode("ascii")
    # no Message-ID at all, and no Date
    out["no_message_id"] = _msg(
        "From: Lito <lito@example.ph>\nTo: support@example.com\nSubject: Refund\n", b"Paki-refund "
        b"po ang order ko, hindi ko na kailangan.")
    # an attachment bigger than the source's max_message_size
    big = base64.encodebytes(b"\xff" * huge_size).decode()
    out["huge"] = f"""From: Big <big@example.com>
To: support@example.com
Subject: Video of the problem
Message-ID: <huge@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See the attached video.
--b
Content-Type: video/mp4; name="bug.mp4"
Content-Disposition: attachment; filename="bug.mp4"
Content-Transfer-Encoding: base64

{big}
--b--
""".replace("\n", "\r\n").encode("ascii")
    # a bounce of one of our replies (multipart/report with the original headers)
    out["bounce"] = """From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="d"

--d
Content-Type: text/plain

Your message could not be delivered to nobody@example.net.
--d
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Final-Recipient: rfc822; nobody@example.net
Action: failed
Status: 5.1.1
--d
Content-Type: text/rfc822-headers

From: support@example.com
To: nobody@example.net
Subject: Re: Refund [#T-7]
Message-ID: <draft-7.support@triage.example.com>
--d--
""".replace("\n", "\r\n").encode("ascii")
    # a broken multipart: the closing boundary is missing
    out["broken_boundary"] = _msg(
        "From: Mia <mia@example.com>\nTo: support@example.com\nSubject: Suggestion\n"
        "Message-ID: <broken@example.com>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="zz"\n',
        b"--zz\r\nContent-Type: text/plain\r\n\r\nPlease add dark mode to the app.\r\n")
    # not an email at all
    out["garbage"] = b"\x01\x02\x03 this is not an email \xff\xfe\r\n"
    return out
