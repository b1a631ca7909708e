"""The message tree built without the feedparser is the feedparser's (#19).

``triage.mail.mimetree.build_tree`` must give ``BytesParser(policy=compat32)``'s tree for
every message it builds, and give up (:class:`~triage.errors.UnusualMime`) on the rest,
which ``parse_message`` hands to the feedparser. Compared on every message of the fast-path
corpus (fixtures, generated mail of both mixes, tricky and edge shapes), on shapes made for
each rule of the builder, and on thousands of mutations of the corpus (lines deleted,
duplicated, cut; boundary lines, lone CRs, odd header lines and nested types inserted).
"""

from __future__ import annotations

import random
import re
from email import policy
from email.message import Message
from email.parser import BytesParser

import pytest

from tests.test_parse_fastpath import CORPUS, tree
from triage.errors import UnusualMime
from triage.mail import mimetree
from triage.mail.mimetree import build_tree, parse_message


def _text(raw: bytes) -> str:
    return raw.decode("ascii", "surrogateescape")


def _flat(msg: Message) -> str:
    try:
        return msg.as_string()
    except Exception as exc:  # a mutated charset label can break the generator on both
        return type(exc).__name__


def _same(raw: bytes, ours: Message) -> bool:
    theirs = BytesParser(policy=policy.compat32).parsebytes(raw)
    return tree(ours) == tree(theirs) and _flat(ours) == _flat(theirs)


def _mp(body: str, boundary: str = "b", ctype: str = "multipart/mixed",
        head: str = "From: a@x.example\r\nSubject: s\r\n") -> bytes:
    return (f"{head}Content-Type: {ctype}; boundary=\"{boundary}\"\r\n\r\n{body}").encode(
        "utf-8", "surrogateescape")


TEXT = "Content-Type: text/plain\r\n\r\n"
SHAPES = {
    # built: each rule of the builder
    "preamble-epilogue": _mp(f"pre\r\n\r\n--b\r\n{TEXT}one\r\n--b--\r\nepi\r\n-x\r\n"),
    "no-preamble": _mp(f"--b\r\n{TEXT}one\r\n--b--"),
    "empty-preamble-line": _mp(f"\r\n--b\r\n{TEXT}one\r\n\r\n--b--\r\n\r\n"),
    "trailing-blanks": _mp(f"--b \t\r\n{TEXT}one\r\n--b--  \r\n"),
    "not-boundaries": _mp(f"--b\r\n{TEXT}x --b\r\n--bx\r\n--b -\r\n---b\r\n --b\r\n--b--\r\n"),
    "prefix-boundaries": _mp(
        "--b\r\nContent-Type: multipart/alternative; boundary=\"b-1\"\r\n\r\n--b-1\r\n"
        f"{TEXT}in\r\n--b-1--\r\ninner epi\r\n--b\r\n{TEXT}two\r\n--b--\r\n"),
    "inner-cut-by-outer": _mp(
        "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n"
        f"{TEXT}in\r\n--i--\r\n--o--\r\n", boundary="o"),
    "empty-inner-epilogue": _mp(
        "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n"
        f"{TEXT}in\r\n--i--\r\n\r\n--o--\r\n", boundary="o"),
    "regex-boundary": _mp(f"--a.b*c(d)?+[e]\r\n{TEXT}x\r\n--a.b*c(d)?+[e]--\r\n",
                          boundary="a.b*c(d)?+[e]"),
    "rfc2231-boundary": _mp(f"--q r\r\n{TEXT}x\r\n--q r--\r\n").replace(
        b'boundary="b"', b"boundary*=''q%20r"),
    "no-part-headers": _mp("--b\r\n\r\nbare\r\n--b--\r\n"),
    "lf-only": _mp("--b\n\nbare\n--b\nContent-Type: text/html\n\n<p>h</p>\n--b--\n").replace(
        b"\r\n", b"\n"),
    "mixed-ends": _mp("--b\n\nbare\r\n--b\r\nX-A: 1\n\tb\r\n\nz\n--b--\n"),
    "lone-cr-in-payload": _mp(f"--b\r\n{TEXT}a\rb\r\n\rc -\r-b\r\n--b--\r\n"),
    "lone-cr-at-payload-end": b"From: a@x.example\r\n\r\nbody\r",
    "folded-headers": b"From: a@x.example\r\nSubject:\r\n\tfolded\r\n \r\nX-E:\r\n"
                      b"X-F: \t v \r\n\r\nb\r\n",
    "odd-names": b"From: a@x.example\r\nX!#$%&'*+-.^_`|~9;<=>?@[]{}: v\r\nX:no-space\r\n\r\nb",
    "eight-bit": "From: Nguyễn <a@x.vn>\r\nSubject: Đơn\r\n\r\nnội dung\r\n".encode(),
    "surrogates": b"From: a@x.example\r\nSubject: \xff\xfe\r\n\r\n\xc3(\r\n",
    "empty-body": b"From: a@x.example\r\nSubject: s\r\n\r\n",
    "rfc822": _mp("--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: in@x.example\r\n"
                  "Subject: inner\r\n\r\ninner body\r\n\r\n--b\r\n"
                  f"{TEXT}after\r\n--b--\r\n"),
    "rfc822-multipart": _mp(
        "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: in@x.example\r\nContent-Type: "
        "multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\nin\r\n--i--\r\nepi\r\n\r\n--b\r\n"
        f"{TEXT}after\r\n--b--\r\n"),
    "rfc822-empty-epilogue": _mp(
        "--b\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/mixed; "
        "boundary=i\r\n\r\n--i\r\n\r\nin\r\n--i--\r\n\r\n--b--\r\n"),
    "top-rfc822": b"From: a@x.example\r\nContent-Type: message/rfc822\r\n\r\n"
                  b"From: b@x.example\r\n\r\ninner\r\n",
    "digest": _mp("--d\r\n\r\nFrom: in@x.example\r\n\r\nbody\r\n--d\r\nContent-Type: "
                  "text/plain\r\n\r\nplain\r\n--d--\r\n", boundary="d",
                  ctype="multipart/digest"),
    "close-ends-all": _mp(f"--b\r\n{TEXT}one\r\n--b--\r\n--b\r\n{TEXT}late\r\n--b--\r\n"),
    "bad-content-type": b"From: a@x.example\r\nContent-Type: multipart\r\n\r\nx\r\n",
    # given up: the feedparser's other branches
    "lone-cr-header": b"From: a@x.example\rSubject: s\r\n\r\nb\r\n",
    "lone-cr-before-boundary": _mp(f"--b\r\n{TEXT}a\r--b--\r\n"),
    "lone-cr-in-boundary-line": _mp(f"--b\r\n{TEXT}a\r\n--b\rjunk\r\n--b--\r\n"),
    "envelope": b"From a@x Thu Nov 19 10:00:00 2026\r\nFrom: a@x.example\r\n\r\nb\r\n",
    "not-a-field": b"From: a@x.example\r\nnot a field\r\n\r\nb\r\n",
    "empty-name": b"From: a@x.example\r\n: v\r\n\r\nb\r\n",
    "first-continued": b"\tFrom: a@x.example\r\n\r\nb\r\n",
    "no-empty-line": b"From: a@x.example\r\nSubject: s\r\n",
    "part-no-empty-line": _mp(f"--b\r\nX-A: 1\r\n--b\r\n{TEXT}x\r\n--b--\r\n"),
    "no-boundary": b"From: a@x.example\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n",
    "no-start": _mp("just text\r\n--b--\r\n"),
    "no-close": _mp(f"--b\r\n{TEXT}x\r\n"),
    "close-first": _mp(f"--b--\r\n--b\r\n{TEXT}x\r\n--b--\r\n"),
    "double-boundary": _mp(f"--b\r\n--b\r\n{TEXT}x\r\n--b--\r\n"),
    "encoded-multipart": _mp(f"--b\r\n{TEXT}x\r\n--b--\r\n",
                             head="From: a@x.example\r\nContent-Transfer-Encoding: base64\r\n"),
    "delivery-status": _mp("--b\r\nContent-Type: message/delivery-status\r\n\r\n"
                           "Action: failed\r\n\r\n--b--\r\n"),
}
GIVEN_UP = ["lone-cr-header", "lone-cr-before-boundary", "lone-cr-in-boundary-line",
            "envelope", "not-a-field", "empty-name", "first-continued", "no-empty-line",
            "part-no-empty-line", "no-boundary", "no-start", "no-close", "close-first",
            "double-boundary", "encoded-multipart", "delivery-status"]


@pytest.mark.parametrize("name", list(SHAPES))
def test_each_shape_is_built_as_the_feedparser_builds_it_or_given_up(name: str) -> None:
    raw = SHAPES[name]
    if name in GIVEN_UP:
        with pytest.raises(UnusualMime):
            build_tree(_text(raw))
    else:
        assert _same(raw, build_tree(_text(raw)))
    assert _same(raw, parse_message(raw))


def test_the_corpus_is_built_as_the_feedparser_builds_it() -> None:
    built = 0
    for name, raw in CORPUS:
        try:
            ours = build_tree(_text(raw))
        except UnusualMime:
            ours = parse_message(raw)
        else:
            built += 1
        assert _same(raw, ours), name
    assert built > 700  # the generated mail (nearly all of it) takes the fast path


def _mutate(raw: bytes, rng: random.Random) -> bytes:
    """``raw`` with one to three lines deleted, duplicated, cut or changed, or boundary
    lines, blank lines, lone CRs, odd header lines or nested types inserted."""
    text = _text(raw)
    bounds = re.findall(r'boundary="?([^";\r\n]+)', text, re.I) or ["zz"]
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        k, b = rng.randrange(len(lines)), rng.choice(bounds)
        match rng.randrange(12):
            case 0:
                del lines[k]
            case 1:
                lines.insert(k, lines[k])
            case 2:
                lines.insert(k, "--" + b + rng.choice(["", "--", " ", "--  ", "x", "\t"])
                             + rng.choice(["\r\n", "\n", "\r", ""]))
            case 3:
                lines[k] = lines[k].replace("\r\n", rng.choice(["\n", "\r", "\r\r\n", "\n\r"]))
            case 4:
                lines.insert(k, rng.choice(["\r\n", "\n", "\r", " \r\n", "\t\r\n", ":x\r\n",
                                            "From x\r\n", "x\r\n", "X-A: b\r\n", "\tc\r\n"]))
            case 5:
                pos = rng.randrange(len(lines[k]) + 1)
                lines[k] = lines[k][:pos] + rng.choice(
                    ["\r", "\n", "--" + b, "-", ":", " ", "\udcff"]) + lines[k][pos:]
            case 6:
                lines[k] = lines[k].rstrip("\r\n")
            case 7:
                lines = lines[:k]
            case 8:
                lines.insert(k, "Content-Type: multipart/mixed; boundary="
                             + rng.choice([*bounds, "q"]) + "\r\n")
            case 9:
                lines.insert(k, "Content-Type: message/rfc822\r\n")
            case 10:
                lines.insert(k, "--" + b + "--\r\n")
            case _:
                lines[k] = lines[k].lstrip("-")
    return "".join(lines).encode("ascii", "surrogateescape")


def test_mutated_mail_is_built_as_the_feedparser_builds_it_or_given_up() -> None:
    rng = random.Random(19)
    base = [raw for _, raw in CORPUS if len(raw) < 60_000]
    built = given_up = 0
    for _ in range(3000):
        raw = _mutate(rng.choice(base), rng)
        try:
            ours = build_tree(_text(raw))
        except UnusualMime:
            given_up += 1
            continue
        built += 1
        assert _same(raw, ours), raw[:3000]
    assert built > 1000 and given_up > 1000


def test_nesting_too_deep_for_the_builder_goes_to_the_feedparser() -> None:
    """550 nested multiparts: deeper than the builder's recursion reaches, not the
    feedparser's; parse_message gives the feedparser's tree."""
    opens = "".join(f"Content-Type: multipart/mixed; boundary=b{d}\r\n\r\n--b{d}\r\n"
                    for d in range(550))
    closes = "".join(f"\r\n--b{d}--\r\n" for d in reversed(range(550)))
    raw = f"From: a@x.example\r\n{opens}{TEXT}x{closes}".encode()
    with pytest.raises(RecursionError):
        build_tree(_text(raw))
    assert _same(raw, parse_message(raw))


def test_the_comparison_fails_when_the_builder_keeps_a_line_end(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a builder that leaves the line end before a boundary in
    the part is caught on the first multipart."""
    monkeypatch.setattr(mimetree, "_strip_eol", lambda value: value)
    raw = SHAPES["preamble-epilogue"]
    assert not _same(raw, build_tree(_text(raw)))
