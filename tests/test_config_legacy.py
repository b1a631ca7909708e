"""Keys that moved in this release are still read, with a warning naming the old key, the file
and the new key; setting both is an error. Remove with triage/config/legacy.py next release."""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta
from pathlib import Path

import pytest

from triage.config import ConfigKeyDeprecation, load_settings
from triage.config.legacy import MOVED
from triage.errors import ConfigError

OLD_FILE = """
[scheduler]
backoff_base = '10s'
backoff_max = '5m'

[send]
email = 'smtp'
max_attempts = 3
retry_base = '20s'
retry_max = '2h'

[send.smtp]
host = 'mail.example.com'

[notifications]
email_to = ['lead@example.com']
smtp_host = 'relay.example.com'
smtp_port = 587
smtp_starttls = true
smtp_username = 'triage'
smtp_password_env = 'NOTIFY_PW'
max_attempts = 4
retry_base = '2m'
retry_max = '3h'
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "old.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_every_old_key_is_read_into_its_new_place(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    p = write(tmp_path, OLD_FILE)
    with pytest.warns(ConfigKeyDeprecation) as record, caplog.at_level(logging.WARNING):
        s = load_settings(p, {"NOTIFY_PW": "pw"})
    assert (s.scheduler.retry.base, s.scheduler.retry.max) == \
        (timedelta(seconds=10), timedelta(minutes=5))
    assert (s.send.retry.max_attempts, s.send.retry.base, s.send.retry.max) == \
        (3, timedelta(seconds=20), timedelta(hours=2))
    n = s.notifications
    assert (n.smtp.host, n.smtp.port, n.smtp.tls, n.smtp.username, n.smtp.password_env) == \
        ("relay.example.com", 587, "starttls", "triage", "NOTIFY_PW")
    assert (n.retry.max_attempts, n.retry.base, n.retry.max) == \
        (4, timedelta(minutes=2), timedelta(hours=3))
    assert s.send.smtp.host == "mail.example.com"  # untouched new-style table
    # one warning per old key, each naming the old key, the file and the new key
    texts = [str(w.message) for w in record]
    assert len(texts) == len(MOVED)
    for old, new, _ in MOVED:
        (hit,) = [t for t in texts if f"'{old}'" in t]
        assert str(p) in hit and f"'{new}'" in hit and "deprecated" in hit
    assert sorted(texts) == sorted(r.getMessage() for r in caplog.records
                                   if r.name == "triage.config.legacy")


def test_the_old_secret_key_is_still_required(tmp_path: Path) -> None:
    with pytest.warns(ConfigKeyDeprecation), \
            pytest.raises(ConfigError, match=r"notifications\.smtp\.password_env.*NOTIFY_PW"):
        load_settings(write(tmp_path, OLD_FILE), {})


def test_old_digest_keys_without_starttls_stay_plain(tmp_path: Path) -> None:
    """The old digest client used no TLS unless smtp_starttls = true: an old file keeps that
    (and is told how to turn TLS on), while a new file gets STARTTLS by default."""
    p = write(tmp_path, "[notifications]\nsmtp_host = 'localhost'\nsmtp_port = 2525\n")
    with pytest.warns(ConfigKeyDeprecation) as record:
        s = load_settings(p, {})
    assert s.notifications.smtp.tls == "none" and s.notifications.smtp.port == 2525
    assert any("tls = 'starttls'" in str(w.message) for w in record)
    new = load_settings(write(tmp_path, "[notifications.smtp]\nhost = 'localhost'\n"), {})
    assert new.notifications.smtp.tls == "starttls"


def test_old_and_new_key_together_is_an_error(tmp_path: Path) -> None:
    p = write(tmp_path, "[send]\nretry_base = '1s'\n[send.retry]\nbase = '2s'\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p, {})
    assert "send.retry_base" in str(e.value) and "send.retry.base" in str(e.value)
    assert str(p) in str(e.value)


def test_a_wrong_value_of_an_old_key_names_the_old_key(tmp_path: Path) -> None:
    p = write(tmp_path, "[notifications]\nsmtp_starttls = 'yes'\n")
    with pytest.raises(ConfigError, match=r"notifications\.smtp_starttls.*true or false"):
        load_settings(p, {})


def test_a_file_with_only_new_keys_gives_no_warning(tmp_path: Path) -> None:
    p = write(tmp_path, "[send.retry]\nbase = '1s'\n[notifications.smtp]\ntls = 'ssl'\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = load_settings(p, {})
    assert s.send.retry.base == timedelta(seconds=1) and s.notifications.smtp.tls == "ssl"
