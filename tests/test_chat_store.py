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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_private_column_is_filled_in_for_chats_stored_before_it(
        backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Migration 0017 marks old Messenger, Zalo, WhatsApp and Telegram private-chat rows
    private from their message ids; comments, groups, X and e-mail stay public."""
    import sqlalchemy as sa
    from alembic import command

    from triage.store.db import alembic_config, make_engine

    url = (f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
    cfg = alembic_config()
    ids = {"messenger": "facebook:9:dm:201:m.1", "comment": "facebook:9:comment:5:6",
           "zalo": "zalo:7:u1:z.1", "whatsapp": "whatsapp:5:628:wamid.1",
           "tg_private": "telegram:42:77:5", "tg_group": "telegram:42:-1001:6",
           "x": "x:123", "email": "<a@example.com>"}
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0016_learning_indexes")
        m = sa.Table("messages", sa.MetaData(), autoload_with=conn)
        now = real_now().now()
        for n, (name, mid) in enumerate(ids.items()):
            conn.execute(m.insert().values(
                source="s", external_id=str(n), message_id=mid,
                channel="email" if name == "email" else "social", received_at=now,
                ingested_at=now, sender="c", sender_name="", recipients=[], cc=[],
                defects=[], subject="", text="", full_text="", references=[],
                attachments=[], is_auto=False, raw_sha256="", backfill=False, status="new"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        m = sa.Table("messages", sa.MetaData(), autoload_with=conn)
        got = {r.message_id: r.private for r in conn.execute(sa.select(m))}
    engine.dispose()
    assert {name for name, mid in ids.items() if got[mid]} == {
        "messenger", "zalo", "whatsapp", "tg_private"}
