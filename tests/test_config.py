"""Configuration: every mistake stops start-up with file, key and fix; docs cover every key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from triage.config import (
    ImapOAuth2,
    ImapSource,
    ImapWriteBack,
    MaildirSource,
    MastodonSource,
    Settings,
    XSource,
    load_settings,
    masked_dump,
    parse_duration,
    secret_keys,
)
from triage.errors import ConfigError, MissingSecretError

EXAMPLE = Path(__file__).parent.parent / "config" / "triage.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "triage.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_unknown_key_names_file_key_and_fix(tmp_path: Path) -> None:
    p = write(tmp_path, "[drafting]\nteam_nmae = 'x'\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p, {})
    msg = str(e.value)
    assert str(p) in msg and "drafting.team_nmae" in msg and "fix:" in msg


def test_wrong_type_is_reported(tmp_path: Path) -> None:
    p = write(tmp_path, "[classifier]\nreview_threshold = 'high'\n")
    with pytest.raises(ConfigError, match=r"classifier\.review_threshold"):
        load_settings(p, {})


def test_bad_duration_says_how_to_write_one(tmp_path: Path) -> None:
    p = write(tmp_path, "[deadlines]\nemail = 'one day'\n")
    with pytest.raises(ConfigError, match="24h"):
        load_settings(p, {})


def test_source_errors_name_the_source(tmp_path: Path) -> None:
    p = write(tmp_path, "[[sources]]\nname='a'\ntype='maildir'\n")
    with pytest.raises(ConfigError, match=r"sources\[0\]\(name='a'\)\.path"):
        load_settings(p, {})


def test_unknown_source_type(tmp_path: Path) -> None:
    p = write(tmp_path, "[[sources]]\nname='a'\ntype='pigeon'\npath='x'\n")
    with pytest.raises(ConfigError, match="sources"):
        load_settings(p, {})


def test_duplicate_source_names(tmp_path: Path) -> None:
    p = write(tmp_path, "[[sources]]\nname='a'\ntype='maildir'\npath='x'\n"
                        "[[sources]]\nname='a'\ntype='maildir'\npath='y'\n")
    with pytest.raises(ConfigError, match="unique"):
        load_settings(p, {})


def test_toml_syntax_error(tmp_path: Path) -> None:
    p = write(tmp_path, "[store\nurl = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(p, {})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", {})


def test_missing_secret_names_variable(tmp_path: Path) -> None:
    p = write(tmp_path, "[store]\nurl_env = 'TRIAGE_DB_URL'\n")
    with pytest.raises(MissingSecretError, match="TRIAGE_DB_URL"):
        load_settings(p, {})
    s = load_settings(p, {"TRIAGE_DB_URL": "postgresql+psycopg://u:pw@h/db"})
    dumped = masked_dump(s, {"TRIAGE_DB_URL": "postgresql+psycopg://u:pw@h/db"})
    assert "pw" not in str(dumped["resolved"]["database_url"])
    assert "****" in dumped["resolved"]["database_url"]


def test_unknown_category_in_thresholds(tmp_path: Path) -> None:
    p = write(tmp_path, "[classifier]\ncategory_thresholds = { praise = 0.5 }\n")
    with pytest.raises(ConfigError, match="praise"):
        load_settings(p, {})


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("5m", 300), ("24h", 86400),
                                          ("2d", 172800), (90, 90)])
def test_durations(text: Any, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, field in model.model_fields.items():
        if name == "config_path":
            continue
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= _keys(ann, f"{prefix}{name}.")
        elif name not in ("sources", "acknowledgements"):
            out.add(f"{prefix}{name}")
    return out


def test_example_documents_every_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for key in _keys(Settings):
        section, _, leaf = key.rpartition(".")
        node: Any = data
        for part in section.split(".") if section else []:
            node = node.get(part, {})
        assert leaf in node, f"config/triage.example.toml does not document '{key}'"
    # every source type's settings appear in an example [[sources]] entry
    types = {s["type"]: s for s in data.get("sources", [])}
    for model in (MaildirSource, ImapSource, XSource, MastodonSource):
        tag = model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        assert tag in types, f"no example [[sources]] of type {tag}"
        for name in model.model_fields:
            assert name in types[tag] or re.search(rf"^#?\s*{name}\s*=", text, re.M) \
                or re.search(rf"^#?\s*\[sources\.{name}\]", text, re.M), \
                f"example source {tag} lacks '{name}'"


def test_example_documents_acknowledgement_rules() -> None:
    from triage.config import AckRule

    rules = tomllib.loads(EXAMPLE.read_text(encoding="utf-8")).get("acknowledgements", [])
    assert rules, "no example [[acknowledgements]] rule"
    for name in AckRule.model_fields:
        assert name in rules[0], f"example acknowledgement rule lacks '{name}'"
    assert not any(r.get("enabled") for r in rules), "the example must not enable auto-acks"


def test_example_is_valid(tmp_path: Path) -> None:
    # the example names secret variables; with them set it must load as it is
    env = {e: "x" for _, e in secret_keys(load_settings(EXAMPLE, {}, check_secrets=False))}
    s = load_settings(EXAMPLE, env)
    assert s.deadlines.email.total_seconds() == 86400


def test_x_source_needs_a_token_and_all_four_oauth1_keys(tmp_path: Path) -> None:
    p = write(tmp_path, "[[sources]]\nname='x'\ntype='x'\nuser_id='12'\n")
    with pytest.raises(ConfigError, match=r"sources\[0\]\(name='x'\).*bearer_token_env"):
        load_settings(p, {})
    p = write(tmp_path, "[[sources]]\nname='x'\ntype='x'\nuser_id='12'\n"
                        "bearer_token_env='B'\nconsumer_key_env='CK'\n")
    with pytest.raises(ConfigError, match="all four"):
        load_settings(p, {"B": "t"})
    p = write(tmp_path, "[[sources]]\nname='x'\ntype='x'\nuser_id='@acme'\n"
                        "bearer_token_env='B'\n")
    with pytest.raises(ConfigError, match=r"user_id"):
        load_settings(p, {"B": "t"})


def test_social_secrets_are_checked_only_when_enabled(tmp_path: Path) -> None:
    text = ("[[sources]]\nname='m'\ntype='mastodon'\ninstance_url='https://m.example'\n"
            "access_token_env='MASTO'\n")
    with pytest.raises(MissingSecretError, match="MASTO"):
        load_settings(write(tmp_path, text), {})
    assert load_settings(write(tmp_path, text + "enabled=false\n"), {}).sources[0].name == "m"
    bad = text.replace("https://m.example", "m.example")
    with pytest.raises(ConfigError, match="instance_url"):
        load_settings(write(tmp_path, bad), {"MASTO": "t"})


def test_example_documents_nested_imap_settings() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    imap = next(src for src in tomllib.loads(text)["sources"] if src["type"] == "imap")
    for name in ImapWriteBack.model_fields:
        assert name in imap["write_back"], f"[sources.write_back] lacks '{name}'"
    for name in ImapOAuth2.model_fields:
        assert re.search(rf"^#?\s*{name}\s*=", text, re.M), f"[sources.oauth2] lacks '{name}'"


@pytest.mark.parametrize("extra,needle", [
    ({}, "password_env"),
    ({"password_env": "P", "backfill_since": "yesterday"}, "YYYY-MM-DD"),
    ({"password_env": "P", "tls": "tls"}, "tls"),
    ({"password_env": "P", "write_back": {"move_to_folders": {"praise": "X"}}}, "praise"),
    ({"oauth2": {"refresh_token_env": "R"}}, "token_url"),
])
def test_imap_settings_are_checked(tmp_path: Path, extra: dict[str, Any], needle: str) -> None:
    lines = ["[[sources]]", "name = 'a'", "type = 'imap'", "host = 'imap.example.com'",
             "username = 'u'"]
    lines += [f"{k} = {v!r}" for k, v in extra.items() if not isinstance(v, dict)]
    for k, v in extra.items():
        if isinstance(v, dict):
            lines.append(f"[sources.{k}]")
            lines += [f"{kk} = {vv!r}" if not isinstance(vv, dict) else
                      f"{kk} = {{ {', '.join(f'{a} = {b!r}' for a, b in vv.items())} }}"
                      for kk, vv in v.items()]
    p = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=needle) as e:
        load_settings(p, {})
    assert str(p) in str(e.value) and "sources[0](name='a')" in str(e.value)


def test_imap_secrets_are_required_and_masked(tmp_path: Path) -> None:
    p = write(tmp_path, "[[sources]]\nname='a'\ntype='imap'\nhost='h'\nusername='u'\n"
                        "[sources.oauth2]\nprovider='microsoft'\nrefresh_token_env='RT'\n"
                        "client_secret_env='CS'\n")
    with pytest.raises(MissingSecretError, match="RT") as e:
        load_settings(p, {"CS": "x"})
    assert "oauth2.refresh_token_env" in str(e.value)
    s = load_settings(p, {"CS": "x", "RT": "very-secret"})
    assert s.sources[0].oauth2.endpoint().startswith("https://login.microsoftonline.com/")
    assert "very-secret" not in repr(masked_dump(s, {"CS": "x", "RT": "very-secret"}))
