"""Fixtures starting the local X API v2, Mastodon and chat platform servers (see
tests/fake_x.py, tests/fake_mastodon.py, tests/fake_telegram.py, tests/fake_meta.py and
tests/fake_zalo.py).

These are the only fakes in the suite: real HTTP on 127.0.0.1, real tweepy and Mastodon.py on
the client side. Both count every request, keep a rate window (limit, remaining, reset taken
from an injected clock so tests can move time), and can be told to fail requests with a
status code or a malformed body.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_mastodon import OWN_MASTO_ID, FakeMastodon
from tests.fake_meta import FakeMeta
from tests.fake_telegram import FakeTelegram
from tests.fake_x import OWN_X_HANDLE, OWN_X_ID, FakeX
from tests.fake_zalo import FakeZalo
from triage.clock import FrozenClock

__all__ = ["OWN_MASTO_ID", "OWN_X_HANDLE", "OWN_X_ID", "FakeMastodon", "FakeMeta",
           "FakeTelegram", "FakeX", "FakeZalo"]


@pytest.fixture
def fake_x(clock: FrozenClock) -> Iterator[FakeX]:
    """A fake X API v2 on 127.0.0.1, on the test's clock."""
    srv = FakeX(clock)
    yield srv
    srv.stop()


@pytest.fixture
def fake_mastodon(clock: FrozenClock) -> Iterator[FakeMastodon]:
    """A fake Mastodon instance on 127.0.0.1, on the test's clock."""
    srv = FakeMastodon(clock)
    yield srv
    srv.stop()


@pytest.fixture
def fake_telegram(clock: FrozenClock) -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API on 127.0.0.1 (tests/fake_telegram.py)."""
    srv = FakeTelegram(clock)
    yield srv
    srv.stop()


@pytest.fixture
def fake_meta(clock: FrozenClock) -> Iterator[FakeMeta]:
    """A fake Graph API (Facebook Page and WhatsApp number) on 127.0.0.1."""
    srv = FakeMeta(clock)
    yield srv
    srv.stop()


@pytest.fixture
def fake_zalo(clock: FrozenClock) -> Iterator[FakeZalo]:
    """A fake Zalo OA Open API and OAuth server on 127.0.0.1."""
    srv = FakeZalo(clock)
    yield srv
    srv.stop()
