"""Quote and signature stripping: edge texts, realistic mail, the shapes of issue #15.

The table test over the fixtures of every client and language is tests/test_reply_fixtures.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.mailgen import generate
from triage.mail.parse import parse_email
from triage.mail.quotes import FORWARD_MARK, strip_quotes

T0 = datetime(2026, 1, 1, tzinfo=UTC)

EDGE_TEXTS = [
    "",
    "\n",
    "no header here at all",
    "On Mon, 16 Nov 2026 at 09:12, Support <s@example.com> wrote:\n\n> hi",
    "Thanks!\nOn Mon, 16 Nov 2026 at 09:12, Support <s@example.com> wrote:\n> hi",
    "Thanks!\n> On Mon, Support wrote:\n> > older",
    "Reply\n\nFrom: Support <s@example.com>\nSent: Monday\nTo: me\nSubject: RE: x\n\nold",
    "Reply\nFrom: a\nTo: b\n",
    "From: a\nTo: b",
    "Danke\n\nAm 16.11.2026 um 09:12 schrieb Support <s@example.com>:\n> alt",
    "Merci\nLe lun. 16 nov. 2026 à 09:12, Support a écrit :\n> ancien",
    "Reply\n-----Original Message-----\nFrom: x\nSent: y",
    "a:b\nc:d\nTel: +84 28 1234 5678\nSubject: x\nDate: y\nSubject: z",
    "Time: 10:30\n\nNo headers here, only colons: see?",
    "line\r\nFrom: a\r\nSent: b\r\n",
    "x" * 500 + "\nFrom: a\nSent: b\n" + "y" * 500,
    "\n\n\nFrom: a\n\n\nSent: b\n\n",
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_edge_texts_keep_only_own_lines(text: str) -> None:
    out = strip_quotes(text)
    assert (out == "") == (not text.strip())
    own = {ln.strip() for ln in text.replace("\r", "").split("\n")}
    assert all(ln.strip() in own for ln in out.split("\n"))  # nothing invented
    if "\n> " in text and not text.startswith("On "):  # quoted lines go, unless all is quote
        assert ">" not in out


@pytest.fixture(scope="module")
def mail_texts() -> list[str]:
    """Full texts of 300 realistic mails (quoted replies, Outlook blocks, signatures)."""
    return [parse_email(raw, fallback_received=T0).full_text for raw in generate(300, seed=3)]


def test_realistic_mail_loses_its_history_and_keeps_text(mail_texts: list[str]) -> None:
    changed = 0
    for text in mail_texts:
        out = strip_quotes(text)
        assert out.strip(), text[:200]
        assert not any(ln.startswith(">") for ln in out.splitlines()), text[:200]
        changed += out != text.strip()
    assert changed > 100  # history and signatures really were cut


def test_strip_quotes_cuts_gmail_and_outlook_history() -> None:
    gmail = ("Still broken.\n\nOn Mon, 16 Nov 2026 at 09:12, Support <s@example.com> wrote:\n"
             "> We are looking into it.")
    outlook = ("Still broken.\n\n________________________________\nFrom: Support\n"
               "Sent: Monday, November 16, 2026 9:12 AM\nTo: me\nSubject: RE: x\n\nold")
    vi = "Vẫn lỗi.\n\nVào Th 2, 16 thg 11, 2026 vào lúc 09:12 Support <s@x> đã viết:\n> cũ"
    for text in (gmail, outlook, vi):
        assert strip_quotes(text) == text.split("\n")[0]


# the measured shortfalls of issue #15, one each (they failed before this extraction)
SHAPES = {
    "nl": ("Nog steeds niets.\n\nOp ma 3 jun 2024 om 10:15 schreef Support <s@x.nl>:\n> oud",
           "Nog steeds niets."),
    "pl": ("Dalej nie działa.\n\nW dniu pon., 3 cze 2024 o 10:15 Support <s@x.pl> napisał(a):"
           "\n> stare", "Dalej nie działa."),
    "da": ("Tak.\n\nFra: Support <s@x.dk>\nSendt: 3. juni 2024 10:15\nTil: mig\nEmne: Sag\n\n"
           "gammel", "Tak."),
    "sv": ("Tack.\n\nFrån: Support <s@x.se>\nSkickat: den 3 juni 2024 10:15\nTill: mig\n"
           "Ämne: Ärende\n\ngammalt", "Tack."),
    "no-skrev": ("Takk.\n\n3. jun. 2024 kl. 10:15 skrev Support <s@x.no>:\n> gammel", "Takk."),
    "ru-android": ("Спасибо.\n\n3 июня 2024 г., 10:15 пользователь Support <s@x.ru> написал:\n"
                   "> старое", "Спасибо."),
    "mailru": ("Жду ответа.\n\n>Понедельник, 3 июня 2024, 10:15 +03:00 от Support <s@x.ru>:\n"
               ">старое", "Жду ответа."),
    "yandex": ("Жду.\n\n03.06.2024, 10:15, \"Support\" <s@x.ru>:\n> старое", "Жду."),
    "on-sent": ("Ok.\n\nOn Monday, June 3, 2024 10:15 AM, Support <s@x.com> sent:\n> old", "Ok."),
    "dash-wrote": ("Ok.\n\n---- John Smith wrote ----\n\n> old", "Ok."),
    "samsung-wrote": ("Ok.\n\nSent from Samsung Mobile\n\nJohn Smith <j@x.com> wrote:\n> old",
                      "Ok."),
    "iso-date": ("Ok.\n\n2014-10-17 11:28 GMT+03:00 Name <n@x.com>:\n\n> old", "Ok."),
    "dashes-on-wrote": ("Ok.\n\n------On Mon, Jun 3, 2024, Support wrote-----\n\n> old", "Ok."),
    "bold-from": ("Ok.\n\n*From:* Support <s@x.com>\n*Sent:* Monday\n*To:* me\n*Subject:* x\n\n"
                  "old", "Ok."),
    "wrapped": ("Ok.\n\nOn Mon, Jun 3, 2024 at 10:15 AM Support <\ns@x.com> wrote:\n> old", "Ok."),
    "same-line": ("Ok thanks! On Mon, Jun 3, 2024 at 10:15 AM Support <s@x.com> wrote:\n> old",
                  "Ok thanks!"),
    "below": ("On Mon, Jun 3, 2024, Support <s@x.com> wrote:\n> old\n\nMy answer.", "My answer."),
    "after-quote": ("> old question\n\nanswer\n\nRegards, Roman", "answer\n\nRegards, Roman"),
    "arrows": (">>> https://example.com <<<\nthis page", ">>> https://example.com <<<\nthis page"),
    "sig-vi": ("Lỗi rồi.\n\nĐược gửi từ iPhone của tôi", "Lỗi rồi."),
    "sig-id": ("Masih error.\n\nDikirim dari Yahoo Mail di Android", "Masih error."),
    "sig-tl": ("Sira pa rin po.\n\nIpinadala mula sa aking Galaxy", "Sira pa rin po."),
    "sig-dashes": ("Broken.\n\n-- \nJohn\nACME", "Broken."),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_issue_shapes(name: str) -> None:
    text, expected = SHAPES[name]
    assert strip_quotes(text) == expected


def test_a_forward_is_kept_and_marked() -> None:
    text = ("See below.\n\n---------- Forwarded message ---------\nFrom: Shop <s@x.com>\n"
            "Date: Sat, Jun 1, 2024\nSubject: Order\nTo: <me@x.com>\n\n\nYour order shipped.")
    assert strip_quotes(text) == f"See below.\n\n{FORWARD_MARK}\nYour order shipped."


def test_an_outlook_forward_is_told_from_a_reply_by_its_subject() -> None:
    text = ("FYI\n\n________________________________\nFrom: Shop <s@x.com>\nSent: Monday\n"
            "To: me\nSubject: Order\n\nYour order shipped.")
    assert strip_quotes(text, "FW: Order") == f"FYI\n\n{FORWARD_MARK}\nYour order shipped."
    assert strip_quotes(text, "RE: Order") == "FYI"
