"""Configuration: every mistake stops start-up with file, key and fix; docs cover every key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from triage.config import (
    ImapOAuth2Settings,
    ImapSettings,
    ImapWriteBackSettings,
    MaildirSettings,
    MastodonSettings,
    Settings,
    XSettings,
    load_settings,
    masked_dump,
    parse_duration,
    secret_keys,
    settings_from_mapping,
)
from triage.config.values import format_duration
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


def test_workers_is_auto_or_a_count(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[scheduler]\nworkers = 'auto'\n"), {}) \
        .scheduler.workers == "auto"
    assert load_settings(write(tmp_path, "[scheduler]\nworkers = 3\n"), {}) \
        .scheduler.workers == 3
    assert load_settings(write(tmp_path, ""), {}).scheduler.workers == 0
    for bad in ("-1", "'many'", "'Auto'", "1.5"):
        with pytest.raises(ConfigError, match=r"scheduler\.workers"):
            load_settings(write(tmp_path, f"[scheduler]\nworkers = {bad}\n"), {})


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
    for model in (MaildirSettings, ImapSettings, XSettings, MastodonSettings):
        tag = model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        assert tag in types, f"no example [[sources]] of type {tag}"
        for name in model.model_fields:
            assert name in types[tag] or re.search(rf"^#?\s*{name}\s*=", text, re.M) \
                or re.search(rf"^#?\s*\[sources\.{name}\]", text, re.M), \
                f"example source {tag} lacks '{name}'"


def test_example_documents_acknowledgement_rules() -> None:
    from triage.config import AckRuleSettings

    rules = tomllib.loads(EXAMPLE.read_text(encoding="utf-8")).get("acknowledgements", [])
    assert rules, "no example [[acknowledgements]] rule"
    for name in AckRuleSettings.model_fields:
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
    for name in ImapWriteBackSettings.model_fields:
        assert name in imap["write_back"], f"[sources.write_back] lacks '{name}'"
    for name in ImapOAuth2Settings.model_fields:
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


def _models(ann: Any) -> Iterator[type[BaseModel]]:
    """Every settings class reachable from annotation ``ann`` (through lists, dicts, unions)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        yield ann
        for field in ann.model_fields.values():
            yield from _models(field.annotation)
    for arg in get_args(ann):
        yield from _models(arg)


def test_secrets_are_derived_from_every_env_field(tmp_path: Path) -> None:
    env_fields = {(m.__name__, name) for m in _models(Settings) for name in m.model_fields
                  if name.endswith("_env")}
    assert len(env_fields) >= 15  # store, web, ops, webhook, 2 x smtp, imap (+oauth2), x, mastodon
    p = write(tmp_path, """
[store]\nurl_env = 'E_DB'
[web]\nsecret_key_env = 'E_WEB'
[ops]\nmetrics_token_env = 'E_METRICS'
[classifier.llm]\nenabled = true\nmodel = 'qwen2.5:7b'\napi_key_env = 'E_LLM'
[notifications]\nwebhook_url_env = 'E_HOOK'\nemail_to = ['lead@example.com']
[notifications.smtp]\npassword_env = 'E_NOTIFY_SMTP'
[send]\nemail = 'smtp'
[send.smtp]\npassword_env = 'E_SEND_SMTP'
[[sources]]\nname = 'pw'\ntype = 'imap'\nhost = 'h'\nusername = 'u'\npassword_env = 'E_IMAP'
[[sources]]\nname = 'oa'\ntype = 'imap'\nhost = 'h'\nusername = 'u'
[sources.oauth2]\nprovider = 'google'\nrefresh_token_env = 'E_RT'\nclient_id_env = 'E_CID'
client_secret_env = 'E_CS'
[[sources]]\nname = 'x'\ntype = 'x'\nuser_id = '1'\nbearer_token_env = 'E_XB'
user_token_env = 'E_XU'\nconsumer_key_env = 'E_XCK'\nconsumer_secret_env = 'E_XCS'
access_token_env = 'E_XAT'\naccess_token_secret_env = 'E_XATS'
[[sources]]\nname = 'm'\ntype = 'mastodon'\ninstance_url = 'https://m.example'
access_token_env = 'E_M'
[[sources]]\nname = 'tg'\ntype = 'telegram'\nbot_token_env = 'E_TG'
[[sources]]\nname = 'fb'\ntype = 'facebook'\npage_id = '1'\npage_token_env = 'E_FBT'
app_secret_env = 'E_FBS'\nverify_token_env = 'E_FBV'
[[sources]]\nname = 'z'\ntype = 'zalo'\noa_id = '1'\napp_id = '2'\napp_secret_env = 'E_ZS'
access_token_env = 'E_ZA'\nrefresh_token_env = 'E_ZR'\noa_secret_env = 'E_ZO'
[[sources]]\nname = 'wa'\ntype = 'whatsapp'\nphone_number_id = '1'\naccess_token_env = 'E_WA'
app_secret_env = 'E_WS'\nverify_token_env = 'E_WV'
""")
    s = load_settings(p, check_secrets=False)
    keys = dict(secret_keys(s))
    assert {k.rpartition(".")[2] for k in keys} == {name for _, name in env_fields}
    assert keys["notifications.smtp.password_env"] == "E_NOTIFY_SMTP"
    assert keys["sources[1](name='oa').oauth2.client_id_env"] == "E_CID"
    assert keys["classifier.llm.api_key_env"] == "E_LLM"
    assert len(set(keys.values())) == len(keys) == 29
    with pytest.raises(MissingSecretError) as e:
        load_settings(p, {"E_DB": "x"})
    assert all(var in str(e.value) for var in keys.values() if var != "E_DB")


@pytest.mark.parametrize("change,gone", [
    ("enabled = false", "sources[0](name='a').password_env"),  # a disabled source
    ("", "send.smtp.password_env"),                            # send.email = 'log'
    ("", "notifications.smtp.password_env"),                   # no email_to: no digest
])
def test_secrets_of_unused_settings_are_not_required(tmp_path: Path, change: str,
                                                     gone: str) -> None:
    text = ("[notifications.smtp]\npassword_env = 'N'\n[send.smtp]\npassword_env = 'S'\n"
            "[[sources]]\nname = 'a'\ntype = 'imap'\nhost = 'h'\nusername = 'u'\n"
            f"password_env = 'P'\n{change}\n")
    keys = dict(secret_keys(load_settings(write(tmp_path, text), check_secrets=False)))
    assert gone not in keys
    assert set(keys) <= {"sources[0](name='a').password_env"}


DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_docs_reference_is_up_to_date() -> None:
    from triage.config.reference import BEGIN, END, reference_markdown

    text = DOCS.read_text(encoding="utf-8")
    block = text[text.index(BEGIN):text.index(END) + len(END)] + "\n"
    assert block == reference_markdown(), \
        "docs/configuration.md is out of date: python -m triage.config.reference --write " \
        "docs/configuration.md"


def test_docs_reference_has_a_row_for_every_key_of_every_table() -> None:
    from triage.config.reference import reference_markdown, tables

    sections = reference_markdown().split("\n### ")
    seen = [header for header, _ in tables()]
    assert {"[send.smtp]", "[notifications.smtp]", "[send.retry]", "[notifications.retry]",
            "[scheduler.retry]", "[deadlines.calendars.NAME]", "[[deadlines.rules]]",
            "[[acknowledgements]]", '[sources.oauth2] (type = "imap")'} <= set(seen)
    for header, model in tables():
        title = f"`{header}`" if header != "top level" else "Top level"
        (section,) = [s for s in sections if s.startswith(title + "\n")]
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            if next(_models(field.annotation), None) is not None:  # a table of its own
                assert any(name in h for h in seen), f"no section for {header} {name}"
            else:
                assert f"| `{name}` |" in section, f"{header} lacks {name}"


def test_docs_name_every_moved_key() -> None:
    from triage.config.legacy import MOVED

    text = DOCS.read_text(encoding="utf-8")
    for old, _, _ in MOVED:
        assert f"`{old}" in text, f"docs/configuration.md does not name the old key {old}"


def test_example_documents_calendars_and_deadline_rules() -> None:
    from triage.config import CalendarSettings, DeadlineRuleSettings

    text = EXAMPLE.read_text(encoding="utf-8")
    calendars = tomllib.loads(text)["deadlines"]["calendars"]
    for name in CalendarSettings.model_fields:
        assert all(name in cal for cal in calendars.values()), f"calendar lacks '{name}'"
    for name in DeadlineRuleSettings.model_fields:  # the example rule is commented out
        assert re.search(rf"^#\s*{name}\s*=", text, re.M), f"[[deadlines.rules]] lacks {name}"


@pytest.mark.parametrize("section", ["send.smtp", "notifications.smtp"])
def test_plain_smtp_login_is_refused_off_this_machine(tmp_path: Path, section: str) -> None:
    """tls = 'none' is for a relay on this machine: a login to any other host would cross the
    network in plain text, so the file is refused with the key and the fix."""
    body = f"[{section}]\nhost = 'mail.example.com'\ntls = 'none'\nusername = 'u'\n"
    p = tmp_path / "triage.toml"
    p.write_text(body)
    with pytest.raises(ConfigError, match=r"plain text.*starttls") as e:
        load_settings(p, {})
    assert section in str(e.value) and str(p) in str(e.value)
    for ok in (body.replace("mail.example.com", "127.0.0.1"),
               body.replace("'none'", "'starttls'"), body.replace("username = 'u'\n", "")):
        p.write_text(ok)
        assert load_settings(p, {}).model_dump()  # a loopback relay, TLS, or no login: fine



def _leaves(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(key, value) of every leaf of a settings dump."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{key}.{k}" if key else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{key}[{i}]")
    else:
        yield key, node


@pytest.mark.parametrize(("text", "shown"), [
    ("", {"deadlines.email": "24h", "deadlines.social": "1h"}),
    ("[deadlines]\nemail = '1d'\nsocial = '3h'\nwarn_before = { email = '90s' }\n"
     "next_response = { email = '2d' }\n[scheduler]\njitter = 0.25\nsweep_interval = '1w'\n",
     {"deadlines.email": "24h", "deadlines.social": "3h", "deadlines.warn_before.email": "90s",
      "deadlines.next_response.email": "2d", "scheduler.jitter": "0.25s",
      "scheduler.sweep_interval": "7d"}),
    (EXAMPLE.read_text(encoding="utf-8"), {})], ids=["defaults", "custom", "example"])
def test_check_config_prints_durations_the_config_file_reads_back(
        tmp_path: Path, text: str, shown: dict[str, str]) -> None:
    """``triage check-config`` prints each duration as the file writes it (``24h``, not
    ``P1D``), so the printed settings, pasted back, load as the same settings."""
    p = write(tmp_path, text)
    env = {e: "x" for _, e in secret_keys(load_settings(p, {}, check_secrets=False))}
    s = load_settings(p, env)
    dumped = masked_dump(s, env)
    dumped.pop("resolved")
    assert settings_from_mapping(dumped).model_dump() == s.model_dump()
    printed = dict(_leaves(dumped))
    durations = [(k, v) for k, v in _leaves(s.model_dump()) if isinstance(v, timedelta)]
    assert len(durations) > 20
    for key, value in durations:
        assert isinstance(printed[key], str) and parse_duration(printed[key]) == value, key
    assert {k: printed[k] for k in shown} == shown


def test_format_duration_is_read_back_exactly() -> None:
    for text in ("0s", "0.5s", "0.000001s", "90s", "15m", "3h", "24h", "2d", "1000000d",
                 "36h", "61s", "1.25s", "1000001s"):
        d = parse_duration(text)
        assert parse_duration(format_duration(d)) == d, text
    assert [format_duration(parse_duration(t)) for t in ("1d", 86400, "60m", "2d", 1.5)] \
        == ["24h", "24h", "1h", "2d", "1.5s"]
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(seconds=-1))
