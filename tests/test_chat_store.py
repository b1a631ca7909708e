"""The chat channels' store aggregate on SQLite and PostgreSQL: token pairs replaced only by
the holder of the current version, webhook deliveries kept once and read in order, the time a
customer last wrote."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.chat_helpers import real_now
from triage.clock import FrozenClock
from triage.mail.threads import assign_threads
from triage.sources.chat import chat_message
from triage.store import channel_state as cs
from triage.store.store import Ingest, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    clock = real_now()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 't.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    st = Store.open(url, clock)
    yield st
    st.close()


def test_token_pairs_are_seeded_once_and_replaced_by_one_writer(store: Store) -> None:
    first = cs.seed_token_pair(store, "oa", "access-1", "refresh-1")
    assert (first.access_token, first.version) == ("access-1", 1)
    assert cs.seed_token_pair(store, "oa", "access-1", "refresh-1") == first  # no reseed
    when = store.clock.now() + timedelta(hours=25)
    assert cs.replace_token_pair(store, "oa", 1, "access-2", "refresh-2", when)
    assert not cs.replace_token_pair(store, "oa", 1, "access-x", "refresh-x", when)  # too late
    kept = cs.token_pair(store, "oa")
    assert kept is not None and (kept.access_token, kept.version) == ("access-2", 2)
    assert kept.expires_at == when
    # the environment still holds the first pair: the refreshed chain is kept
    assert cs.seed_token_pair(store, "oa", "access-1", "refresh-1").access_token == "access-2"
    # a new refresh token in the environment (re-authorised) starts a new chain
    fresh = cs.seed_token_pair(store, "oa", "access-9", "refresh-9")
    assert (fresh.access_token, fresh.version) == ("access-9", 3)
    assert "access" not in repr(fresh)


def test_webhook_deliveries_are_kept_once_read_in_order_and_dropped(store: Store) -> None:
    ids = [cs.add_webhook_event(store, "fb", b'{"n": %d}' % i) for i in range(3)]
    assert None not in ids and cs.add_webhook_event(store, "fb", b'{"n": 1}') is None
    assert cs.add_webhook_event(store, "wa", b'{"n": 1}') is not None  # another source
    got = cs.webhook_events_after(store, "fb", ids[0], 10)
    assert [(i, p) for i, p, _ in got] == [(ids[1], b'{"n": 1}'), (ids[2], b'{"n": 2}')]
    assert cs.drop_webhook_events(store, "fb", ids[1], store.clock.now()) == 0  # too recent
    later = store.clock.now() + timedelta(days=1)
    assert cs.drop_webhook_events(store, "fb", ids[1], later) == 2
    assert cs.webhook_event_count(store, "fb") == 1 and cs.webhook_event_count(store) == 2


def test_last_customer_message_ignores_our_own(store: Store) -> None:
    clock = store.clock
    assert isinstance(clock, FrozenClock)
    now = clock.now()
    store.ensure_source("tg", "telegram")

    def msg(n: int, sender: str, ago: timedelta, own: bool = False) -> Ingest:
        p = chat_message(message_id=f"telegram:1:5:{n}", sender=sender, sender_name="",
                         text="hi", received_at=now - ago, thread="telegram:1:chat:5",
                         to="telegram:bot:1", private=True, own=own)
        return Ingest(str(n), b"{}", p)

    store.add_items("tg", [msg(1, "telegram:5", timedelta(hours=3)),
                           msg(2, "telegram:5", timedelta(hours=2)),
                           msg(3, "telegram:5", timedelta(minutes=1), own=True),
                           msg(4, "telegram:6", timedelta(minutes=5))], {}, channel="social",
                    threader=assign_threads)
    assert cs.last_customer_message_at(store, "tg", "telegram:5") == now - timedelta(hours=2)
    assert cs.last_customer_message_at(store, "tg", "telegram:7") is None
