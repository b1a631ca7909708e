"""Quote stripping: the speed-ups around mail-parser-reply give exactly the library's result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mailparser_reply.parser import EmailMessage

from bench.mailgen import generate
from triage.mail import quotes
from triage.mail.parse import parse_email
from triage.mail.quotes import LineStartPattern, strip_quotes

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


def _library_strip(text: str) -> str:
    """strip_quotes as written before the speed-ups: the library's own parse_reply."""
    if not text.strip():
        return ""
    head = text
    m = quotes._EXTRA_HEADERS.search(head)
    if m:
        head = head[: m.start()]
    head = "\n".join(ln for ln in head.splitlines() if not ln.lstrip().startswith(">"))
    try:
        latest = quotes._PARSER.parse_reply(text=head)
    except Exception:
        latest = head
    sig = quotes._SIG.search(latest or "")
    if sig:
        latest = latest[: sig.start()]
    latest = (latest or "").strip()
    return latest or text.strip()


@pytest.fixture(scope="module")
def mail_texts() -> list[str]:
    """Full texts of 300 realistic mails (quoted replies, Outlook blocks, signatures)."""
    return [parse_email(raw, fallback_received=T0).full_text for raw in generate(300, seed=3)]


def test_line_start_findall_equals_re_findall(mail_texts: list[str]) -> None:
    header = quotes._PATTERNS["_header_regex"]
    assert isinstance(header, LineStartPattern)
    texts = EDGE_TEXTS + mail_texts
    normalised = [EmailMessage(text=t, languages=["en"]).text for t in texts]
    found = 0
    for text in texts + normalised:
        expected = header.pattern.findall(text)
        assert header.findall(text) == expected, text[:200]
        found += bool(expected)
    assert found > 50  # the comparison covered texts that do have reply headers


def test_line_start_findall_for_one_and_no_group_patterns() -> None:
    import re

    for pattern in (re.compile(r"^ab", re.M), re.compile(r"(?:^|\n)(x+)", re.M)):
        text = "ab\nxab\nab x\n\nxx\nab"
        assert LineStartPattern(pattern).findall(text) == pattern.findall(text)


def test_strip_quotes_equals_the_library_on_real_shaped_mail(mail_texts: list[str]) -> None:
    changed = 0
    for text in EDGE_TEXTS + mail_texts:
        assert strip_quotes(text) == _library_strip(text), text[:200]
        changed += strip_quotes(text) != text.strip()
    assert changed > 100  # history and signatures really were cut


def test_strip_quotes_cuts_gmail_and_outlook_history() -> None:
    gmail = ("Still broken.\n\nOn Mon, 16 Nov 2026 at 09:12, Support <s@example.com> wrote:\n"
             "> We are looking into it.")
    outlook = ("Still broken.\n\n________________________________\nFrom: Support\n"
               "Sent: Monday, November 16, 2026 9:12 AM\nTo: me\nSubject: RE: x\n\nold")
    vi = "Vẫn lỗi.\n\nVào Th 2, 16 thg 11, 2026 vào lúc 09:12 Support <s@x> đã viết:\n> cũ"
    for text in (gmail, outlook, vi):
        assert strip_quotes(text) == text.split("\n")[0]
