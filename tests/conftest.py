"""Shared fixtures: a trained model (once per session), settings, an app on a temp store."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from classifiers.modelfile import load_model
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.modelstore import ensure_bundled_model
from triage.services import App

pytest_plugins = [
    "tests.fixtures_deadlines",
    "tests.fixtures_social",
    "tests.fixtures_web",
    "tests.fixtures_imap",
    "tests.fixtures_ops",
]

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)



@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real model trained from the bundled corpus, once per test session."""
    return ensure_bundled_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def classifier(model_path: Path):  # type: ignore[no-untyped-def]
    """The loaded real classifier."""
    return load_model(model_path)


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at a fixed Friday morning."""
    return FrozenClock(NOW)


def make_email(subject: str = "Order late", body: str = "Where is my order #123?",
               sender: str = "Ann Lee <ann@example.com>", msgid: str | None = "<m1@example.com>",
               when: datetime | None = None, **headers: str) -> bytes:
    """Build a simple RFC 5322 message as bytes (dated ``when``, else 20 Nov 2026 08:00 UTC);
    each keyword header's ``_`` becomes ``-`` (``In_Reply_To``)."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "support@example.com"
    m["Subject"] = subject
    m["Date"] = format_datetime(when) if when else "Fri, 20 Nov 2026 08:00:00 +0000"
    if msgid:
        m["Message-ID"] = msgid
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body)
    return bytes(m)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    """An empty Maildir."""
    p = tmp_path / "Maildir"
    mailbox.Maildir(str(p), create=True).close()
    return p


def add_to_maildir(path: Path, raw: bytes) -> str:
    """Deliver ``raw`` into the Maildir at ``path``; return its key."""
    box = mailbox.Maildir(str(path), create=False)
    key = box.add(raw)
    box.close()
    return key


@pytest.fixture
def app(tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock) -> App:
    """An App on a fresh SQLite store, polling one Maildir, with the real model."""
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path)},
        "sources": [{"name": "inbox", "type": "maildir", "path": str(maildir)}],
    })
    a = App(settings, clock=clock, environ={})
    yield a
    a.store.close()


def copy_model(model: Any, version: str) -> Any:
    """A copy of a loaded ``TriageClassifier`` under another version name (registry tests)."""
    from dataclasses import replace

    from classifiers.model import TriageClassifier

    return TriageClassifier(model.pipeline, replace(model.meta, version=version),
                            language_model=model.language_model)


@pytest.fixture
def registry(tmp_path: Path, clock: FrozenClock) -> Iterator[Any]:
    """A model registry on a fresh SQLite store (models under ``tmp_path/models``)."""
    from classifiers.registry import ModelRegistry
    from triage.store.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'triage.db'}", clock)
    yield ModelRegistry(store, tmp_path / "models")
    store.close()
