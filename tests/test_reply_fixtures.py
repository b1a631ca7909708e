"""The reply-extraction table test: every case of tests/mail_fixtures/cases, parsed as triage
parses mail, must give exactly the expected customer text (whitespace aside).

The cases cover the clients and languages of issue #15; docs/benchmarks.md has the accuracy
per language and client (``python bench/reply_parsers.py``).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from tests.mail_fixtures.score import Case, load_cases, normalise
from triage.mail.parse import parse_email

CASES = load_cases()
LANGUAGES = {"en", "vi", "id", "tl", "zh", "ja", "ko", "th", "ms", "de", "fr", "es", "pt", "it",
             "nl", "pl", "ru", "sv", "da", "no"}
CLIENTS = {"gmail", "outlook", "outlookweb", "ios", "thunderbird", "yahoo", "samsung", "yandex",
           "mailru", "windowsmail", "zoho", "lark", "android"}


def test_the_table_covers_the_clients_and_languages() -> None:
    assert len(CASES) >= 200
    langs = Counter(c.lang for c in CASES)
    assert set(langs) >= LANGUAGES and all(langs[lang] >= 10 for lang in LANGUAGES)
    assert {c.client for c in CASES} >= CLIENTS
    assert sum(c.forward for c in CASES) >= 40
    assert sum("html" in c.name for c in CASES) >= 80


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_extracted_text_is_the_customers(case: Case) -> None:
    msg = parse_email(case.raw, fallback_received=datetime(2024, 6, 4, tzinfo=UTC))
    assert normalise(msg.text) == normalise(case.expected), msg.text
    assert not msg.is_auto, msg.auto_reason  # no customer mail is taken for automatic mail
