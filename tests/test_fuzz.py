"""Bad input at scale (hypothesis): malformed MIME, broken encodings, gigantic headers and
deep nesting. The parser raises nothing but ParseError; through the pipeline every message
ends up processed or quarantined with its reason, and nothing crashes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.errors import ParseError
from triage.mail.parse import parse_email
from triage.models import FetchResult, RawItem
from triage.services import App

from .conftest import NOW

CHARSETS = ["utf-8", "latin-1", "windows-1258", "x-unknown", "utf-16", "", "utf-8\x00", "gb2312",
            "us-ascii", "viscii", "iso-2022-jp"]
ENCODINGS = ["base64", "quoted-printable", "8bit", "7bit", "x-uuencode", "bogus", ""]
TEXTS = ["Ứng dụng bị lỗi khi đăng nhập", "Pesanan saya belum sampai", "Hindi gumagana ang app",
         "The app crashes", "=?utf-8?B?broken", "\udcff", "€" * 50, "a\r\n.\r\nb"]


def enc(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset.strip("\x00") or "utf-8", errors="replace")
    except LookupError:
        return text.encode("utf-8", errors="surrogateescape")


@st.composite
def header_lines(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(["Subject", "From", "To", "Message-ID", "In-Reply-To",
                                 "References", "Date", "Content-Type", "X-Junk",
                                 "Auto-Submitted", "Precedence", "List-Id"]))
    kind = draw(st.integers(0, 5))
    if kind == 0:
        value = draw(st.text(max_size=200))
    elif kind == 1:
        value = "x" * draw(st.integers(10_000, 120_000))  # gigantic header
    elif kind == 2:
        value = "=?" + draw(st.sampled_from(CHARSETS)) + "?" + draw(
            st.sampled_from(["B", "Q", "X"])) + "?" + draw(st.text(max_size=40)) + "?="
    elif kind == 3:
        value = " ".join(f"<{i}@x>" for i in range(draw(st.integers(100, 3000))))
    elif kind == 4:
        value = draw(st.sampled_from(["", "<>", "@", "\"", "a@", "\x00", "Ann <ann@", ";;;"]))
    else:
        value = "\r\n\t".join(draw(st.lists(st.text(max_size=30), max_size=20)))
    raw = f"{name}: {value}\r\n".encode(errors="surrogateescape")
    return raw


@st.composite
def mime_part(draw: st.DrawFn, depth: int) -> bytes:
    charset = draw(st.sampled_from(CHARSETS))
    if depth > 0 and draw(st.booleans()):
        boundary = draw(st.sampled_from(["b", "", "--", "b" * 80, "é", "b\r\n"]))
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "x"]))
        parts = [draw(mime_part(depth - 1)) for _ in range(draw(st.integers(0, 3)))]
        close = draw(st.booleans())
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + p for p in parts)
        if close:
            body += b"--" + boundary.encode() + b"--\r\n"
        return (f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'
                .encode(errors="replace") + body)
    ctype = draw(st.sampled_from(["text/plain", "text/html", "application/octet-stream",
                                  "message/rfc822", "text/x-unknown", "image/png", ""]))
    cte = draw(st.sampled_from(ENCODINGS))
    text = draw(st.sampled_from(TEXTS)) + draw(st.text(max_size=100))
    if ctype == "text/html":
        text = f"<html><body><p>{text}</p>" + "<div>" * draw(st.integers(0, 500))
    payload = enc(text, charset)
    if cte == "base64" and draw(st.booleans()):
        payload = b"!!!not base64===" + payload
    return (f"Content-Type: {ctype}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode(errors="replace") + payload


@st.composite
def raw_messages(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=2000))  # not an email at all
    headers = b"".join(draw(st.lists(header_lines(), max_size=8)))
    if draw(st.booleans()):
        headers = b"From: Ann <ann@example.com>\r\nSubject: help\r\n" + headers
    nested = draw(st.integers(0, 3)) == 0
    if nested:  # deep nesting: a multipart inside a multipart ... many levels down
        levels = draw(st.integers(20, 200))
        body = b"innermost text\r\n"
        for i in range(levels):
            body = (f'Content-Type: multipart/mixed; boundary="l{i}"\r\n\r\n--l{i}\r\n'
                    .encode() + body + f"\r\n--l{i}--\r\n".encode())
        return headers + body
    return headers + draw(mime_part(depth=4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(raw=raw_messages())
def test_parser_raises_only_parse_error(raw: bytes) -> None:
    try:
        parsed = parse_email(raw, fallback_received=NOW)
    except ParseError as exc:
        assert str(exc)  # a reason is always given
        return
    assert isinstance(parsed.text, str) and isinstance(parsed.subject, str)
    assert parsed.received_at.tzinfo is not None


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, model_path: Path, pg_server) -> App:  # type: ignore[no-untyped-def]
    # PostgreSQL is the stricter store (no NUL, strict UTF-8), so the pipeline fuzz runs there
    d = tmp_path_factory.mktemp("fuzz")
    s = settings_from_mapping({"data_dir": str(d / "data"),
                               "store": {"url": pg_server.create_db()},
                               "classifier": {"model_path": str(model_path)}})
    app = App(s, clock=FrozenClock(NOW), environ={})
    app.store.ensure_source("fuzz", "maildir")
    yield app
    app.store.close()


_ids = itertools.count()


@settings(max_examples=15, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(batch=st.lists(raw_messages(), min_size=1, max_size=6))
def test_pipeline_stores_or_quarantines_every_message(fuzz_app: App, batch: list[bytes]) -> None:
    items = [RawItem(f"f{next(_ids)}", raw) for raw in batch]
    stats = fuzz_app.pipeline.ingest("fuzz", "email", FetchResult(items, {}))
    assert stats.stored == len(items)
    fuzz_app.pipeline.process_pending()
    wanted = {i.external_id for i in items}
    rows = [r for r in fuzz_app.store.export_rows() if r["external_id"] in wanted]
    assert len(rows) == len(items)
    for r in rows:
        assert r["status"] in ("processed", "quarantined"), r
        if r["status"] == "quarantined":
            assert r["error"], "a quarantined message must say why"
        assert fuzz_app.store.raw(r["id"]) in batch  # raw bytes kept exactly


@pytest.mark.parametrize("raw", [
    b"From: =?utf-8?B??=\r\nSubject: x\r\n\r\nbody",                  # stdlib IndexError
    b"From: =?utf-8?B?\xc2\x80?=\r\nSubject: \xff\xfe\r\n\r\nbody",    # lone surrogates
    b"From: " + b"x" * 10_000 + b"\r\nSubject: long sender\r\n\r\nbody",  # > varchar(320)
    b"From: a@b.c\r\nSubject: nul\x00here\r\n\r\nbody with \x00 NUL",  # PostgreSQL refuses NUL
])
def test_regressions_found_by_fuzzing(fuzz_app: App, raw: bytes) -> None:
    item = RawItem(f"r{next(_ids)}", raw)
    assert fuzz_app.pipeline.ingest("fuzz", "email", FetchResult([item], {})).stored == 1
    fuzz_app.pipeline.process_pending()
    (row,) = [r for r in fuzz_app.store.export_rows() if r["external_id"] == item.external_id]
    assert row["status"] in ("processed", "quarantined") and fuzz_app.store.raw(row["id"]) == raw
