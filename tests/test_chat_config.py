"""Settings of the chat sources: documented in config/triage.example.toml, checked at load
(unknown keys, impossible combinations), their secrets required only while enabled, and the
per-source first-response target in the deadline policy."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from triage.config import check_secrets_present, secret_keys, settings_from_mapping
from triage.config.channels import (
    CHAT_SOURCE_TYPES,
    FacebookSettings,
    TelegramSettings,
    WhatsAppSettings,
    ZaloSettings,
)
from triage.deadlines.policy import DeadlinePolicy
from triage.errors import ConfigError, MissingSecretError

EXAMPLE = Path(__file__).parent.parent / "config" / "triage.example.toml"


def test_example_documents_every_chat_source_key() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    types = {s["type"]: s for s in data["sources"]}
    for model in (TelegramSettings, FacebookSettings, ZaloSettings, WhatsAppSettings):
        tag = model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        assert tag in types, f"no example [[sources]] of type {tag}"
        missing = set(model.model_fields) - set(types[tag])
        assert not missing, f"example source {tag} lacks {sorted(missing)}"
        assert types[tag]["enabled"] is False  # examples never start a real account
    assert set(CHAT_SOURCE_TYPES) <= set(types)
    settings_from_mapping(data)  # and the example is valid as written


def _load(src: dict[str, Any]) -> Any:
    return settings_from_mapping({"sources": [src]})


@pytest.mark.parametrize("src,message", [
    ({"name": "fb", "type": "facebook", "page_id": "1", "page_token_env": "T",
      "webhook": True}, "webhook = true needs app_secret_env and verify_token_env"),
    ({"name": "fb", "type": "facebook", "page_id": "1", "page_token_env": "T",
      "poll": False}, "turn on poll or webhook"),
    ({"name": "fb", "type": "facebook", "page_id": "1", "page_token_env": "T",
      "messenger": False, "comments": False}, "turn on messenger or comments"),
    ({"name": "z", "type": "zalo", "oa_id": "1", "app_id": "2", "app_secret_env": "S",
      "access_token_env": "A", "refresh_token_env": "R", "webhook": True},
     "webhook = true needs oa_secret_env"),
    ({"name": "z", "type": "zalo", "oa_id": "1", "app_id": "2", "app_secret_env": "S",
      "access_token_env": "A", "refresh_token_env": "R", "page_size": 11},
     r"key 'sources\[0\]\(name='z'\).page_size'"),
    ({"name": "t", "type": "telegram", "bot_token_env": "T", "long_poll_timeout": "soon"},
     "'soon' is not a duration"),
    ({"name": "t", "type": "telegram", "bot_token_env": "T", "token": "123:abc"},
     r"key 'sources\[0\]\(name='t'\).token': Extra inputs are not permitted"),
    ({"name": "w", "type": "whatsapp", "phone_number_id": "+62 811", "access_token_env": "A",
      "app_secret_env": "S", "verify_token_env": "V"}, "phone_number_id"),
])
def test_impossible_settings_stop_start_up_naming_the_key(src: dict[str, Any],
                                                          message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(src)


def test_secrets_are_required_only_while_enabled() -> None:
    on = _load({"name": "z", "type": "zalo", "oa_id": "1", "app_id": "2",
                "app_secret_env": "ZS", "access_token_env": "ZA", "refresh_token_env": "ZR",
                "oa_secret_env": "ZO", "webhook": True})
    assert sorted(e for _, e in secret_keys(on)) == ["ZA", "ZO", "ZR", "ZS"]
    with pytest.raises(MissingSecretError, match="ZR"):
        check_secrets_present(on, {"ZS": "x", "ZA": "x", "ZO": "x"})
    off = _load({"name": "t", "type": "telegram", "bot_token_env": "TG", "enabled": False})
    assert secret_keys(off) == []
    check_secrets_present(off, {})


def test_a_chat_source_has_its_own_first_response_target() -> None:
    s = settings_from_mapping({"deadlines": {
        "overrides": {"social": {"complaint": "30m"}},
        "rules": [{"kind": "first_response", "channel": "social", "priority": "urgent",
                   "within": "10m"}]}})
    policy = DeadlinePolicy(s.deadlines, source_targets={"tg": timedelta(minutes=20)})
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert policy.due_at(t0, "social", "request", source="tg") == (
        t0 + timedelta(minutes=20), "source:tg")
    assert policy.due_at(t0, "social", "request", source="x")[0] == t0 + timedelta(minutes=60)
    # category overrides and rules still win over the source's target
    assert policy.due_at(t0, "social", "complaint", source="tg")[0] == t0 + timedelta(minutes=30)
    assert policy.due_at(t0, "social", "request", priority="urgent",
                         source="tg")[0] == t0 + timedelta(minutes=10)
