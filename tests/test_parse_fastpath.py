"""The parse fast paths change no result (#19).

``triage.mail.mime.parse_bytes`` must build the very message tree of the standard library's
``BytesParser(policy=compat32)`` (headers, payloads, preambles, epilogues, defects, decoded
payloads); ``parse_email`` and ``strip_quotes`` must give with their shortcuts what they give
without them. Compared on every mail fixture in tests/, on generated mail of both mixes, on the
tricky mails and on hand-made shapes that exercise each shortcut's edge (line ends, lines
starting with '-', folded and broken headers, nested and broken multiparts, bounces).
"""

from __future__ import annotations

import dataclasses
import email.utils
import itertools
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import inscriptis
import pytest

from bench.mailgen import mails
from tests.tricky_mail import tricky_mails
from triage.mail import htmlquote, quotes
from triage.mail import parse as parse_module
from triage.mail import scrub as scrub_module
from triage.mail.batch import parse_batch
from triage.mail.mime import IndexedMessage, decoded_size, parse_bytes
from triage.models import Attachment

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
TESTS = Path(__file__).parent

B64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3"

EDGE = {
    "lone-cr": b"From: a@x.example\rSubject: cr\r\rline one\rline two\r-dash\r",
    "lf-only": b"From: a@x.example\nSubject: lf\n\nbody\n--not a boundary\n",
    "mixed-ends": b"From: a@x.example\r\nSubject: m\n\tfolded\r\n\r\nx\ry\r\nz\n-w\r- v\n",
    "no-final-newline": b"From: a@x.example\r\nSubject: n\r\n\r\nlast line",
    "headers-only": b"From: a@x.example\r\nSubject: only\r\n",
    "headers-only-folded": b"From: a@x.example\r\nSubject: only\r\n\tfolded at the end",
    "folded-header-blank": b"From: a@x.example\r\nSubject:\r\n\tstarts folded\r\n \r\n\r\nb\r\n",
    "first-line-continuation": b"\tcontinued\r\nFrom: a@x.example\r\n\r\nbody\r\n",
    "envelope-from": b"From sender@x Thu Nov 19 10:00:00 2026\r\n\tnot folded\r\n"
                     b"From: a@x.example\r\nSubject: env\r\n\r\nbody\r\n",
    "misplaced-envelope": b"From: a@x.example\r\nFrom b@y Thu\r\n\tcont\r\nSubject: s\r\n"
                          b"\r\nbody\r\n",
    "colon-first": b"From: a@x.example\r\n: no name\r\n\tcont\r\nSubject: s\r\n\r\nbody\r\n",
    "missing-separator": b"From: a@x.example\r\nSubject: s\r\nthis is body\r\n more\r\n",
    "multipart": (
        "From: a@x.example\r\nSubject: mp\r\nContent-Type: multipart/mixed; "
        "boundary=\"b1\"\r\n\r\npreamble\r\n-dash preamble\r\n--b1\r\nContent-Type: "
        "text/plain\r\n\r\nhello\r\n--b1x not it\r\n-- b1\r\n---b1\r\n\r\n--b1\r\n"
        "Content-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64"
        "\r\nContent-Disposition: attachment;\r\n\tfilename=\"a.pdf\"\r\n\r\n"
        + (B64 + "\r\n") * 40 + "--b1--  \r\nepilogue\r\n-more\r\n").encode(),
    "nested": (
        b"From: a@x.example\r\nSubject: nest\r\nContent-Type: multipart/mixed; boundary=o\r\n"
        b"\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n--o\r\n"
        b"Content-Type: text/html\r\n\r\n<p>outer cuts inner</p>\r\n--i\r\nstray\r\n--o--\r\n"
        b"\r\n"),
    "no-boundary": b"From: a@x.example\r\nContent-Type: multipart/mixed\r\n\r\na\r\n-b\r\n",
    "no-start-boundary": b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=z\r\n"
                         b"\r\njust text\r\n-z\r\n",
    "no-close-boundary": b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=z\r\n"
                         b"\r\n--z\r\n\r\npart\r\n-x\r\n",
    "bad-base64": b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
                  b"--z\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
                  b"Content-Disposition: attachment; filename=x.png\r\n\r\nQUJD!!RA\r\nQQ\r\n"
                  b"--z--\r\n",
    "delivery-status": (
        b"From: MAILER-DAEMON@x.example\r\nSubject: Undelivered\r\nContent-Type: "
        b"multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\n"
        b"Content-Type: text/plain\r\n\r\nIt bounced.\r\n--r\r\nContent-Type: "
        b"message/delivery-status\r\n\r\nReporting-MTA: dns; x.example\r\n\r\n"
        b"Final-Recipient: rfc822; b@y.example\r\nAction: failed\r\n\tfolded\r\n-x: y\r\n\r\n"
        b"--r\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@example.com\r\n"
        b"Message-ID: <orig@example.com>\r\nSubject: Re: order\r\n\r\nour reply\r\n-- \r\n"
        b"sig\r\n--r--\r\n"),
    "eight-bit-headers": "From: Nguyễn <an@x.vn>\r\nSubject: Đơn hàng\r\n\tchưa giao\r\n"
                         "X-Name: \udcff\r\n\r\nnội dung\r\n".encode("utf-8", "surrogateescape"),
    "hyphen-heavy": (
        "From: a@x.example\r\nContent-Type: multipart/mixed; boundary=h\r\n\r\n--h\r\n"
        "Content-Type: text/html\r\n\r\n" + "<p style=\"font-family: x-y-z\">a-b</p>\r\n" * 12
        + "mid\r-after a lone CR\r\n" + "x-y " * 30 + "\n-after LF\r\n" + "q-r " * 30
        + "\r--h\r\nContent-Type: text/plain\r\n\r\n" + "a-" * 40 + "\r\n--h--\r\n"
    ).encode(),
    "lone-cr-boundary": b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=h\r\n"
                        b"\r\n--h\r\nContent-Type: text/plain\r\n\r\nfirst-part\rmore\r--h\r\n"
                        b"Content-Type: text/plain\r\n\r\nsecond\r\n--h--\r\n",
    "folded-lone-cr": b"From: a@x.example\r\nSubject: a\r\n b\rX-C: d\r\n\te\r\n\r\nbody\r",
    **{f"b64-{k}": (
        b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--z\r\nContent-Type: "
        b"application/pdf\r\nContent-Transfer-Encoding: " + cte + b"\r\n"
        b"Content-Disposition: attachment; filename=a.pdf\r\n\r\n" + body + b"\r\n--z--\r\n")
        for k, cte, body in [
            ("clean", b"base64", b"QUJD\r\nREVG\r\nR0g="),
            ("two-pad", b"base64", b"QUJDRA=="),
            ("pad-split", b"base64", b"QUJDRA=\r\n="),
            ("missing-pad", b"base64", b"QUJDRA"),
            ("missing-one-pad", b"base64", b"QUJDREU"),
            ("not-multiple-of-4", b"base64", b"QUJDR"),
            ("spaces", b"base64", b"QUJD REVG\r\n R0g="),
            ("tab", b"base64", b"QUJD\tREVG"),
            ("invalid-char", b"base64", b"QUJD*REVG"),
            ("pad-inside", b"base64", b"QU==QUJD"),
            ("three-pad", b"base64", b"QU===\r\n"),
            ("extra-pad", b"base64", b"QUJD===="),
            ("eight-bit", b"base64", "QUJDé".encode()),
            ("empty", b"base64", b""),
            ("upper-cte", b"BASE64", b"QUJDREVG"),
            ("quoted-printable", b"quoted-printable", b"ab=3Dc=\r\nd"),
            ("seven-bit", b"7bit", b"plain words"),
        ]},
    "rfc2231-params": (
        "From: a@x.example\r\nSubject: p\r\nContent-Type: multipart/mixed; boundary=\"p1\"\r\n"
        "\r\n--p1\r\nContent-Type: text/plain; charset=\"utf-8\"; format=flowed\r\n\r\nhi\r\n"
        "--p1\r\nContent-Type: application/pdf; name*0=\"ho\u00e1 \"; name*1=\"don.pdf\"\r\n"
        "Content-Disposition: attachment; filename*=utf-8''h%C3%B3a%20%C4%91%C6%A1n.pdf;"
        " size=12\r\n\r\nxxx\r\n--p1\r\nContent-Type: image/png; name=\"a;b.png\"; x=\"q\\\"t\"\r\n"
        "Content-Disposition: inline; filename=\"t\u1ec7p.png\"\r\n\r\nyyy\r\n"
        "--p1\r\nContent-Type: text/plain; charset=iso-8859-1; charset=utf-8;;=x; bare\r\n"
        "\r\nzz\r\n--p1--\r\n").encode("utf-8"),
    "digest": b"From: a@x.example\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n"
              b"\r\nFrom: inner@x.example\r\nSubject: in\r\n\r\nbody\r\n--d--\r\n",
}


def corpus() -> list[tuple[str, bytes]]:
    """Every mail fixture in tests/, generated mail of both mixes, the tricky mails and the
    hand-made edge shapes."""
    items = [(str(p.relative_to(TESTS)), p.read_bytes()) for p in sorted(TESTS.rglob("*.eml"))]
    items += [(str(p.relative_to(TESTS)), p.read_bytes())
              for p in sorted((TESTS / "fuzz_seeds" / "mail").iterdir()) if p.is_file()]
    items += [(f"realistic-{i}", r) for i, r in enumerate(mails("realistic", 300))]
    items += [(f"small-{i}", r) for i, r in enumerate(mails("small", 40))]
    items += [(f"tricky-{k}", v) for k, v in tricky_mails(120_000).items()]
    items += [(f"edge-{k}", v) for k, v in EDGE.items()]
    return items


CORPUS = corpus()


def tree(msg: Message) -> list[Any]:
    """Everything the parser decided about ``msg`` and its parts, and what reading it gives."""
    out: list[Any] = []
    for part in msg.walk():
        payload = part._payload
        out.append((
            list(part._headers), part.get_unixfrom(), part.get_default_type(),
            payload if isinstance(payload, str) else len(payload or []),
            part.preamble, part.epilogue,
            [(type(d).__name__, str(d)) for d in part.defects],
            part.get_content_type(), part.get_params(), part.get_filename(),
            part.get_params(header="content-disposition"), part.get_param("name"),
            part.get_content_charset(), part.get_boundary(), part.get_content_disposition(),
            [part.get(h) for h in ("From", "subject", "X-Name", "Content-ID", "nope")],
            "content-type" in part, "X-NOPE" in part,
            part.get_payload(decode=True) if not part.is_multipart() else None,
            [(type(d).__name__, str(d)) for d in part.defects],  # decoding adds defects
        ))
    return out


@pytest.mark.parametrize("name", [n for n, _ in CORPUS])
def test_parse_bytes_builds_the_standard_librarys_tree(name: str) -> None:
    raw = dict(CORPUS)[name]
    ours = parse_bytes(raw)
    theirs = BytesParser(policy=policy.compat32).parsebytes(raw)
    assert isinstance(ours, IndexedMessage)
    assert tree(ours) == tree(theirs)
    assert ours.as_string() == theirs.as_string()


def test_the_corpus_covers_what_the_shortcuts_skip() -> None:
    raws = [r for _, r in CORPUS]
    assert len(raws) > 700
    assert sum(1 for r in raws if b"\r\n\t" in r or b"\r\n " in r) > 300  # folded headers
    assert sum(1 for r in raws if b"Content-Transfer-Encoding: base64" in r) > 100
    assert sum(1 for r in raws if b"multipart/" in r) > 200
    assert any(b"\r" in r and b"\r\n" not in r for r in raws)  # lone CR line ends


def test_the_index_follows_changes_to_the_headers() -> None:
    msg = parse_bytes(EDGE["multipart"])
    plain = BytesParser(policy=policy.compat32).parsebytes(EDGE["multipart"])
    for m in (msg, plain):
        assert m.get_content_type() == "multipart/mixed"
        m["X-New"] = "1"
        m.replace_header("Subject", "changed")
        m.set_param("charset", "utf-8")
        m.set_boundary("b2")
        del m["From"]
        m.set_type("multipart/alternative")
        m.set_default_type("message/rfc822")
    assert tree(msg)[0] == tree(plain)[0]
    assert msg.get("x-new") == "1" and msg["subject"] == "changed" and msg.get("from") is None
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_boundary() == "b2"
    bare = IndexedMessage()
    assert bare.get_content_type() == "text/plain"
    bare.set_default_type("message/rfc822")
    assert bare.get_content_type() == "message/rfc822"


def _plain_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse_email with every shortcut off: the standard parser, no address or header cache,
    no line gate in the quote walk."""
    monkeypatch.setattr(parse_module, "parse_message",
                        BytesParser(policy=policy.compat32).parsebytes)
    monkeypatch.setattr(parse_module, "_parse_address", email.utils.parseaddr)
    monkeypatch.setattr(parse_module, "_address_list", lambda v: tuple(
        a.lower() for _, a in email.utils.getaddresses([v]) if a))
    monkeypatch.setattr(parse_module, "decode_header_value", parse_module._decode_header_value)
    monkeypatch.setattr(quotes, "_plain", lambda line: False)
    monkeypatch.setattr(quotes, "_colon_end", lambda s: True)
    monkeypatch.setattr(quotes, "_library_may_hit", lambda s: True)
    monkeypatch.setattr(parse_module, "decoded_size", _plain_size)
    monkeypatch.setattr(parse_module, "html_text", inscriptis.get_text)
    monkeypatch.setattr(htmlquote, "html_text", inscriptis.get_text)


def _plain_size(part: Message) -> int:
    payload = part.get_payload(decode=True) or b""
    return len(payload) if isinstance(payload, bytes) else 0


class _Counting(Message):
    """A message that counts how often its payload is decoded."""

    decoded = 0

    def get_payload(self, i: Any = None, decode: bool = False) -> Any:
        self.decoded += decode
        return super().get_payload(i, decode)


def _b64_part(payload: str, cte: str = "base64") -> _Counting:
    part = _Counting()
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(payload)
    return part


def test_attachment_sizes_are_the_decoded_lengths_without_decoding() -> None:
    """Every string of up to 5 characters from base64 letters, padding, line ends, white
    space, a stray and an 8-bit character: the same size and the same defects as decoding."""
    chars = ["A", "Q", "=", "\r", "\n", " ", "!", "\udcff"]
    payloads = ["".join(c) for n in range(6) for c in itertools.product(chars, repeat=n)]
    payloads += [B64 * 30, (B64 + "\r\n") * 30, B64[:-1] + "=\r\n", B64[:-2] + "=\r\n=\r\n",
                 B64 + "=", B64 + "==", "=" + B64, B64 + "\r\n\r\n"]
    fast_hits = 0
    for payload in payloads:
        for cte in ("base64", "Base64", "quoted-printable"):
            ours, theirs = _b64_part(payload, cte), _b64_part(payload, cte)
            assert decoded_size(ours) == _plain_size(theirs), (payload, cte)
            assert [type(d) for d in ours.defects] == [type(d) for d in theirs.defects]
            fast_hits += not ours.decoded
    assert len(payloads) > 30_000 and fast_hits > 500


def test_an_attachment_is_decoded_only_when_its_base64_is_not_clean() -> None:
    clean, short = _b64_part(B64 + "\r\n" + B64[:-2] + "==\r\n"), _b64_part("QUJDRA")
    assert (decoded_size(clean), clean.decoded) == (60 + 58, 0)
    assert (decoded_size(short), short.decoded) == (4, 1)
    assert [type(d).__name__ for d in short.defects] == ["InvalidBase64PaddingDefect"]


def test_parse_results_are_the_same_without_the_shortcuts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = [(name, raw, NOW) for name, raw in CORPUS]
    own = ("support@example.com",)
    fast = parse_batch(jobs, own)[0]
    _plain_parse(monkeypatch)
    plain = parse_batch(jobs, own)[0]
    assert [n for (n, _, _), a, b in zip(jobs, fast, plain, strict=True) if a != b] == []
    assert sum(1 for o in fast if not isinstance(o, str)) > 700


LINES = [
    "Begin forwarded message:", "BEGIN FORWARDED MESSAGE", "  Begin forwarded message  ",
    "Begin forwarded message.", "Bắt đầu thư được chuyển tiếp", "begin forwarded messages",
    "On Mon, 3 Jun 2024, ShopMate Support", "<support@shopmate.example> wrote:",
    "Vào Th 2, 3 thg 6, 2024 lúc 10:15 ShopMate", "Support đã viết:", "> quoted",
    "  > indented quote", ">>> https://example.com <<<", "-- ", "--", "Sent from my iPhone",
    "___________", "-----Original Message-----", "From: ShopMate <s@shopmate.example>",
    "Sent: Monday", "To: me", "Subject: x", "Thanks! On Mon, Jun 3, 2024 at 10:15 AM "
    "ShopMate <s@x.example> wrote:", "Noong Lun, Hun 3, 2024, sumulat si", "ShopMate:",
    "2014-10-17 11:28 GMT+03:00 ShopMate <s@x.example>:", "* starred", "= equals", "plain",
    "", "   ", "CONFIDENTIALITY NOTICE", "Pada 3 Juni 2024 ShopMate menulis：",
]


def test_the_quote_walk_gives_the_same_without_its_line_gate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [o.full_text for o in parse_batch([(n, r, NOW) for n, r in CORPUS])[0]
             if not isinstance(o, str)]
    # every pair and triple of the marker-like lines, in both orders
    texts += [f"{a}\n{b}\n{c}\nmy own words" for a in LINES for b in LINES[::3]
              for c in ("", "> q", "x: y")]
    subjects = ["", "Re: order", "Fwd: order"]
    fast = [quotes.strip_quotes(t, s) for t in texts for s in subjects]
    monkeypatch.setattr(quotes, "_plain", lambda line: False)
    plain = [quotes.strip_quotes(t, s) for t in texts for s in subjects]
    assert fast == plain
    assert len(texts) > 1000


def test_signature_patterns_match_the_same_without_leading_white_space() -> None:
    lines = [ln for _, r in CORPUS[:400] for ln in r.decode("utf-8", "replace").splitlines()]
    lines += [f"{pad}{ln}" for pad in ("", " ", "\t  ", "\u00a0 ", "\u2003") for ln in LINES]
    lines += ["   Sent from my iPhone  ", "  --", "\u3000__", "  DISCLAIMER: x", " \u00a0"]
    for pattern in (quotes._SIGNATURE, quotes._DISCLAIMER):
        assert [bool(pattern.match(ln)) for ln in lines] == \
            [bool(pattern.match(ln.lstrip())) for ln in lines]
    assert sum(1 for ln in lines if quotes._SIGNATURE.match(ln)) > 10


def _plain_clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    if isinstance(value, list):
        return [_plain_clean(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain_scrub(value)
    return value


def _plain_scrub(obj: Any) -> Any:
    """The scrub before #19's shortcuts: every field cleaned, always a copy."""
    changes = {f.name: _plain_clean(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    for name, limit in scrub_module.LIMITS.items():
        if isinstance(changes.get(name), str):
            changes[name] = changes[name][:limit]
    return dataclasses.replace(obj, **changes)


DIRTY = ["", "plain", "nul\x00inside", "\x00", "lone \udcff surrogate", "\ud800\x00\udfff",
         "tiếng Việt", "tiếng \udce1 Việt\x00", "x" * 1200, "ý" * 400 + "\udc80"]


def test_scrub_equals_the_plain_cleaning_of_every_field() -> None:
    """Parsed fixtures (not yet scrubbed) and messages with dirty strings in every string
    field, list and attachment: the same values as cleaning every field, and the message
    itself back only when nothing changed."""
    parsed = []
    for _, raw in CORPUS:
        try:
            parsed.append(parse_module.parse_email(raw, fallback_received=NOW))
        except Exception:  # quarantined ones have nothing to scrub
            continue
    base = parsed[0]
    strings = [f.name for f in dataclasses.fields(base) if isinstance(getattr(base, f.name), str)]
    for name, dirty in itertools.product(strings, DIRTY):
        parsed.append(dataclasses.replace(base, **{name: dirty}))
    for dirty in DIRTY:
        parsed.append(dataclasses.replace(
            base, references=["<a@x>", dirty], to=[dirty], cc=[],
            attachments=[Attachment(filename=dirty, content_type="text/plain", size=1)]))
    unchanged = 0
    for msg in parsed:
        ours, theirs = scrub_module.scrub(msg), _plain_scrub(msg)
        assert ours == theirs
        assert (ours is msg) == (theirs == msg)
        unchanged += ours is msg
    assert unchanged > 500 and len(parsed) - unchanged > 40


def test_parameters_read_once_per_value_equal_the_standard_librarys() -> None:
    """Parameters are parsed once per header value and process: a second message with the
    same values reads them from the cache, and still gets what the standard library reads."""
    raw = dict(CORPUS)["edge-rfc2231-params"]
    first, again = parse_bytes(raw), parse_bytes(raw)
    theirs = BytesParser(policy=policy.compat32).parsebytes(raw)
    assert tree(first) == tree(again) == tree(theirs)
    names = [p.get_filename() for p in again.walk()]
    assert names[:3] == [None, None, "hóa đơn.pdf"] and names[3] and names[4] is None


STYLES = ["", "display:none", "DISPLAY: None; color: red", "display: block; margin-top: 2em",
          "margin-top: auto; margin-bottom: 3px", "white-space: pre", "-webkit-white-space: pre",
          "padding-left: 4em;;;", "font-family: Arial, sans-serif; font-size: 14px",
          "margin-bottom: 1.5rem; display: inline", "vertical-align: top; horizontal-align: center",
          ":x", "margin-top:", "padding-left: -2em", "display: none; display: block",
          "margin-top: 99999999em", "MARGIN-BEFORE: 1em; padding-start: 2em"]


def test_html_text_with_styles_read_once_equals_inscriptis() -> None:
    """Every style above, in paragraphs, cells, lists and nested blocks, twice (the second
    time from the cache), and every HTML part of the corpus: the text inscriptis gives."""
    from triage.mail.htmltext import html_text, style_calls

    htmls = []
    for a, b in itertools.product(STYLES, STYLES[::2]):
        htmls.append(f'<div style="{a}"><p style="{b}">one  two</p><table><tr><td style="{a}">'
                     f'c1</td><td style="{b}">c2\n c3</td></tr></table><ul><li style="{b}">i'
                     f'</li></ul><span style="{a}">tail</span> end</div>')
    for _, raw in CORPUS:
        for part in parse_bytes(raw).walk():
            if part.get_content_type() == "text/html":
                htmls.append(parse_module._part_text(part))
    assert len(htmls) >= 400
    for html in htmls + htmls[:300]:
        assert html_text(html) == inscriptis.get_text(html), html[:200]
    assert style_calls.cache_info().hits > 1000
