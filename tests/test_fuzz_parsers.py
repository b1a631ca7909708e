"""Fuzzing over every parser that reads outside input, from the seed corpus in
tests/fuzz_seeds/ (see tests/fuzzing.py for the mutations).

The property, per parser: it returns, or raises one of its documented errors, and never hangs.
- mail: ``parse_email`` returns a usable message or raises ParseError;
- X and Mastodon: a source's ``fetch`` over a server sending mutated API JSON (and odd
  rate-limit headers) returns items that are each parsed or carry their parse error, or
  raises SourceError (RateLimited, SourceAuthError, ...);
- configuration: loading a mutated TOML file (and building its calendars, as
  ``triage check-config`` does) succeeds or raises ConfigError.
Each seed is also run unmutated, and must parse cleanly: a seed that stops parsing is a bug.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import tomllib
import warnings
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from tests.fuzzing import (
    FUZZ,
    JSON_TOKENS,
    MAIL_TOKENS,
    TOML_KEYS,
    TOML_TOKENS,
    TOML_VALUES,
    ScriptedApi,
    answers,
    json_body,
    mutated_bytes,
    mutated_doc,
    no_hang,
    seed_files,
    to_toml,
)
from triage.clients.meta import verify_hub_signature
from triage.clients.x import Credentials, make_client
from triage.clients.zalo import verify_zalo_signature
from triage.clock import FrozenClock
from triage.config import MastodonSettings, load_settings, masked_dump
from triage.deadlines.policy import build_calendars
from triage.errors import ConfigError, ParseError, SourceError
from triage.mail.parse import parse_email
from triage.models import LANGUAGES, FetchResult, ParsedMessage
from triage.sources.mastodon import MastodonMentions
from triage.sources.x import XSource

OWN_X_ID = "100"
MAIL_SEEDS = [p.read_bytes() for p in seed_files("mail", ".eml")]
# the documented example is a seed too, read where it lives so it never goes stale here
EXAMPLE_TOML = Path(__file__).parent.parent / "config" / "triage.example.toml"
TOML_FILES = [*seed_files("config", ".toml"), EXAMPLE_TOML]
TOML_SEEDS = [p.read_bytes() for p in TOML_FILES]
TOML_DOCS = [tomllib.loads(t.decode("utf-8")) for t in TOML_SEEDS]
X = {p.stem: json.loads(p.read_text("utf-8")) for p in seed_files("x", ".json")}
X_SEEDS = list(X.values())
MASTO = {p.stem: json.loads(p.read_text("utf-8")) for p in seed_files("mastodon", ".json")}
MASTO_PAGES = [v for k, v in MASTO.items() if k.startswith("notifications") or k == "empty"]
X_RATE = ["x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"]
MASTO_RATE = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]


class AllSet(Mapping[str, str]):
    """An environment in which every variable is set (secrets are not what is fuzzed)."""

    def __getitem__(self, key: str) -> str:
        return "secret-value-for-fuzzing-" + key

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def check_message(parsed: ParsedMessage) -> None:
    """What the store and the pipeline rely on in every parsed message."""
    assert isinstance(parsed, ParsedMessage)
    for name in ("message_id", "sender", "sender_name", "subject", "text", "full_text"):
        assert isinstance(getattr(parsed, name), str), name
    assert parsed.message_id
    assert isinstance(parsed.received_at, datetime) and parsed.received_at.tzinfo is not None
    assert parsed.language_hint is None or parsed.language_hint in LANGUAGES
    assert all(isinstance(r, str) for r in parsed.references)
    assert parsed.in_reply_to is None or isinstance(parsed.in_reply_to, str)


def check_fetch(result: FetchResult) -> None:
    """Every fetched item is parsed or says why not; the cursor can be saved as JSON."""
    json.dumps(result.cursor)
    for item in result.items:
        assert isinstance(item.external_id, str) and item.external_id
        assert isinstance(item.raw, bytes)
        if "parse_error" in item.meta:
            assert isinstance(item.meta["parse_error"], str) and item.meta["parse_error"]
        else:
            check_message(item.meta["parsed"])
            assert item.received_at is None or item.received_at.tzinfo is not None


# ------------------------------------------------------------------------------ mail
@pytest.mark.parametrize("path", seed_files("mail", ".eml"), ids=lambda p: p.stem)
def test_mail_seeds_parse(path: Path) -> None:
    check_message(parse_email(path.read_bytes(), fallback_received=NOW))


@FUZZ
@given(raw=mutated_bytes(MAIL_SEEDS, MAIL_TOKENS))
def test_mail_parser_raises_only_parse_error(raw: bytes) -> None:
    try:
        with no_hang():
            parsed = parse_email(raw, fallback_received=NOW,
                                 own_addresses=("support@example.com",))
    except ParseError as exc:
        assert str(exc)
        return
    check_message(parsed)


@pytest.mark.parametrize("raw", [
    b"From: " + b":" * 3000 + b"\r\nSubject: x\r\n\r\nbody",
    b"From: a@example.com\r\nTo: " + b"a:" * 3000 + b"\r\n\r\nbody",
    b"From: a@example.com\r\nSubject: =?utf-8\x00?B??=\r\n\r\nbody",
], ids=["from", "to", "nul-charset"])
def test_mail_headers_found_by_fuzzing_are_read_or_refused(raw: bytes) -> None:
    """Found by fuzzing: the stdlib address parser recursing once per ':' (From refuses the
    message with a reason; a To/Cc it cannot read is dropped) and an encoded word whose charset
    label holds a NUL (kept as text)."""
    try:
        parsed = parse_email(raw, fallback_received=NOW)
    except ParseError as exc:
        assert raw.startswith(b"From: :") and "From header" in str(exc)
        return
    assert not raw.startswith(b"From: :"), "a From the parser cannot read must be refused"
    check_message(parsed)
    if b"To: a:" in raw:
        assert parsed.to == [] and parsed.cc == []
    if b"\x00" in raw:
        assert parsed.subject == ""  # the encoded word is empty; its odd label is harmless


# ------------------------------------------------------------------------------ X
@pytest.fixture(scope="module")
def api() -> Iterator[ScriptedApi]:
    server = ScriptedApi()
    yield server
    server.stop()


def x_fetch(api: ScriptedApi, pages: list[Any]) -> FetchResult:
    api.script({"/mentions": pages})
    client = make_client(Credentials(bearer_token="t"), api.base_url, 10.0)
    source = XSource("fuzz-x", OWN_X_ID, client, clock=FrozenClock(NOW), page_size=5)
    try:
        with no_hang():
            return source.fetch({}, 40)
    finally:
        client.session.close()


@pytest.mark.parametrize("seed", X_SEEDS, ids=list(X))
def test_x_seeds_fetch(api: ScriptedApi, seed: Any) -> None:
    if "data" not in seed and "meta" not in seed:
        with pytest.raises(SourceError, match="X reported"):
            x_fetch(api, [(200, {}, json.dumps(seed).encode())])
        return
    result = x_fetch(api, [(200, {}, json.dumps(seed).encode()),
                           (200, {}, b'{"meta": {"result_count": 0}}')])
    check_fetch(result)
    assert all("parsed" in i.meta for i in result.items)
    assert len(result.items) == len(seed.get("data", []))


@settings(FUZZ, max_examples=120)
@given(pages=answers(json_body(X_SEEDS), X_RATE))
def test_x_source_raises_only_source_errors(api: ScriptedApi, pages: list[Any]) -> None:
    try:
        result = x_fetch(api, pages)
    except SourceError as exc:
        assert str(exc)
        return
    check_fetch(result)


# ------------------------------------------------------------------------------ Mastodon
def masto_fetch(api: ScriptedApi, pages: list[Any], context: list[Any],
                me: list[Any] | None = None) -> FetchResult:
    api.script({
        "/api/v1/accounts/verify_credentials":
            me or [(200, {}, json.dumps(MASTO["verify_credentials"]).encode())],
        "/api/v1/notifications": pages,
        "/context": context,
    })
    settings = MastodonSettings(name="fuzz-m", type="mastodon", instance_url=api.base_url,
                                access_token_env="T", page_size=2)
    from triage.clients.mastodon import make_api

    source = MastodonMentions("fuzz-m", make_api(settings, {"T": "token"}),
                              clock=FrozenClock(NOW), page_size=2)
    with no_hang():
        return source.fetch({}, 20)


@pytest.mark.parametrize("name", [k for k in MASTO if k.startswith("notifications")])
def test_mastodon_seeds_fetch(api: ScriptedApi, name: str) -> None:
    page = MASTO[name]
    result = masto_fetch(api, [(200, {}, json.dumps(page).encode()), (200, {}, b"[]")],
                         [(200, {}, json.dumps(MASTO["context_reply"]).encode())])
    check_fetch(result)
    with_status = [n for n in page if n.get("status")]
    assert len(result.items) == len(with_status)
    assert all("parsed" in i.meta for i in result.items)


@settings(FUZZ, max_examples=120)
@given(pages=answers(json_body(MASTO_PAGES), MASTO_RATE),
       context=answers(json_body([MASTO["context_reply"]]), [], max_size=1),
       me=st.none() | answers(json_body([MASTO["verify_credentials"]]), [], max_size=1))
def test_mastodon_source_raises_only_source_errors(api: ScriptedApi, pages: list[Any],
                                                   context: list[Any],
                                                   me: list[Any] | None) -> None:
    try:
        result = masto_fetch(api, pages, context, me)
    except SourceError as exc:
        assert str(exc)
        return
    check_fetch(result)


# ------------------------------------------------------------------------------ config
def load_and_build(path: Path) -> None:
    """What ``triage check-config`` does with a file: load, build calendars, dump."""
    settings = load_settings(path, AllSet())
    build_calendars(settings.deadlines, settings.resolve_path)
    json.dumps(masked_dump(settings, AllSet()), default=str)


@pytest.mark.parametrize("path", TOML_FILES, ids=lambda p: p.stem)
def test_config_seeds_load(path: Path) -> None:
    with pytest.warns(DeprecationWarning) if "legacy" in path.stem else nullcontext():
        load_and_build(path)


def load_or_config_error(path: Path, text: bytes) -> None:
    path.write_bytes(text)
    try:
        with no_hang(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # moved keys: read, warned
            load_and_build(path)
    except ConfigError as exc:
        assert str(exc)


@settings(FUZZ, max_examples=150)
@given(text=mutated_bytes(TOML_SEEDS, TOML_TOKENS))
def test_config_syntax_fuzz_raises_only_config_error(tmp_path_factory: pytest.TempPathFactory,
                                                     text: bytes) -> None:
    load_or_config_error(tmp_path_factory.mktemp("cfg") / "triage.toml", text)


@settings(FUZZ, max_examples=250)
@given(doc=mutated_doc(TOML_DOCS, TOML_VALUES, TOML_KEYS, max_ops=4))
def test_config_values_fuzz_raises_only_config_error(tmp_path_factory: pytest.TempPathFactory,
                                                     doc: Any) -> None:
    # well-formed TOML with wrong, odd or deeply nested values: reaches the validators
    load_or_config_error(tmp_path_factory.mktemp("cfg") / "triage.toml", to_toml(doc))


# ------------------------------------------------------------------------------ regressions
# Inputs the fuzzers found; each failed (crash or hang) before its fix.
TOKEN_PAGE = b'{"meta": {"result_count": 0, "next_token": "same"}}'


@pytest.mark.parametrize(("pages", "error"), [
    ([(400, {}, b"null")], "unreadable response"),  # tweepy: 'NoneType' has no .get
    ([(429, {"x-rate-limit-reset": "abc"}, b"{}")], "unreadable response"),  # int('abc')
    ([(200, {}, TOKEN_PAGE)], "same page token"),  # looped for ever
    ([(200, {}, b'{"meta": {"next_token": "%d"}}' % i) for i in range(12)], "empty pages"),
], ids=["null-error-body", "bad-reset-header", "repeated-token", "endless-empty-pages"])
def test_x_regressions_raise_source_error(api: ScriptedApi, pages: list[Any],
                                          error: str) -> None:
    with pytest.raises(SourceError, match=error):
        x_fetch(api, pages)


def test_x_regressions_odd_ids_and_reset(api: ScriptedApi) -> None:
    page = json.loads(json.dumps(X["mentions_page"]))
    page["meta"]["newest_id"] = "abc"  # int('abc') in the cursor update
    result = x_fetch(api, [(200, {"x-rate-limit-reset": "99999999999999999999",  # overflow
                                  "x-rate-limit-remaining": "5"}, json.dumps(page).encode())])
    check_fetch(result)
    assert len(result.items) == len(page["data"])
    assert result.cursor["since_id"] is None  # not "abc": the next poll reads all again


def test_mastodon_regressions(api: ScriptedApi) -> None:
    ctx = [(200, {}, json.dumps(MASTO["context_reply"]).encode())]
    with pytest.raises(SourceError, match="without an account id"):  # was TypeError
        masto_fetch(api, [(200, {}, b"[]")], ctx, me=[(200, {}, b"null")])
    # a reset header beyond the platform's time range: OverflowError before
    check_fetch(masto_fetch(api, [(200, {"X-RateLimit-Reset": "99999999999999999999"}, b"[]")],
                            ctx))
    # a notification whose status is not an object: stored quarantined, not a crash
    odd = masto_fetch(api, [(200, {}, b'[{"id": "9", "status": true}]')], ctx)
    assert [i.meta.get("parse_error", "")[:30] for i in odd.items] == [
        "mastodon notification 9: its s"]
    # an instance that ignores min_id and sends the same full page again and again:
    # each notification once (it was read 10 times over)
    notes = MASTO["notifications"][:2]
    result = masto_fetch(api, [(200, {}, json.dumps(notes).encode())], ctx)
    assert sorted(i.external_id for i in result.items) == sorted(
        str(n["status"]["id"]) for n in notes)


@pytest.mark.parametrize("text", [
    "[deadlines]\nwarn_before = " + "{a=" * 450 + "1" + "}" * 450,  # RecursionError
    "[ops]\nlease_ttl = inf",  # OverflowError in timedelta
    "[ops]\nclaim_ttl = '99999999999d'",
], ids=["deep-inline-table", "infinite-duration", "huge-duration"])
def test_config_regressions_raise_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "triage.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_and_build(path)


# ------------------------------------------------------------------------------ webhooks
HOOK_SEEDS = [p.read_bytes() for p in seed_files("webhooks", ".json")]
SECRET = "app-secret-0123456789"


def meta_signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def zalo_signature(body: bytes, secret: str = SECRET) -> str:
    data = json.loads(body)
    signed = f"{data.get('app_id', '')}".encode() + body + \
        f"{data.get('timestamp', '')}{secret}".encode()
    return "mac=" + hashlib.sha256(signed).hexdigest()


@pytest.mark.parametrize("body", HOOK_SEEDS, ids=[p.stem for p in seed_files("webhooks",
                                                                             ".json")])
def test_webhook_seeds_verify(body: bytes) -> None:
    assert verify_hub_signature(SECRET, body, meta_signature(body))
    assert verify_zalo_signature(SECRET, body, zalo_signature(body))
    assert not verify_hub_signature(SECRET, body + b" ", meta_signature(body))
    assert not verify_zalo_signature(SECRET, body + b" ", zalo_signature(body))


HEADERS = st.sampled_from(["", "sha256=", "mac=", "sha256=é", "mac=é", "SHA256=00", "\x00",
                           "sha256=" + "0" * 64, "mac=" + "f" * 64, "sha256=\u2028"]) | \
    st.text(max_size=80)


@FUZZ
@given(body=mutated_bytes(HOOK_SEEDS, JSON_TOKENS), header=HEADERS,
       secret=st.sampled_from([SECRET, "", "é-secret"]))
def test_webhook_verification_never_raises_and_never_lets_a_forgery_in(
        body: bytes, header: str, secret: str) -> None:
    # any body, any header, any secret: a yes or a no, never an exception (a 500 to the
    # platform, which then retries the delivery for hours) and never a yes for a forgery
    with no_hang():
        meta = verify_hub_signature(secret, body, header)
        zalo = verify_zalo_signature(secret, body, header)
    assert meta is False and zalo is False  # none of these headers is a real signature
    if secret:
        assert verify_hub_signature(secret, body, meta_signature(body, secret))


@pytest.mark.parametrize(("fn", "header", "body"), [
    (verify_hub_signature, "sha256=é", b"{}"),  # TypeError in hmac.compare_digest
    (verify_zalo_signature, "mac=é", b"{}"),
    (verify_zalo_signature, "mac=00", b"[" * 100_000),  # RecursionError in json.loads
    (verify_zalo_signature, "mac=00", b'{"app_id": "\\ud800"}'),  # UnicodeEncodeError
], ids=["meta-non-ascii", "zalo-non-ascii", "zalo-deep-json", "zalo-lone-surrogate"])
def test_webhook_regressions(fn: Any, header: str, body: bytes) -> None:
    assert fn(SECRET, body, header) is False
