"""Configuration: every mistake stops start-up with file, key and fix; docs cover every key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from triage.config import (
    MaildirSource,
    Settings,
    load_settings,
    masked_dump,
    parse_duration,
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
    for model in (MaildirSource,):
        tag = model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        assert tag in types, f"no example [[sources]] of type {tag}"
        for name in model.model_fields:
            assert name in types[tag] or re.search(rf"^#?\s*{name}\s*=", text, re.M), \
                f"example source {tag} lacks '{name}'"


def test_example_documents_acknowledgement_rules() -> None:
    from triage.config import AckRule

    rules = tomllib.loads(EXAMPLE.read_text(encoding="utf-8")).get("acknowledgements", [])
    assert rules, "no example [[acknowledgements]] rule"
    for name in AckRule.model_fields:
        assert name in rules[0], f"example acknowledgement rule lacks '{name}'"
    assert not any(r.get("enabled") for r in rules), "the example must not enable auto-acks"


def test_example_is_valid(tmp_path: Path) -> None:
    s = load_settings(EXAMPLE, {})
    assert s.deadlines.email.total_seconds() == 86400
