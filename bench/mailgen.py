"""Realistic customer mail for the benchmarks, generated deterministically from a seed.

Texts are the bundled corpus (``classifiers/corpus/*.csv`` through
``classifiers.corpus_io.load_corpus``, e-mail rows, en/vi/id/tl); names, signatures,
disclaimers and our own earlier replies are written here. The shapes follow what mail clients
send to a support address:

=======================  =====  ==========================================================
shape                    share  what it looks like
=======================  =====  ==========================================================
Gmail (web/app)          30 %   multipart/alternative, ``<div dir="ltr">`` HTML, base64
                                UTF-8 (QP when ASCII), ``gmail_quote`` blockquotes
Outlook                  25 %   multipart/alternative, Word HTML (``MsoNormal``, ``<style>``
                                block), quoted-printable; Vietnamese in windows-1258 for a
                                third of them; "From: / Sent:" history blocks
Apple Mail               15 %   multipart/alternative, ``<blockquote type="cite">``, QP
phone (plain text)       20 %   text/plain only, 8bit or base64, "Sent from my ..."
web form / CRM (HTML)    10 %   text/html only, inline styles, ``<p>``/``<br>``
=======================  =====  ==========================================================

Across all shapes: ~40 % are replies carrying quoted history (our earlier answer and the
customer's first message; "On ... wrote:" in the sender's language -- en, vi "Vào ... đã
viết:", id "Pada ... menulis:", tl "Noong ... sumulat si ...:" -- or Outlook's "From: ...
Sent: ..." block), ~4 % are forwarded chains two mails deep, ~35 % carry a signature block,
~15 % a legal disclaimer, ~10 % a small attachment (JPEG or PDF, 20-200 KiB, base64), ~9 %
are in a legacy charset (windows-1258 for Vietnamese, iso-8859-1 for Indonesian/Tagalog),
every non-ASCII subject or display name is an RFC 2047 encoded word, and every mail has the
receiving side's trace headers (2-4 Received, DKIM, ARC, Authentication-Results, and the
X-Google/X-MS headers of its client). Languages: en 40 %, vi 25 %, id 20 %, tl 15 %. Lines
end in CRLF.

Sizes of ``generate(3000)`` (``python bench/mailgen.py``): median 4.9 KiB, mean 20.1 KiB,
p90 49.6 KiB, max 279 KiB; without the attachments, median 4.6 KiB and mean 4.9 KiB (max
11 KiB). For comparison, the ``small`` mix of the IMAP benchmark is 0.4 KiB per mail.
"""

from __future__ import annotations

import html
import random
import statistics
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from classifiers.corpus_io import load_corpus

SUPPORT = ("Customer Support", "support@example.com")
BASE_DATE = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)

NAMES = {
    "en": ["James Walker", "Emily Carter", "Daniel O'Neil", "Sarah Mitchell", "Tom Baker",
           "Priya Raman", "Kevin Ng", "Laura Chen", "Michael Brown", "Rachel Adams"],
    "vi": ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Minh", "Phạm Thu Hương",
           "Hoàng Đức Thắng", "Võ Thị Mai", "Đặng Quốc Bảo", "Bùi Thanh Tâm"],
    "id": ["Sari Wulandari", "Budi Santoso", "Dewi Lestari", "Agus Prasetyo", "Rina Kurniawati",
           "Muhammad Rizki", "Putri Anggraini", "Hendra Gunawan"],
    "tl": ["Maria Santos", "Juan dela Cruz", "Ma. Cristina Reyes", "Jose Bautista",
           "Angelica Ramos", "Mark Villanueva", "Kristine Garcia", "Paolo Mendoza"],
}
GREETING = {"en": ["Hi,", "Hello team,", "Dear Support,", "Hi there,"],
            "vi": ["Chào shop,", "Xin chào,", "Kính gửi bộ phận CSKH,"],
            "id": ["Halo,", "Selamat siang,", "Dengan hormat,"],
            "tl": ["Hi po,", "Magandang araw po,", "Hello po,"]}
CLOSING = {"en": ["Thanks,", "Best regards,", "Kind regards,", "Cheers,"],
           "vi": ["Cảm ơn,", "Trân trọng,", "Thanks shop,"],
           "id": ["Terima kasih,", "Salam,", "Hormat saya,"],
           "tl": ["Salamat po,", "Maraming salamat,", "Regards,"]}
PHONE_SIG = {"en": "Sent from my iPhone", "vi": "Gửi từ iPhone của tôi",
             "id": "Dikirim dari iPhone saya", "tl": "Ipinadala mula sa aking iPhone"}
OUR_REPLY = {
    "en": "Thank you for contacting us. We have received your message and will get back to "
          "you within one business day. Your reference is [#T-{n}].",
    "vi": "Cảm ơn anh/chị đã liên hệ. Chúng tôi đã nhận được tin nhắn và sẽ phản hồi trong "
          "vòng một ngày làm việc. Mã tham chiếu của anh/chị là [#T-{n}].",
    "id": "Terima kasih telah menghubungi kami. Pesan Anda sudah kami terima dan akan kami "
          "balas dalam satu hari kerja. Nomor referensi Anda [#T-{n}].",
    "tl": "Salamat po sa pakikipag-ugnayan. Natanggap namin ang inyong mensahe at sasagot "
          "kami sa loob ng isang araw ng trabaho. Ang inyong reference ay [#T-{n}].",
}
DISCLAIMER = (
    "CONFIDENTIALITY NOTICE: This e-mail and any attachments are intended only for the named "
    "recipient and may contain information that is privileged or confidential. If you are "
    "not the intended recipient, please notify the sender immediately and delete this e-mail "
    "from your system. Any unauthorised use, disclosure or copying is prohibited. E-mail "
    "transmission cannot be guaranteed to be secure or error-free.")
COMPANIES = ["Lotus Trading Co.", "PT Maju Bersama", "Harbor Logistics", "Sunrise Foods Inc.",
             "Công ty TNHH Minh Phát", "Bayanihan Builders Corp."]
WEEKDAYS = {"en": "Mon", "vi": "Th 2", "id": "Sen", "tl": "Lun"}

SHAPES: tuple[tuple[str, float], ...] = (
    ("gmail", 0.30), ("outlook", 0.25), ("apple", 0.15), ("phone", 0.20), ("webform", 0.10))


@dataclass(frozen=True)
class _Mail:
    """The parts of one customer mail before it is put into MIME."""

    lang: str
    name: str
    addr: str
    subject: str
    body: str
    signature: str
    disclaimer: bool
    quoted: list[tuple[str, str, str]]
    """Quoted history, newest first: (header line, who, text)."""
    forwarded: list[tuple[str, str, str]]


@cache
def _texts() -> dict[str, list[str]]:
    by_lang: dict[str, list[str]] = {"en": [], "vi": [], "id": [], "tl": []}
    for ex in load_corpus():
        if ex.channel == "email" and ex.lang in by_lang:
            by_lang[ex.lang].append(ex.text)
    return by_lang


def _ascii_local(name: str) -> str:
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(ch for ch in plain if ch.isascii() and (ch.isalnum() or ch == " "))
    return ".".join(plain.lower().split())


def _quote_header(lang: str, when: datetime, who: str) -> str:
    t = when
    if lang == "vi":
        return (f"Vào {WEEKDAYS['vi']}, {t.day} thg {t.month}, {t.year} vào lúc {t:%H:%M} "
                f"{who} đã viết:")
    if lang == "id":
        return (f"Pada tanggal {WEEKDAYS['id']}, {t.day} Nov {t.year} pukul {t:%H.%M}, "
                f"{who} menulis:")
    if lang == "tl":
        return f"Noong {WEEKDAYS['tl']}, Nob {t.day}, {t.year} nang {t:%I:%M %p}, sumulat si {who}:"
    return f"On {WEEKDAYS['en']}, {t.day} Nov {t.year} at {t:%H:%M}, {who} wrote:"


def _outlook_header(when: datetime, who: str, to: str, subject: str) -> str:
    return (f"From: {who}\nSent: {when:%A, %B} {when.day}, {when:%Y %I:%M %p}\nTo: {to}\n"
            f"Subject: {subject}")


def _cp1258(text: str) -> bytes:
    """Encode Vietnamese in windows-1258 the way Outlook does: base letters plus combining
    tone marks where the code page has no precomposed character."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        for k in range(len(d), 0, -1):
            head = unicodedata.normalize("NFC", d[:k])
            try:
                out += head.encode("cp1258") + d[k:].encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += b"?"
    return bytes(out)


def _plain(mail: _Mail, shape: str) -> str:
    parts = [mail.body]
    if mail.signature:
        parts.append(mail.signature)
    if mail.disclaimer:
        parts.append(DISCLAIMER)
    for header, _who, text in mail.quoted:
        if shape == "outlook":
            parts.append("_" * 32 + "\n" + header + "\n\n" + text)
        else:
            quoted = "\n".join("> " + ln if ln else ">" for ln in text.split("\n"))
            parts.append(header + "\n\n" + quoted)
    for header, _who, text in mail.forwarded:
        parts.append("---------- Forwarded message ---------\n" + header + "\n\n" + text)
    return "\n\n".join(parts) + "\n"


def _html_paragraphs(text: str, shape: str) -> str:
    esc = [html.escape(p).replace("\n", "<br>") for p in text.split("\n\n")]
    if shape == "outlook":
        return "".join(f"<p class=MsoNormal><span style='font-size:11.0pt;font-family:"
                       f"\"Calibri\",sans-serif'>{p}<o:p></o:p></span></p>\n"
                       "<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n" for p in esc)
    if shape == "webform":
        return "".join(f'<p style="margin:0 0 12px 0;font-family:Arial,Helvetica,sans-serif;'
                       f'font-size:14px;line-height:20px;color:#333333">{p}</p>\n' for p in esc)
    return "".join(f"<div>{p}</div><div><br></div>\n" for p in esc)


def _html(mail: _Mail, shape: str) -> str:
    body = _html_paragraphs(mail.body, shape)
    if mail.signature:
        body += ('<div><br></div><div dir="ltr" class="gmail_signature" '
                 'style="color:#888888;font-size:12px">'
                 + html.escape(mail.signature).replace("\n", "<br>") + "</div>\n")
    if mail.disclaimer:
        body += ('<p style="font-size:8pt;color:#999999;font-family:Verdana,sans-serif">'
                 + html.escape(DISCLAIMER) + "</p>\n")
    for header, _who, text in mail.quoted:
        inner = _html_paragraphs(text, shape)
        if shape == "outlook":
            lines = header.split("\n")
            body += ("<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm "
                     "0cm 0cm'><p class=MsoNormal><b><span lang=EN-US>"
                     + "<br>".join(html.escape(ln).replace(": ", ":</b> ", 1).replace(
                         "<b>", "") for ln in lines)
                     + "</span></b></p></div>\n" + inner)
        elif shape == "apple":
            body += (f'<div><br><blockquote type="cite"><div>{html.escape(header)}</div><br>'
                     f'<div><div dir="ltr">{inner}</div></div></blockquote></div>\n')
        else:
            body += ('<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
                     f'{html.escape(header)}<br></div><blockquote class="gmail_quote" '
                     'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
                     f'padding-left:1ex">{inner}</blockquote></div>\n')
    for header, _who, text in mail.forwarded:
        body += ('<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- '
                 f'Forwarded message ---------<br>{html.escape(header).replace(chr(10), "<br>")}'
                 f'</div><br><br>{_html_paragraphs(text, "gmail")}</div>\n')
    if shape == "outlook":
        return ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-'
                'com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m='
                '"http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/'
                'REC-html40"><head><meta http-equiv=Content-Type content="text/html; charset='
                'utf-8"><meta name=Generator content="Microsoft Word 15 (filtered medium)">'
                '<style><!--\n/* Font Definitions */\n@font-face\n\t{font-family:"Cambria Math";'
                '\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\n@font-face\n\t{font-family:Calibri;\n\t'
                'panose-1:2 15 5 2 2 2 4 3 2 4;}\n/* Style Definitions */\np.MsoNormal, '
                'li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n\tfont-family:'
                '"Calibri",sans-serif;}\na:link, span.MsoHyperlink\n\t{mso-style-priority:99;\n\t'
                'color:#0563C1;\n\ttext-decoration:underline;}\nspan.EmailStyle17\n\t{mso-style-'
                'type:personal-compose;\n\tfont-family:"Calibri",sans-serif;\n\tcolor:windowtext;}'
                '\n.MsoChpDefault\n\t{mso-style-type:export-only;\n\tfont-family:"Calibri",'
                'sans-serif;}\n@page WordSection1\n\t{size:612.0pt 792.0pt;\n\tmargin:72.0pt '
                '72.0pt 72.0pt 72.0pt;}\ndiv.WordSection1\n\t{page:WordSection1;}\n--></style>'
                '<!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext="edit" spidmax="1026" />\n'
                '</xml><![endif]--></head><body lang=EN-US link="#0563C1" vlink="#954F72" '
                f'style=\'word-wrap:break-word\'><div class=WordSection1>\n{body}</div></body>'
                '</html>\n')
    if shape == "apple":
        return ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
                '</head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; '
                f'line-break: after-white-space;">{body}</body></html>\n')
    if shape == "webform":
        return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Contact form</title>'
                '</head><body style="margin:0;padding:0;background:#f4f4f4"><table width="100%"'
                ' cellpadding="0" cellspacing="0" style="background:#ffffff;max-width:600px">'
                f'<tr><td style="padding:24px">{body}</td></tr></table></body></html>\n')
    return f'<div dir="ltr">{body}</div>\n'


_POLICY = policy.SMTP.clone(refold_source="none")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_B64) for _ in range(n))


def _trace_headers(rng: random.Random, shape: str, domain: str, when: datetime
                   ) -> list[tuple[str, str]]:
    """Headers the receiving side adds (Received chain, DKIM, ARC, Authentication-Results):
    real inbound mail carries 15-30 of them, and every header lookup walks them."""
    ip = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    stamp = format_datetime(when + timedelta(seconds=rng.randint(1, 20)))
    mx = "mx.example.com"
    out = [("Return-Path", f"<bounce-{rng.getrandbits(24):06x}@{domain}>"),
           ("Delivered-To", "support@example.com")]
    hops = rng.randint(2, 4)
    for _ in range(hops):
        out.append(("Received", f"from mail-{rng.randint(1, 99)}.{domain} (mail-"
                    f"{rng.randint(1, 99)}.{domain} [{ip}])\n\tby {mx} (Postfix) with ESMTPS id "
                    f"{_b64(rng, 12).upper()}\n\tfor <support@example.com>; {stamp}"))
    out += [
        ("Authentication-Results", f"{mx};\n\tdkim=pass header.d={domain} header.s=s1 "
         f"header.b={_b64(rng, 8)};\n\tspf=pass (mx.example.com: domain of {domain} "
         f"designates {ip} as permitted sender) smtp.mailfrom={domain};\n\tdmarc=pass "
         f"(p=QUARANTINE) header.from={domain}"),
        ("ARC-Seal", f"i=1; a=rsa-sha256; t={int(when.timestamp())}; cv=none; d={domain}; "
         f"s=arc-20240605;\n\tb={_b64(rng, 70)}\n\t {_b64(rng, 70)}\n\t {_b64(rng, 60)}=="),
        ("ARC-Message-Signature", f"i=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; "
         f"s=arc-20240605;\n\th=to:subject:message-id:date:from:mime-version;\n\tbh="
         f"{_b64(rng, 43)}=;\n\tb={_b64(rng, 70)}\n\t {_b64(rng, 70)}=="),
        ("DKIM-Signature", f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1; "
         f"t={int(when.timestamp())}; x={int(when.timestamp()) + 604800};\n\th=to:subject:"
         f"message-id:date:from:mime-version:from:to:cc:subject:date:message-id:reply-to;"
         f"\n\tbh={_b64(rng, 43)}=;\n\tb={_b64(rng, 70)}\n\t {_b64(rng, 70)}\n\t "
         f"{_b64(rng, 70)}\n\t {_b64(rng, 60)}=="),
    ]
    if shape == "outlook":
        out += [("X-MS-Exchange-Organization-SCL", "1"),
                ("X-MS-Office365-Filtering-Correlation-Id",
                 f"{rng.getrandbits(128):032x}"),
                ("X-MS-Exchange-CrossTenant-OriginalArrivalTime", stamp),
                ("X-Microsoft-Antispam", "BCL:0;ARA:13230040|1800799024|366016;")]
    elif shape in ("gmail", "phone"):
        out += [("X-Google-DKIM-Signature", f"v=1; a=rsa-sha256; d=1e100.net; s=20230601; "
                 f"b={_b64(rng, 70)}=="),
                ("X-Gm-Message-State", _b64(rng, 60)),
                ("X-Google-Smtp-Source", _b64(rng, 50)),
                ("X-Received", f"by 2002:a05:6a00:{rng.getrandbits(16):x} with SMTP id "
                 f"{_b64(rng, 20)}; {stamp}")]
    return out


def _set_text(part: EmailMessage, text: str, subtype: str, charset: str, cte: str) -> None:
    if charset == "utf-8":
        part.set_content(text, subtype=subtype, charset="utf-8", cte=cte)
        return
    data = _cp1258(text) if charset == "windows-1258" else text.encode(charset, "replace")
    part.set_content(data, maintype="text", subtype=subtype, cte=cte)
    part.set_param("charset", charset)


def _attachment(rng: random.Random) -> tuple[bytes, str, str, str]:
    size = rng.randint(20 * 1024, 200 * 1024)
    if rng.random() < 0.6:
        n = rng.randint(1000, 9999)
        data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size)
        return data, "image", "jpeg", f"IMG_{n}.jpg"
    data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(size)
    return data, "application", "pdf", rng.choice(["invoice.pdf", "receipt.pdf", "hóa đơn.pdf",
                                                   "bukti transfer.pdf"])


def _number_boundaries(msg: EmailMessage, i: int) -> None:
    """Fixed boundaries (the email package would draw random ones)."""
    for k, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"==triage-bench-{i}-{k}==")


def _compose(i: int, rng: random.Random, texts: dict[str, list[str]]) -> bytes:
    lang = rng.choices(["en", "vi", "id", "tl"], weights=[40, 25, 20, 15])[0]
    shape = rng.choices([s for s, _ in SHAPES], weights=[w for _, w in SHAPES])[0]
    pool = texts[lang]
    name = rng.choice(NAMES[lang])
    domain = rng.choice(["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "example.net"])
    addr = f"{_ascii_local(name)}{rng.randint(1, 999)}@{domain}"
    first = rng.choice(pool)
    text = rng.choice(pool) + ("\n\n" + rng.choice(pool) if rng.random() < 0.3 else "")
    given = name.split()[-1] if lang == "vi" else name.split()[0]
    body = f"{rng.choice(GREETING[lang])}\n\n{text}\n\n{rng.choice(CLOSING[lang])}\n{given}"
    signature = ""
    if shape == "phone":
        signature = PHONE_SIG[lang] if rng.random() < 0.7 else ""
    elif rng.random() < 0.4:
        title = rng.choice(["Purchasing Manager", "Owner", "Admin", "Accountant"])
        prefix = rng.choice(["84 28", "62 21", "63 2", "65"])
        signature = (f"-- \n{name}\n{title}\n{rng.choice(COMPANIES)}\nTel: +{prefix} "
                     f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}")
    when = BASE_DATE + timedelta(minutes=7 * i)
    subject_base = " ".join(text.split(".")[0].split()[:9])[:60] or "Support"
    quoted: list[tuple[str, str, str]] = []
    forwarded: list[tuple[str, str, str]] = []
    subject = subject_base
    if rng.random() < 0.40:
        earlier = when - timedelta(hours=rng.randint(2, 72))
        us = formataddr(SUPPORT)
        history = OUR_REPLY[lang].format(n=1000 + i) + f"\n\n{SUPPORT[0]}"
        if shape == "outlook" or (shape != "phone" and rng.random() < 0.15):
            header = _outlook_header(earlier, us, f"{name} <{addr}>", f"RE: {subject_base}")
            history += "\n\n" + "_" * 32 + "\n" + _outlook_header(
                earlier - timedelta(hours=3), f"{name} <{addr}>", us, subject_base) + "\n\n" + first
        else:
            header = _quote_header(lang, earlier, us)
            older = _quote_header(lang, earlier - timedelta(hours=3), f"{name} <{addr}>")
            history += "\n\n" + older + "\n\n" + "\n".join("> " + ln for ln in first.split("\n"))
        quoted.append((header, us, history))
        subject = f"Re: {subject_base} [#T-{1000 + i}]"
    elif rng.random() < 0.07:
        for depth in range(2):
            fwd_name = rng.choice(NAMES[lang])
            fwd_addr = f"{_ascii_local(fwd_name)}@example.org"
            t = when - timedelta(days=depth + 1)
            header = (f"From: {fwd_name} <{fwd_addr}>\nDate: {format_datetime(t)}\n"
                      f"Subject: {subject_base}\nTo: {name} <{addr}>")
            forwarded.append((header, fwd_name, rng.choice(pool)))
        subject = f"Fwd: {subject_base}"
    mail = _Mail(lang, name, addr, subject, body, signature, rng.random() < 0.15, quoted,
                 forwarded)

    legacy = lang != "en" and rng.random() < 0.12
    charset = ("windows-1258" if lang == "vi" else "iso-8859-1") if legacy else "utf-8"
    if shape == "outlook" and lang == "vi" and rng.random() < 0.33:
        charset = "windows-1258"
    plain = _plain(mail, shape)
    msg = EmailMessage(policy=_POLICY)
    for key, value in _trace_headers(rng, shape, addr.split("@")[1], when):
        # raw values, folded as the receiving servers wrote them
        msg._headers.append((key, value.replace("\n", "\r\n")))
    msg["From"] = formataddr((name, addr))
    msg["To"] = formataddr(SUPPORT)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<bench-{i}.{rng.getrandbits(32):08x}@{addr.split('@')[1]}>"
    if quoted:
        msg["In-Reply-To"] = f"<draft-{1000 + i}@example.com>"
        msg["References"] = (f"<first-{1000 + i}@{addr.split('@')[1]}> "
                             f"<draft-{1000 + i}@example.com>")
    if shape == "outlook":
        msg["X-Mailer"] = "Microsoft Outlook 16.0"
        msg["Thread-Index"] = "AQHZ" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                                               for _ in range(20))
    elif shape == "apple":
        msg["X-Mailer"] = "Apple Mail (2.3774.200.91.1.1)"
    ascii_ok = plain.isascii()
    text_cte = {"gmail": "quoted-printable" if ascii_ok else "base64",
                "outlook": "quoted-printable", "apple": "quoted-printable",
                "phone": rng.choice(["8bit", "base64"]), "webform": "quoted-printable"}[shape]
    if charset != "utf-8" and text_cte == "8bit":
        text_cte = "quoted-printable"
    if shape == "phone":
        _set_text(msg, plain, "plain", charset, text_cte)
    elif shape == "webform":
        _set_text(msg, _html(mail, shape), "html", charset, text_cte)
    else:
        _set_text(msg, plain, "plain", charset, text_cte)
        alt = EmailMessage(policy=policy.SMTP)
        _set_text(alt, _html(mail, shape), "html", charset, text_cte)
        msg.make_alternative()
        msg.attach(alt)
    if rng.random() < 0.10:
        data, maintype, subtype, filename = _attachment(rng)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    _number_boundaries(msg, i)
    return bytes(msg)


def generate(n: int, seed: int = 1) -> list[bytes]:
    """Return ``n`` realistic customer mails (bytes, CRLF); the same ``seed`` gives the same
    bytes. Raises CorpusError when the bundled corpus cannot be read."""
    rng = random.Random(seed)
    texts = _texts()
    return [_compose(i, rng, texts) for i in range(n)]


def small(n: int, prefix: str = "m") -> list[bytes]:
    """Return ``n`` of the small plain-text mails the benchmarks used first (0.4 KiB)."""
    from tests.test_imap import customer_mails

    return customer_mails(n, prefix)


def mails(mix: str, n: int, seed: int = 1) -> list[bytes]:
    """Return ``n`` mails of ``mix`` (``small`` or ``realistic``)."""
    if mix == "small":
        return small(n, f"s{seed}-")
    if mix == "realistic":
        return generate(n, seed)
    raise ValueError(f"unknown mix {mix!r}; use 'small' or 'realistic'")


def describe(raws: Sequence[bytes]) -> str:
    """Return one line with the median, mean, p90 and maximum size of ``raws`` in KiB."""
    sizes = sorted(len(r) / 1024 for r in raws)
    p90 = sizes[int(len(sizes) * 0.9)] if sizes else 0.0
    return (f"{len(sizes)} mails: median {statistics.median(sizes):.1f} KiB, mean "
            f"{statistics.fmean(sizes):.1f} KiB, p90 {p90:.1f} KiB, max {sizes[-1]:.0f} KiB")


if __name__ == "__main__":
    generated = generate(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
    print(describe(generated))
    print("without attachments:", describe([r for r in generated if b"filename" not in r]))
