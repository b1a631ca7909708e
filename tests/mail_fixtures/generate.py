"""Write the reply-extraction fixtures: ``cases/<name>.eml`` and ``cases/<name>.expected.txt``.

Each case is one mail as a client would send it (plain text or HTML), and the customer's own
text that triage must extract from it: no quoted history, no signature, forwards kept after one
``---------- Forwarded message ----------`` line. Names are ``<lang>-<client>-<shape>``.
Run ``python tests/mail_fixtures/generate.py`` after changing this file or ``languages.py``;
the hand-made cases in ``extra.py`` are written by the same run.
"""

from __future__ import annotations

import hashlib
import html
import sys
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from extra import EXTRA  # noqa: E402
from holdout import HOLDOUT  # noqa: E402
from languages import SUPPORT, SUPPORT_ADDR, L  # noqa: E402

CASES = HERE / "cases"
MARK = "---------- Forwarded message ----------"
"""The line triage puts before a forwarded message it keeps."""
CUSTOMER_ADDR = "customer@example.net"
ORDER_MAIL = ("Thank you for your order 48213.\nItems: 2 x Running shoes (size 42)\n"
              "Total: 59.90 EUR\nEstimated delivery: 5-7 working days")
SAMSUNG_SIG = {"vi": "Được gửi từ điện thoại Galaxy của tôi",
               "id": "Dikirim dari ponsel Samsung Galaxy saya",
               "de": "Von meinem Galaxy gesendet", "ru": "Отправлено с устройства Galaxy",
               "fr": "Envoyé depuis mon appareil Galaxy", "es": "Enviado desde mi Galaxy"}
OTHER_CLIENT = {"vi": "zoho", "id": "zoho", "tl": "zoho", "ms": "zoho", "th": "zoho",
                "zh": "lark", "ja": "lark", "ko": "lark", "en": "windows",
                "de": "windows", "fr": "windows", "es": "windows", "pt": "windows",
                "it": "windows", "nl": "windows", "pl": "windows", "sv": "windows",
                "da": "windows", "no": "windows", "ru": "yandex"}


def quoted(text: str) -> str:
    """``text`` with every line prefixed by '> ' as clients quote."""
    return "\n".join(f"> {ln}" if ln else ">" for ln in text.splitlines())


def h(text: str) -> str:
    """``text`` as HTML paragraphs with <br> line breaks."""
    return "<br>\n".join(html.escape(ln) for ln in text.splitlines())


def mail(lang: str, body: str, *, subject: str, html_body: bool = False,
         name: str | None = None) -> bytes:
    """A whole RFC 5322 message from the customer to support."""
    m = EmailMessage()
    m["From"] = formataddr((name or str(L.get(lang, {}).get("name", "Ayşe Yılmaz")), CUSTOMER_ADDR))
    m["To"] = formataddr((SUPPORT, SUPPORT_ADDR))
    m["Subject"] = subject
    m["Date"] = "Tue, 04 Jun 2024 09:30:00 +0700"
    digest = hashlib.sha1(f"{lang}{subject}{body}".encode()).hexdigest()[:16]
    m["Message-ID"] = f"<{digest}@example.net>"
    if html_body:
        m.set_content(f"<html><body>{body}</body></html>", subtype="html", charset="utf-8")
    else:
        m.set_content(body, charset="utf-8")
    return bytes(m)


def outlook_block(lang: str, subject: str, *, date: str | None = None, bold: bool = False,
                  line: bool = True) -> str:
    """The 'From: / Sent: / To: / Subject:' block Outlook puts over the quoted message."""
    f, s, t, sub = L[lang]["outlook"]  # type: ignore[misc]
    b = "*" if bold else ""
    sep = " :" if lang == "fr" else ":"
    when = date or L[lang]["sent"]
    rows = [f"{b}{f}{sep}{b} {SUPPORT} <{SUPPORT_ADDR}>", f"{b}{s}{sep}{b} {when}",
            f"{b}{t}{sep}{b} {L[lang]['name']} <{CUSTOMER_ADDR}>", f"{b}{sub}{sep}{b} {subject}"]
    return ("_" * 32 + "\n" if line else "") + "\n".join(rows)


def cases_for(lang: str) -> dict[str, tuple[bytes, str]]:
    """Every generated shape for one language: name -> (raw mail, expected text)."""
    d = L[lang]
    texts, quote, closing = list(d["texts"]), str(d["quote"]), str(d["closing"])  # type: ignore[call-overload]
    gm = str(d["gmail"]).format(n=SUPPORT, a=SUPPORT_ADDR)
    ap = str(d["apple"]).format(n=SUPPORT, a=SUPPORT_ADDR)
    re_subj = "Re: Your request [#T-1042]"
    out: dict[str, tuple[bytes, str]] = {}
    t0, t1, t2 = texts
    out["gmail-plain"] = (mail(lang, f"{t0}\n\n{closing}\n\n{gm}\n\n{quoted(quote)}\n",
                               subject=re_subj), f"{t0}\n\n{closing}")
    out["gmail-html"] = (mail(lang, (
        f'<div dir="ltr">{h(t1)}</div><br><div class="gmail_quote"><div dir="ltr" '
        f'class="gmail_attr">{html.escape(gm)}<br></div><blockquote class="gmail_quote" '
        f'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">'
        f'{h(quote)}</blockquote></div>'), subject=re_subj, html_body=True), t1)
    out["outlook-plain"] = (mail(lang, (
        f"{t2}\n\n-- \n{d['name']}\nPhone: +84 90 123 4567\n\n"
        f"{outlook_block(lang, 'Your request [#T-1042]')}\n\n{quote}\n"), subject=re_subj), t2)
    f, s, t, sub = d["outlook"]  # type: ignore[misc]
    out["outlookweb-html"] = (mail(lang, (
        f'<div style="font-family:Calibri">{h(t0)}</div><div><br></div><div>{h(closing)}</div>'
        f'<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" '
        f'dir="ltr"><font face="Calibri" style="font-size:11pt"><b>{f}:</b> {SUPPORT} '
        f'&lt;{SUPPORT_ADDR}&gt;<br><b>{s}:</b> {d["sent"]}<br><b>{t}:</b> {d["name"]}<br>'
        f'<b>{sub}:</b> Your request [#T-1042]</font><div>&nbsp;</div></div>'
        f'<div>{h(quote)}</div>'), subject=re_subj, html_body=True), f"{t0}\n\n{closing}")
    out["ios-plain"] = (mail(lang, f"{t1}\n\n{d['sig']}\n\n{ap}\n\n{quoted(quote)}\n",
                             subject=re_subj), t1)
    out["thunderbird-html"] = (mail(lang, (
        f'<p>{h(t2)}</p><p>{h(closing)}</p><div class="moz-cite-prefix">{html.escape(ap)}<br>'
        f'</div><blockquote type="cite" cite="mid:abc@shopmate.example">{h(quote)}'
        f'</blockquote>'), subject=re_subj, html_body=True), f"{t2}\n\n{closing}")
    out["yahoo-html"] = (mail(lang, (
        f'<div class="ydp1"><div>{h(t0)}</div><div><br></div><div id="ymail_android_signature">'
        f'Sent from Yahoo Mail on Android</div></div><div class="yahoo_quoted" '
        f'style="margin:10px 0px 0px 0.8ex"><div style="font-size:12px">{html.escape(gm)}</div>'
        f'<div><div dir="ltr">{h(quote)}</div></div></div>'), subject=re_subj, html_body=True),
        t0)
    orig = (f"{d['orig']}\n{f}: {SUPPORT} <{SUPPORT_ADDR}>\n"
            f"Date: 03/06/2024 10:15 (GMT+07:00)\n{t}: {CUSTOMER_ADDR}\n"
            f"{sub}: Your request [#T-1042]\n\n{quote}")
    sam = SAMSUNG_SIG.get(lang, "Sent from my Galaxy")
    out["samsung-plain"] = (mail(lang, f"{t1}\n\n\n\n{sam}\n\n{orig}\n", subject=re_subj), t1)
    fwd_head = (f"{f}: ShopMate <orders@shopmate.example>\nDate: Sat, Jun 1, 2024 at 8:02 PM\n"
                f"{sub}: Order 48213 confirmed\n{t}: <{CUSTOMER_ADDR}>")
    expected_fwd = f"{t0}\n\n{MARK}\n{ORDER_MAIL}"
    out["gmail-forward"] = (mail(lang, f"{t0}\n\n{d['fwd']}\n{fwd_head}\n\n\n{ORDER_MAIL}\n",
                                 subject=f"{d['fw']} Order 48213 confirmed"), expected_fwd)
    out["ios-forward"] = (mail(lang, (
        f"{t0}\n\n{d['sig']}\n\n{d['apple_fwd']}\n\n{fwd_head}\n\n{ORDER_MAIL}\n"),
        subject=f"{d['fw']} Order 48213 confirmed"), expected_fwd)
    block = outlook_block(lang, "Order 48213 confirmed", date="Saturday, June 1, 2024 8:02 PM")
    out["outlook-forward"] = (mail(lang, f"{t0}\n\n{block}\n\n{ORDER_MAIL}\n",
                                   subject="FW: Order 48213 confirmed"), expected_fwd)
    qlines = quote.splitlines()
    if lang in ("en", "vi", "id", "tl", "de", "fr", "es", "ru", "nl", "pl"):
        out["thunderbird-interleaved"] = (mail(lang, (
            f"{ap}\n{quoted(chr(10).join(qlines[:3]))}\n\n{t0}\n\n"
            f"{quoted(chr(10).join(qlines[3:]))}\n\n{t2}\n"), subject=re_subj), f"{t0}\n\n{t2}")
    else:
        out["gmail-bottom"] = (mail(lang, f"{gm}\n{quoted(quote)}\n\n{t2}\n\n{closing}\n",
                                    subject=re_subj), f"{t2}\n\n{closing}")
    other = OTHER_CLIENT[lang]
    if other == "zoho":
        out["zoho-plain"] = (mail(lang, (
            f"{t2}\n\n\n---- On Mon, 03 Jun 2024 10:15:00 +0700 {SUPPORT} <{SUPPORT_ADDR}> "
            f"wrote ----\n\n{quoted(quote)}\n"), subject=re_subj), t2)
    elif other == "lark":
        out["lark-plain"] = (mail(lang, (
            f"{t2}\n\n{f}: {SUPPORT} <{SUPPORT_ADDR}>\nDate: 2024-06-03 10:15\n"
            f"{sub}: Your request [#T-1042]\n{t}: {d['name']} <{CUSTOMER_ADDR}>\n\n{quote}\n"),
            subject=re_subj), t2)
    elif other == "windows":
        out["windowsmail-plain"] = (mail(lang, (
            f"{t1}\n\nSent from Mail for Windows\n\n"
            f"{outlook_block(lang, 'Your request', line=False)}"
            f"\n\n{quote}\n"), subject=re_subj), t1)
    elif other == "yandex":
        out["yandex-plain"] = (mail(lang, (
            f"{t1}\n\n-- \nОтправлено из мобильной Яндекс Почты\n\n03.06.2024, 10:15, "
            f"\"{SUPPORT}\" <{SUPPORT_ADDR}>:\n{quoted(quote)}\n"), subject=re_subj), t1)
        out["mailru-plain"] = (mail(lang, (
            f"{t2}\n\n\n>Понедельник, 3 июня 2024, 10:15 +03:00 от {SUPPORT} <{SUPPORT_ADDR}>:"
            f"\n>\n{quoted(quote)}\n"), subject=re_subj), t2)
        out["android-plain"] = (mail(lang, (
            f"{t0}\n\n3 июня 2024 г., 10:15 пользователь {SUPPORT} <{SUPPORT_ADDR}> написал:\n\n"
            f"{quoted(quote)}\n"), subject=re_subj), t0)
    return out


def main() -> None:
    """(Re)write every case file."""
    CASES.mkdir(exist_ok=True)
    for old in CASES.iterdir():
        old.unlink()
    n = 0
    every: dict[str, tuple[bytes, str]] = {}
    for lang in L:
        for shape, case in cases_for(lang).items():
            every[f"{lang}-{shape}"] = case
    for name, (raw_or_text, expected, lang, subject, is_html) in {**EXTRA, **HOLDOUT}.items():
        every[name] = (mail(lang, raw_or_text, subject=subject, html_body=is_html), expected)
    for name, (raw, expected) in sorted(every.items()):
        (CASES / f"{name}.eml").write_bytes(raw)
        (CASES / f"{name}.expected.txt").write_text(expected.strip() + "\n", encoding="utf-8")
        n += 1
    print(f"wrote {n} cases into {CASES}")


if __name__ == "__main__":
    main()
