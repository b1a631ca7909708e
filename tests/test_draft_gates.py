"""The shortcuts of drafting's text scans find what the plain searches find (the drafts
they reach are compared whole in :mod:`tests.test_draft_fastpath`).

* :func:`~triage.drafting.address.last_lines` splits only the end of a text;
* the case-insensitive patterns of the tech details and order numbers are skipped on a text
  whose case view (:func:`~triage.drafting.rule_literals.case_view`) lacks their strings, and
  tried only where one of their prefixes starts
  (:func:`~triage.drafting.rule_literals.matches_from`);
* :data:`~triage.drafting.rule_literals.CASE_FIXES` and the case view agree with ``re`` over
  all of Unicode.

Compared on the texts of every request of the drafts' comparison and on mixed case and
non-ASCII texts (:data:`GATE_TEXTS`).
"""

from __future__ import annotations

import pytest

from tests.test_draft_fastpath import _requests
from triage.drafting.rule_literals import LiteralIndex


@pytest.mark.parametrize("seed", range(4))
def test_last_lines_equal_the_plain_split_of_the_whole_text(seed: int) -> None:
    """:func:`last_lines` splits only a text's end; every line break Python knows, at and
    across the chunk edges, gives the lines the plain split gives."""
    import random

    from triage.drafting.address import last_lines

    rng = random.Random(seed)
    pieces = ["a", "bc ", " ", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028",
              "xyz" * 50, "\n\n", "\t", "Regards,\nMs. Tan"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 300)))
        for count in (1, 3):
            assert last_lines(text, count) == \
                [ln for ln in text.splitlines() if ln.strip()][-count:], repr(text)


# mixed case and non-ASCII texts in the four languages, with the characters case-insensitive
# matching compares unlike lower() ("ſ" as "s", "ı" and "İ" as "i", the Kelvin sign as "k")
GATE_TEXTS = [
    "My IPHONE 12 Pro on iOS 17.2 says \"Payment Declined\"", "GALAXY s23, ANDROID 14",
    "Chrome 120 on Windows 11, Error: 'SESSION EXPIRED'", "máy Oppo A5, lỗi \"Mất mạng\"",
    "Kelvin: \u212aindle? no: MACBOOK Air, SAFARI 17", "OnePlus 9, One UI 6", "pc", "",
    "MÁY SAMSUNG A54, ANDROID 14, BÁO LỖI \"KHÔNG KẾT NỐI ĐƯỢC\"", "trình duyệt CỐC CỐC 120",
    "Điện thoại XIAOMI Redmi Note 12 hiện \"Lỗi 502\"", "HP saya ſamſung, muncul “Gagal masuk”",
    "Ang LAPTOP ko, Wındows 11, lumabas 'Session Expired' — salamat pô",
    "İPHONE 13 – Lİnux? MAC OS, ıOS 17, SafarI", "ΑΣ ΣΑΣ iOS 17 «Σφάλμα σύνδεσης»",
    "\u0130nvoice #88231 – ĐƠN HÀNG DH12345", "Nomor Pesanan 2311230ABC, TİKET 4455 ſaya",
    "ORDER #A12345 and Ticket No. 88231", "đơn hàng DH12345", "my Acct 99887766, #44556",
    "\u212aase 12345 (Kelvin sign)", "no keyword 123456", "MÃ KHÁCH HÀNG KH-99812, ſố hợp đồng 7",
    "Kaso Bılang 55120 po, TRANSAKSI 99123", "ỌRDER 1234 ōrder 5678 Ørder 9012",
]


def test_tech_details_with_the_gates_equal_the_plain_searches(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The case-insensitive patterns skipped on a text whose case view lacks their strings
    find what the plain searches find, on every request's text (en, vi, id, tl) and on mixed
    case and non-ASCII ones."""
    from triage.drafting import techdetails

    texts = [f"{r.subject}\n{r.text}" for r in _requests()] + GATE_TEXTS
    assert sum(not t.isascii() for t in texts) > 300
    gated = [techdetails.detect_tech_details(t, ("image/png",) if i % 5 else ())
             for i, t in enumerate(texts)]
    assert any(g.device for g in gated) and any(g.browser for g in gated)
    assert any(g.device and not t.isascii() for g, t in zip(gated, texts, strict=True))
    # the strings are found in one pass (techdetails._WORDS): an index that misses them
    # finds less, so the comparison below would fail
    with monkeypatch.context() as patched:
        patched.setattr(techdetails, "_WORDS", LiteralIndex())
        assert gated != [techdetails.detect_tech_details(t, ("image/png",) if i % 5 else ())
                         for i, t in enumerate(texts)]
    monkeypatch.setattr(techdetails, "_GATES", dict.fromkeys(techdetails._GATES))
    monkeypatch.setattr(techdetails, "_STARTS", dict.fromkeys(techdetails._STARTS))
    assert gated == [techdetails.detect_tech_details(t, ("image/png",) if i % 5 else ())
                     for i, t in enumerate(texts)]


def test_order_numbers_with_the_gate_equal_the_plain_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Skipping the keyword search on a text whose case view lacks its keywords finds the
    numbers the plain search finds, mixed case and non-ASCII texts included."""
    from triage.drafting import extract

    texts = [r.text for r in _requests()] + GATE_TEXTS
    gated = [extract.extract_order_numbers(t, None, []) for t in texts]
    assert any(orders for orders, _tickets in gated)
    assert any(orders and not t.isascii() for (orders, _), t in zip(gated, texts, strict=True))
    with monkeypatch.context() as patched:  # the one-pass index matters (see above)
        patched.setattr(extract, "_KEYED_INDEX", LiteralIndex())
        assert gated != [extract.extract_order_numbers(t, None, []) for t in texts]
    monkeypatch.setattr(extract, "_KEYED_WORDS", None)
    assert gated == [extract.extract_order_numbers(t, None, []) for t in texts]


def test_case_fixes_are_every_character_lower_gives_otherwise_than_matching() -> None:
    """Over all of Unicode: the characters whose ``lower()`` is not the form ``re`` compares
    them in under IGNORECASE (their simple lowercase, one member for each extra case group),
    and what :data:`CASE_FIXES` maps them to."""
    import _sre
    from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]

    from triage.drafting.rule_literals import CASE_FIXES

    def compared_as(ch: str) -> str:
        low = _sre.unicode_tolower(ord(ch))
        return chr(min((low, *_EXTRA_CASES.get(low, ()))))

    expected = {}
    for code in range(0x110000):
        ch = chr(code)
        if ch.lower() != compared_as(ch):
            expected[code] = ord(compared_as(ch))
    assert expected == CASE_FIXES


def test_case_view_holds_each_literal_character_wherever_matching_finds_it() -> None:
    """Every character of Unicode that a gate string's character (or an ASCII letter) matches
    case-insensitively looks like that character in the case view, alone and amid others."""
    import re

    from triage.drafting import extract, techdetails
    from triage.drafting.rule_literals import case_gate_literals, case_view

    everything = "".join(map(chr, range(0x110000)))
    words = [w for ws in (*techdetails._GATES.values(), extract._KEYED_WORDS) for w in ws or ()]
    chars = sorted(set("".join(words)) | set("abcdefghijklmnopqrstuvwxyz"))
    assert len(words) > 60 and any(not c.isascii() for c in chars)
    for ch in chars:
        found = [m.group() for m in re.finditer(re.escape(ch), everything, re.IGNORECASE)]
        assert ch in found
        for other in found:
            assert case_view(other) == ch, (ch, other)
            assert case_view(f"ΑΣ{other}Σ x") == f"ας{ch}ς x", (ch, other)
    assert case_gate_literals(re.compile(r"\b(?:order|đơn)\s*\d+", re.IGNORECASE)) == \
        ("order", "đơn")
    for refused in ("(?:\u212aelvin|abc)", "(?:Order|abc)", "(?:ſtop|abc)", "(?:ıd|abc)", r"\d+"):
        assert case_gate_literals(re.compile(refused, re.IGNORECASE)) is None, refused


def test_matches_from_the_prefixes_are_finditers() -> None:
    """Matches tried only where a prefix starts in the case view are ``finditer``'s, with
    overlapping prefixes, lookbehinds in front, matches that swallow later prefixes, and
    every text of the gate tests; the view keeps each character's place."""
    import re

    from triage.drafting import extract
    from triage.drafting.rule_literals import (
        case_gate_literals,
        case_prefix_literals,
        case_view,
        matches_from,
    )

    everything = "".join(map(chr, range(0x110000)))
    assert len(case_view(everything)) == len(everything)
    from triage.drafting import techdetails

    patterns = [extract._KEYED, *techdetails._STARTS,
                re.compile(r"(?<![\w])(?:ab|abab|ba)\w*", re.IGNORECASE),
                re.compile(r"(?:ab)+c|^x?(?:ba)*?d", re.IGNORECASE),
                re.compile(r"\b(?:(?:v|ver)\s*)?build\d+|(?<![\w.])v(?=\d)\w", re.IGNORECASE),
                re.compile(r"(?<!x)(?:order|ord)(?:er)?\s*#?\d*", re.IGNORECASE),
                re.compile(r"(?:don|đơn|số)\s*(?:hàng)?", re.IGNORECASE)]
    texts = [r.text for r in _requests()[:200]] + GATE_TEXTS + [
        "abababab ba ab xab ABAB Ab", "xorder order12 ORDERER ord #5 ORD", "MÃ ĐƠN mã ma don",
        "İd ıd ſo ſố SỐ số", "ab" * 50, "ababc abac xbabad xd d bad", "v12 ver 3 V4x 5 .v6",
        "App Version 2.3.1, build 4411, v5.0, bản 1.2, Bersyon 3.4", "vv1 vver2 appv3 vbuild7",
        "ver build12 Vbuild3 v build4"]
    for pattern in patterns:
        starts = case_prefix_literals(pattern)
        assert starts is not None, pattern.pattern
        for text in texts:
            fast = [m.span() for m in matches_from(pattern, text, case_view(text), starts)]
            assert fast == [m.span() for m in pattern.finditer(text)], (pattern.pattern, text)
    assert case_prefix_literals(re.compile(r"(?<=a)(?:bc|de)", re.IGNORECASE)) == ("bc", "de")
    assert case_prefix_literals(re.compile(r"\w+order", re.IGNORECASE)) is None
    assert case_prefix_literals(re.compile(r"(?:ab)+c", re.IGNORECASE)) == ("ab",)
    verbose = re.compile(r"a b # c", re.IGNORECASE | re.VERBOSE)  # "ab" read without the flag
    assert case_prefix_literals(verbose) is None and case_gate_literals(verbose) is None
    assert case_prefix_literals(re.compile(r"^(?:app )?v(?:er)?", re.IGNORECASE)) == \
        ("app ", "v")
    assert case_prefix_literals(re.compile(r"(?:Order|abc)", re.IGNORECASE)) is None
