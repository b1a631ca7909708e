"""The benchmark's realistic mail generator: deterministic, parseable, and really mixed."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

from bench.mailgen import generate, mails
from triage.mail.parse import parse_email

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    assert generate(30, seed=5) == generate(30, seed=5)
    assert generate(30, seed=5) != generate(30, seed=6)


def test_realistic_mix_parses_and_has_every_shape() -> None:
    raws = generate(400, seed=2)
    parsed = [parse_email(r, fallback_received=T0) for r in raws]
    assert all(p.text.strip() for p in parsed)
    assert len({p.message_id for p in parsed}) == len(raws)

    def share(pred) -> float:  # type: ignore[no-untyped-def]
        return sum(1 for r in raws if pred(r)) / len(raws)

    assert 0.5 < share(lambda r: b"multipart/alternative" in r) < 0.85
    assert 0.04 < share(lambda r: b"Content-Type: text/html" in r.split(b"\r\n\r\n")[0]) < 0.2
    assert 0.04 < share(lambda r: b"Content-Disposition: attachment" in r) < 0.2
    assert share(lambda r: b"quoted-printable" in r) > 0.2
    assert share(lambda r: b"Content-Transfer-Encoding: base64" in r) > 0.2
    assert share(lambda r: b"windows-1258" in r) > 0.01
    assert share(lambda r: b"=?utf-8?" in r) > 0.2
    assert share(lambda r: b"Received: " in r) == 1.0
    # replies: the history is in the full text and stripped from the text
    replies = [p for p in parsed if p.subject.startswith("Re:")]
    assert 0.25 < len(replies) / len(parsed) < 0.55
    assert all(len(p.text) < len(p.full_text) for p in replies)
    assert any("đã viết:" in p.full_text for p in replies)
    assert any("menulis:" in p.full_text for p in replies)
    assert any("sumulat si" in p.full_text for p in replies)
    assert any("\nSent: " in p.full_text for p in replies)
    assert any(p.subject.startswith("Fwd:") for p in parsed)
    # legacy charsets decode to the same Vietnamese as UTF-8 would
    legacy = [p for r, p in zip(raws, parsed, strict=True) if b"windows-1258" in r]
    assert legacy and all("\ufffd" not in p.full_text for p in legacy)
    assert any(ch in p.full_text for p in legacy for ch in "ệếữợ")


def test_sizes_are_support_mail_sized_and_small_mix_stays_small() -> None:
    sizes = [len(r) / 1024 for r in generate(300, seed=1)]
    assert 2.5 < statistics.median(sizes) < 10
    assert statistics.fmean(sizes) > statistics.median(sizes)  # attachments: a long tail
    small = mails("small", 50)
    assert max(len(r) for r in small) < 1024
