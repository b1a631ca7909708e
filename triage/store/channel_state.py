"""Store queries of the chat channels: refreshed token pairs, webhook deliveries waiting for
their source, and when a customer last wrote (the platforms' reply windows count from it).

Every function takes the :class:`~triage.store.store.Store` and runs one transaction. Token
values pass through here and are never logged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from triage.store import schema as s
from triage.store.base import aware
from triage.store.dberrors import store_error
from triage.store.store import Store


@dataclass(frozen=True)
class TokenPair:
    """A source's current tokens. ``version`` grows by one with each refresh."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None
    seed: str
    version: int

    def __repr__(self) -> str:  # never show a token, not even in a traceback
        return f"TokenPair(version={self.version}, expires_at={self.expires_at})"


def seed_of(refresh_token: str) -> str:
    """The fingerprint stored for a refresh token taken from the environment."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def token_pair(store: Store, source: str) -> TokenPair | None:
    """Return the stored token pair of ``source``, or None when there is none yet."""
    t = s.channel_tokens
    with store.engine.connect() as c:
        row = c.execute(select(t).where(t.c.source == source)).first()
    if row is None:
        return None
    return TokenPair(row.access_token, row.refresh_token, aware(row.expires_at), row.seed,
                     int(row.version))


def seed_token_pair(store: Store, source: str, access_token: str, refresh_token: str) -> TokenPair:
    """Store the pair from the environment unless the stored pair grew from the same seed.

    Returns the pair to use: the stored one when it descends from this refresh token (it was
    refreshed since), else the environment's (a new authorisation replaces the old chain).
    """
    seed = seed_of(refresh_token)
    current = token_pair(store, source)
    if current is not None and current.seed == seed:
        return current
    t = s.channel_tokens
    now = store.clock.now()
    values: dict[str, Any] = {"access_token": access_token, "refresh_token": refresh_token,
                              "expires_at": None, "seed": seed, "updated_at": now}
    try:
        with store.engine.begin() as c:
            if current is None:
                c.execute(insert(t).values(source=source, version=1, **values))
            else:
                c.execute(update(t).where(t.c.source == source).values(
                    version=t.c.version + 1, **values))
    except IntegrityError:  # another process seeded it at the same moment
        pass
    except SQLAlchemyError as exc:
        raise store_error(f"cannot store the tokens of source {source!r}", exc) from exc
    pair = token_pair(store, source)
    assert pair is not None
    return pair


def replace_token_pair(store: Store, source: str, old_version: int, access_token: str,
                       refresh_token: str, expires_at: datetime | None) -> bool:
    """Save a refreshed pair if the stored one is still ``old_version``; return whether it was
    saved (False: another process refreshed first; read its pair with :func:`token_pair`)."""
    t = s.channel_tokens
    try:
        with store.engine.begin() as c:
            n = c.execute(update(t).where(t.c.source == source, t.c.version == old_version)
                          .values(access_token=access_token, refresh_token=refresh_token,
                                  expires_at=expires_at, version=old_version + 1,
                                  updated_at=store.clock.now())).rowcount
    except SQLAlchemyError as exc:
        raise store_error(f"cannot store the refreshed tokens of source {source!r}", exc) \
            from exc
    return n == 1


def add_webhook_event(store: Store, source: str, payload: bytes) -> int | None:
    """Keep one verified webhook delivery for ``source``; return its id, or None when the
    same body was delivered before (platforms repeat deliveries they think were lost)."""
    key = hashlib.sha256(payload).hexdigest()
    w = s.webhook_events
    try:
        with store.engine.begin() as c:
            res = c.execute(insert(w).values(source=source, key=key, payload=payload,
                                             received_at=store.clock.now()))
            return int(res.inserted_primary_key[0])
    except IntegrityError:
        return None
    except SQLAlchemyError as exc:
        raise store_error(f"cannot store a webhook delivery for source {source!r}", exc) \
            from exc


def webhook_events_after(store: Store, source: str, after_id: int,
                         limit: int) -> list[tuple[int, bytes, datetime]]:
    """Return up to ``limit`` deliveries of ``source`` with an id above ``after_id``, oldest
    first, as ``(id, payload, received_at)``."""
    w = s.webhook_events
    with store.engine.connect() as c:
        rows = c.execute(select(w.c.id, w.c.payload, w.c.received_at)
                         .where(w.c.source == source, w.c.id > after_id)
                         .order_by(w.c.id).limit(limit)).all()
    return [(int(r.id), bytes(r.payload), aware(r.received_at) or store.clock.now())
            for r in rows]


def drop_webhook_events(store: Store, source: str, up_to_id: int, before: datetime) -> int:
    """Delete the deliveries of ``source`` with an id up to ``up_to_id`` (already read into
    messages) received before ``before``; return how many."""
    w = s.webhook_events
    try:
        with store.engine.begin() as c:
            return int(c.execute(delete(w).where(w.c.source == source, w.c.id <= up_to_id,
                                                 w.c.received_at < before)).rowcount)
    except SQLAlchemyError as exc:
        raise store_error(f"cannot drop old webhook deliveries of source {source!r}", exc) \
            from exc


def webhook_event_count(store: Store, source: str | None = None) -> int:
    """How many deliveries are kept (for ``source``, or for every source)."""
    w = s.webhook_events
    q = select(func.count()).select_from(w)
    if source is not None:
        q = q.where(w.c.source == source)
    with store.engine.connect() as c:
        return int(c.execute(q).scalar_one())


def last_customer_message_at(store: Store, source: str, sender: str) -> datetime | None:
    """When ``sender`` last wrote to ``source`` (their newest message that is not automatic),
    or None when nothing of theirs is stored."""
    m = s.messages
    with store.engine.connect() as c:
        value = c.execute(select(func.max(m.c.received_at)).where(and_(
            m.c.source == source, m.c.sender == sender, m.c.is_auto.is_(False)))).scalar()
    return aware(value)
