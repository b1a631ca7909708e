"""``[drafting] team_name``: one name for every language or a table per language; drafts,
the From name of replies, acknowledgements and the demo config sign in the right language."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import add_to_maildir, make_email
from tests.fixtures_web import Sink
from triage.cli.demo import DEMO_CONFIG
from triage.cli.templates import renderer_for
from triage.clock import FrozenClock
from triage.config import DEFAULT_TEAM_NAMES, settings_from_mapping, team_name_for
from triage.daemon import Daemon
from triage.drafting.render import DraftRequest
from triage.errors import ConfigError
from triage.models import LANGUAGES
from triage.send.outbox import Outbox
from triage.send.smtp import SmtpSender
from triage.services import App
from triage.store.outbox import reply_of

VI = "Bộ phận Chăm sóc Khách hàng"


def draft_text(settings: Any, language: str, channel: str = "email") -> str:
    """The complaint draft the daemon's renderer writes in ``language``."""
    req = DraftRequest(category="complaint", channel=channel, language=language,
                       subject="Order late", text="Where is my order #12345?",
                       sender="ann@example.com", sender_name="Ann Lee", thread_id=42,
                       due_at=None, situation="general")
    return renderer_for(settings).render(req).text


def signature(text: str) -> list[str]:
    """The last lines of a draft: the sign-off, the team and the reference."""
    return text.strip().splitlines()[-3:]


def test_a_vietnamese_draft_is_signed_in_vietnamese_by_default() -> None:
    settings = settings_from_mapping({})
    vi = draft_text(settings, "vi")
    assert VI in signature(vi), vi
    assert "Customer Support" not in vi
    assert "Customer Support" in signature(draft_text(settings, "en"))
    assert "Tim Layanan Pelanggan" in signature(draft_text(settings, "id"))
    assert "Customer Support" in signature(draft_text(settings, "tl"))


def test_a_string_team_name_signs_every_language_with_it() -> None:
    settings = settings_from_mapping({"drafting": {"team_name": "Shopee Support"}})
    for language in LANGUAGES:
        text = draft_text(settings, language)
        assert "Shopee Support" in signature(text), (language, text)
        assert VI not in text and "Customer Support" not in text


def test_a_table_without_a_language_signs_it_with_the_english_entry_else_the_first() -> None:
    table = {"en": "Acme Care", "vi": "Đội ngũ Acme", "id": "Tim Acme"}
    settings = settings_from_mapping({"drafting": {"team_name": table}})
    assert "Acme Care" in signature(draft_text(settings, "tl"))
    assert "Đội ngũ Acme" in signature(draft_text(settings, "vi"))
    assert "Tim Acme" in signature(draft_text(settings, "id"))
    assert team_name_for({"vi": "Đội ngũ Acme", "id": "Tim Acme"}, "tl") == "Đội ngũ Acme"
    assert team_name_for("Acme", "vi") == "Acme"


@pytest.mark.parametrize(("value", "message"), [
    ({"en": "Care", "fr": "Service client"}, "unknown language 'fr'"),
    ({"en": "Care", "vi": "  "}, "the name for 'vi' is empty"),
    ({}, "the table of names is empty"),
    ("", "the team name is empty"),
    (["Care"], "neither a name nor a table"),
])
def test_a_bad_team_name_is_refused_naming_the_setting(value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=r"drafting\.team_name") as err:
        settings_from_mapping({"drafting": {"team_name": value}})
    assert message in str(err.value)


def test_the_demo_config_and_the_example_sign_per_language() -> None:
    demo = settings_from_mapping(tomllib.loads(DEMO_CONFIG)).drafting.team_name
    assert isinstance(demo, dict) and set(demo) == set(LANGUAGES)
    example = Path(__file__).parent.parent / "config" / "triage.example.toml"
    drafting = tomllib.loads(example.read_text(encoding="utf-8"))["drafting"]
    assert drafting["team_name"] == DEFAULT_TEAM_NAMES


def test_a_reply_is_sent_from_the_team_name_of_its_drafts_language(
        tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock,
        smtp_server_sink: tuple[Sink, int]) -> None:
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "sources": [{"name": "inbox", "type": "maildir", "path": str(maildir)}]})
    app = App(settings, clock=clock, environ={})
    try:
        add_to_maildir(maildir, make_email(
            "Đơn hàng giao chậm", "Tôi đặt hàng 3 tuần rồi mà vẫn chưa nhận được. Đơn hàng "
            "của tôi đâu rồi? Mã đơn 12345.", "Lan <lan@example.vn>", "<vi-1@example.vn>"))
        Daemon(app).poll_all()
        draft = app.store.drafts.current(1)
        assert draft is not None and draft["language"] == "vi", draft
        assert VI in draft["text"]
        app.review_service(outbox=Outbox(app.store, {})).approve(
            1, "linh", text=draft["text"].replace("[[", "").replace("]]", ""))
        [row] = app.store.queue.outbox_rows(1)
        reply = reply_of(row)
        assert reply.extra["language"] == "vi"
    finally:
        app.store.close()
    sink, port = smtp_server_sink
    sender = SmtpSender(host="127.0.0.1", port=port, tls="none",
                        from_address="support@example.com", from_name=settings.drafting.team_name)
    sender.send(reply)
    # a reply queued before the language was stored is sent from the English name
    sender.send(type(reply)(**{**reply.__dict__, "idempotency_key": "old-1", "extra": {}}))
    first, old = sink.parsed(0), sink.parsed(1)
    assert VI in str(first["From"]) and "support@example.com" in str(first["From"])
    assert str(old["From"]) == "Customer Support <support@example.com>"
