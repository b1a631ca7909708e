"""The parse shortcuts of session 10 (#19) change no result: each gate is compared with the
plain evaluation it skips.

* the quote walk: mail-parser-reply's reply-header pattern is tried only on lines holding one
  of the strings every one of its patterns needs (``quotes._library_may_hit``), and the
  "... wrote:" pattern only on lines ending with a colon (``quotes._colon_end``).
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime

import pytest

from tests.test_parse_fastpath import CORPUS, LINES
from triage.mail import quotes
from triage.mail.batch import parse_batch

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)

LIBRARY_HEADERS = [
    "On Mon, Jun 3, 2024 at 10:15 AM A <a@b.c> wrote:",
    "Am 03.06.2024 um 10:15 schrieb A <a@b.c>:",
    "Dne 3. 6. 2024 10:15 A <a@b.c> napsal(a):",
    "Den 3. jun. 2024 kl. 10.15 skrev A <a@b.c>:",
    "Le lun. 3 juin 2024 à 10:15, A <a@b.c> a écrit :",
    "Il giorno lun 3 giu 2024 alle ore 10:15 A <a@b.c> ha scritto:",
    "2024年6月3日(月) 10:15 A <a@b.c>:",
    "Op ma 3 jun 2024 om 10:15 A <a@b.c> schreef:",
    "Dnia 3.06.2024 o 10:15 A <a@b.c> napisał(a):",
    "Dnia 3.06.2024 A nadesłał:",
    "mån 3 juni 2024 kl 10:15 skrev A <a@b.c>:",
    "Od: Jan Kowalski", "*Data:* 3 czerwca 2024", "> > Do: x", "Wysłano: pon",
    "-----Original Message-----", "----- original message -----",
]
"""One line per pattern of the library that a single line can match (its Spanish, Korean and
Chinese headers exclude themselves with their own lookahead; a header block needs two lines
but the Polish one)."""

FOLDS = [("s", "ſ"), ("k", "\u212a"), ("i", "İ"), ("i", "ı"), ("e", "É"), ("o", "O")]
"""Letters and what re's case-insensitive match takes for them, lower() not always."""


def _variants(line: str) -> list[str]:
    out = [line, line.upper(), line.swapcase(), "> " + line, ">>" + line, "  " + line + "  ",
           line.replace(":", " :"), line.replace(":", "："), line[:-1], line + " x"]
    out += [line.replace(a, b) for a, b in FOLDS if a in line]
    return out


def _lines() -> list[str]:
    texts = [o.full_text for o in parse_batch([(n, r, NOW) for n, r in CORPUS])[0]
             if not isinstance(o, str)]
    lines = [ln for t in texts for ln in t.splitlines()]
    return lines + [v for ln in (*LINES, *LIBRARY_HEADERS) for v in _variants(ln)]


LINE_SET = _lines()


def _library_plain(line: str) -> bool:
    s = line.strip()
    return quotes._LIBRARY_HEADER.match("\n" + s + "\n") is not None or \
        quotes._LIBRARY_HEADER.match(s + "\n") is not None


def test_the_library_gate_passes_every_line_the_library_matches() -> None:
    hits = [ln for ln in LINE_SET if _library_plain(ln)]
    assert [ln for ln in hits if not quotes._library_may_hit(ln.strip())] == []
    assert [ln for ln in LINE_SET if quotes._library_hit(ln) != _library_plain(ln)
            and (":" in ln or "-----" in ln)] == []
    assert len(hits) > 150 and all(_library_plain(ln) for ln in LIBRARY_HEADERS)
    # the gate does skip: most lines with a colon never reach the library's pattern
    colon = [ln for ln in LINE_SET if ":" in ln]
    assert sum(not quotes._library_may_hit(ln.strip()) for ln in colon) > len(colon) // 2


def test_the_library_gate_was_written_for_this_pattern() -> None:
    """The strings of ``quotes._LIBRARY_WORDS`` were read from this pattern: a new version
    of mail-parser-reply needs them read again (and this digest updated)."""
    digest = hashlib.sha256(quotes._LIBRARY_HEADER.pattern.encode()).hexdigest()
    assert (digest[:16], quotes._LIBRARY_HEADER.flags) == ("486eea5c58a3ddbc", 42)


def test_attributions_are_the_same_without_the_colon_gate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*LINE_SET, *(f"{a} {b}" for a, b in itertools.product(LINES, LINES[::4]))]
    fast = [quotes._attribution(t) for t in texts]
    monkeypatch.setattr(quotes, "_colon_end", lambda s: True)
    assert fast == [quotes._attribution(t) for t in texts]
    assert sum(fast) > 100


def test_the_quote_walk_is_the_same_without_its_gates(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["\n".join(LINE_SET[i:i + 9]) for i in range(0, len(LINE_SET), 5)]
    texts += [f"my words\n{h}\n> quoted\nmore" for h in LIBRARY_HEADERS]
    subjects = ["", "Fwd: x"]
    fast = [quotes.strip_quotes(t, s) for t in texts for s in subjects]
    monkeypatch.setattr(quotes, "_colon_end", lambda s: True)
    monkeypatch.setattr(quotes, "_library_may_hit", lambda s: True)
    assert fast == [quotes.strip_quotes(t, s) for t in texts for s in subjects]


BOUNDARY_VALUES = [
    'multipart/alternative; boundary="000000000000a1b2c3d4e5"',
    "multipart/mixed;\r\n\tboundary=\"_004_SG2PR01MB1234_\"", "multipart/mixed; boundary=simple",
    'multipart/related; type="text/html"; boundary="Apple-Mail=_1A2B-3C"; x=y',
    'multipart/mixed; BOUNDARY="UPPER.case+x"', 'multipart/mixed; boundary="a;b"',
    'multipart/mixed; boundary="a b"', 'multipart/mixed; boundary=abc def',
    'multipart/mixed; boundary="abc\\"def"', "multipart/mixed; boundary='q'",
    'multipart/mixed; boundary*=utf-8\'\'abc%20d', 'multipart/mixed; boundary*0=ab; boundary*1=cd',
    'multipart/mixed; x*0*=us-ascii\'en\'a%41; x*1=boundary=zz', 'multipart/mixed; myboundary=q1',
    'multipart/mixed; boundary=one; boundary=two', 'multipart/mixed; foo="x; boundary=inq"',
    'boundary=first', 'multipart/mixed; boundary="=_"', 'multipart/mixed; boundary="',
    'multipart/mixed; boundary= "spaced" ', 'multipart/mixed; boundary="x"; name*=utf-8\'\'%C3%A1',
    'multipart/mixed; boundary="x\udcff"', 'multipart/mixed; boundary=\ue000x',
    'multipart/mixed; boundary=x\\y', 'multipart/mixed; boundary=x*y',
    "multipart/mixed; boundary=x'y",
]


def test_parameters_with_a_boundary_equal_the_standard_librarys() -> None:
    """The boundary read through the placeholder's cache entry: the same parameters as
    parsing the value itself, for odd values too; the second mail with a new boundary in a
    known value is a cache hit."""
    from email.message import Message

    from triage.mail import mime

    values = BOUNDARY_VALUES + [v.replace("000000000000a1b2c3d4e5", b) for v in
                                BOUNDARY_VALUES[:4] for b in ("q", "0" * 70, "a-b_c.d=e+f")]
    for value in values:
        reader = Message()
        reader._headers = [("Content-Type", value)]  # type: ignore[attr-defined]
        assert mime.params_of(value) == tuple(
            reader._get_params_preserve([], "content-type")), value  # type: ignore[attr-defined]
    before = mime._params_of.cache_info().hits
    assert mime.params_of('multipart/alternative; boundary="0000000000009f8e7d6c5b"') == (
        ("multipart/alternative", ""), ("boundary", '"0000000000009f8e7d6c5b"'))
    assert mime._params_of.cache_info().hits == before + 1


def _marked_mails() -> list[bytes]:
    """A plain mail with each header that can mark mail automatic, in varied case and with
    empty, negative and positive values, and a multipart report."""
    from triage.mail import loops

    names = ["Auto-Submitted", "precedence", "X-AUTOREPLY", "X-Autorespond",
             "X-Auto-Response", *loops._LIST_HEADERS, "x-loop", "Return-Path", "X-Other"]
    out = []
    for name, value in itertools.product(names, ["", "no", "auto-replied", "bulk", "<>", "1"]):
        out.append(f"From: a@x.example\r\nTo: s@example.com\r\n{name}: {value}\r\nSubject: hi"
                   f"\r\nMessage-ID: <m@x.example>\r\n\r\nbody\r\n".encode())
    return out


def test_automatic_mail_is_told_the_same_without_the_header_gate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from email import policy
    from email.parser import BytesParser

    from triage.mail import loops
    from triage.mail import parse as parse_module
    from triage.mail.mime import parse_bytes

    raws = [raw for _, raw in CORPUS] + _marked_mails()
    msgs = [parse_bytes(raw) for raw in raws]
    plain_msgs = [BytesParser(policy=policy.compat32).parsebytes(raw) for raw in raws]

    def verdicts(ms: list) -> list:  # type: ignore[type-arg]
        return [loops.detect_auto(m, sender="a@x.example", own_addresses=("s@example.com",))
                for m in ms]

    fast = verdicts(msgs)
    # the index of first fields is the standard library's first field of each name
    assert [parse_module._first_headers(m) for m in msgs] == [
        parse_module._first_headers(m) for m in plain_msgs]
    monkeypatch.setattr(loops, "_may_have", lambda msg, names: True)
    assert fast == verdicts(msgs) == verdicts(plain_msgs)
    assert sum(1 for auto, _ in fast if auto) > 60
