"""A Zalo Official Account: recent chats and their messages polled through the OA Open API,
and/or the OA webhook's deliveries.

Cursor: ``{"poll": {"since": ms}, "event_id": N}``. A poll pages through the recent chats
(newest first, ``offset``/``count`` of at most 10) down to ``since``, then reads each of those
users' conversation back to ``since``; ``since`` moves to the newest message time only when
the sweep finished, the boundary millisecond is read again, and the store drops what it
already has (Zalo's message id is the external id, whether polled or delivered by webhook).
The first poll reads back ``backfill`` (24 h) only.

The OA's token pair lives in the store (``triage.store.channel_state``): the pair from the
environment seeds it, each refresh replaces it, and a new refresh token put in the
environment (after re-authorising the app) starts a new chain.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from triage.clients.zalo import Tokens, ZaloApi
from triage.clock import Clock, SystemClock
from triage.config.channels import ZaloSettings
from triage.errors import MissingSecretError, SourceError
from triage.models import ParsedMessage, RawItem
from triage.sources.chat import SweepSource, chat_message, from_epoch, item, unreadable
from triage.store import channel_state
from triage.store.store import Store

log = logging.getLogger(__name__)

MAX_CHAT_PAGES = 20
"""Recent-chat pages read per poll at most (200 chats); older chats wait for the next poll."""


class StoreTokens:
    """The OA's token pair kept in the triage store (Zalo's :class:`TokenStore`)."""

    def __init__(self, store: Store, source: str, access_token: str,
                 refresh_token: str) -> None:
        self.store = store
        self.source = source
        self._env = (access_token, refresh_token)

    def current(self) -> Tokens:
        """The stored pair, seeded from the environment's on first use."""
        return channel_state.seed_token_pair(self.store, self.source, *self._env)

    def replace(self, old_version: int, access_token: str, refresh_token: str,
                expires_at: datetime | None) -> bool:
        """Keep a refreshed pair unless another process refreshed first."""
        return channel_state.replace_token_pair(self.store, self.source, old_version,
                                                access_token, refresh_token, expires_at)


def env_secret(settings: Any, key: str, environ: Mapping[str, str]) -> str:
    """The secret named by ``settings.<key>``; raises MissingSecretError when it is unset."""
    env = getattr(settings, key)
    value = environ.get(env, "") if env else ""
    if not value:
        raise MissingSecretError(f"environment variable {env} is not set",
                                 key=f"sources.{settings.name}.{key}",
                                 fix=f"export {env} or put it in .env")
    return value


def zalo_api(settings: ZaloSettings, environ: Mapping[str, str], store: Store,
             clock: Clock) -> ZaloApi:
    """The OA client of a zalo source, its tokens kept in ``store``.

    Raises MissingSecretError when a secret variable is unset.
    """
    tokens = StoreTokens(store, settings.name, env_secret(settings, "access_token_env", environ),
                         env_secret(settings, "refresh_token_env", environ))
    return ZaloApi(app_id=settings.app_id,
                   app_secret=env_secret(settings, "app_secret_env", environ), tokens=tokens,
                   base_url=settings.api_base_url, oauth_base_url=settings.oauth_base_url,
                   timeout=settings.request_timeout.total_seconds(), clock=clock)


def zalo_message(oa_id: str, user_id: str, msg_id: str, text: str, when: datetime, *,
                 name: str = "", own: bool = False) -> ParsedMessage:
    """A message between the OA and ``user_id`` (``own``: sent by the OA)."""
    customer, oa = f"zalo:{user_id}", f"zalo:oa:{oa_id}"
    return chat_message(
        message_id=f"zalo:{oa_id}:{user_id}:{msg_id}", sender=oa if own else customer,
        sender_name=name, text=text, received_at=when, thread=f"zalo:{oa_id}:user:{user_id}",
        to=customer if own else oa, own=own, private=True)


def _text(m: Mapping[str, Any]) -> str:
    text = m.get("message") if isinstance(m.get("message"), str) else m.get("text")
    if text:
        return str(text)
    kind = str(m.get("type") or "")
    if kind:
        return f"({kind})"
    raise ValueError("no text and no type")


class ZaloOA(SweepSource):
    """Chats of one Official Account. Implements the Source protocol."""

    type = "zalo"

    def __init__(self, name: str, oa_id: str, make_api: Callable[[Store], ZaloApi], *,
                 clock: Clock, poll: bool = True, webhook: bool = False, page_size: int = 10,
                 backfill_seconds: float = 86400.0) -> None:
        super().__init__(name, clock)
        self.oa_id = oa_id
        self.make_api = make_api
        self.api: ZaloApi | None = None
        self.poll = poll
        self.webhook = webhook
        self.page_size = page_size
        self.backfill_seconds = backfill_seconds

    def bind_store(self, store: Store) -> None:
        """The store keeps the tokens and the webhook deliveries; the client is built here."""
        super().bind_store(store)
        if self.api is None:
            self.api = self.make_api(store)

    def sweep(self, cursor: dict[str, Any]) -> tuple[list[RawItem], dict[str, Any]]:
        """Webhook deliveries, then (when polling) the messages since the cursor."""
        items: list[RawItem] = []
        if self.webhook:
            items += self.sweep_events(cursor, self.parse_delivery)
        if self.poll and not self.events_only:
            if self.api is None:
                raise SourceError(f"zalo {self.name}: no store bound (tokens live there)")
            poll = dict(cursor.get("poll") or {})
            start = int((self.clock.now() - timedelta(seconds=self.backfill_seconds))
                        .timestamp() * 1000)
            try:
                poll["since"] = self._poll(int(poll.get("since") or start), items)
                cursor["poll"] = poll
            except SourceError as exc:  # a rate limit, or a polling failure
                if not items:
                    raise
                self.defer(exc)
        log.info("zalo %s: %d item(s)", self.name, len(items))
        return items, cursor

    def _poll(self, since: int, items: list[RawItem]) -> int:
        assert self.api is not None
        users: list[str] = []
        newest = since
        for page in range(MAX_CHAT_PAGES):
            chats = self.api.recent_chats(page * self.page_size, self.page_size)
            old = False
            for m in chats:
                try:
                    t = int(m.get("time") or since)
                except (TypeError, ValueError):
                    t = since  # unreadable time: read that chat (the store drops doubles)
                if t < since:
                    old = True
                    break
                newest = max(newest, t)
                user = self._user_of(m)
                if user and user not in users:
                    users.append(user)
            if old or len(chats) < self.page_size:
                break
        for user in users:
            offset = 0
            while True:
                msgs = self.api.conversation(user, offset, self.page_size)
                done = False
                for m in msgs:
                    got = self._item(m, user)
                    if got.received_at is not None and \
                            got.received_at.timestamp() * 1000 < since:
                        done = True
                        break
                    items.append(got)
                if done or len(msgs) < self.page_size:
                    break
                offset += self.page_size
        return newest

    def _user_of(self, m: Mapping[str, Any]) -> str:
        from_id, to_id = str(m.get("from_id") or ""), str(m.get("to_id") or "")
        return to_id if from_id == self.oa_id else from_id

    def _item(self, m: Mapping[str, Any], user: str) -> RawItem:
        raw = json.dumps(m, ensure_ascii=False, sort_keys=True).encode()
        mid = str(m.get("message_id") or "")
        try:
            own = str(m.get("from_id")) == self.oa_id or (
                "from_id" not in m and int(m["src"]) == 0)
            name = "" if own else str(m.get("from_display_name") or "")
            parsed = zalo_message(self.oa_id, user, mid, _text(m),
                                  from_epoch(m["time"], millis=True), name=name, own=own)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            return unreadable(mid or None, raw, self.clock.now(),
                              f"zalo message {mid}: unreadable ({type(exc).__name__}: {exc})")
        return item(mid, raw, parsed)

    def parse_delivery(self, payload: bytes, received: datetime) -> list[RawItem]:
        """The message of one webhook delivery (``user_send_*``; ``oa_send_*`` are ours;
        follows, reads and the rest are skipped)."""
        ev = json.loads(payload)
        name = str(ev.get("event_name") or "")
        own = name.startswith("oa_send_")
        if not (name.startswith("user_send_") or own):
            return []
        msg = ev.get("message") or {}
        user = str((ev["recipient"] if own else ev["sender"])["id"])
        mid = str(msg["msg_id"])
        text = msg.get("text") or f"({name.rsplit('_', 1)[-1]})"
        parsed = zalo_message(self.oa_id, user, mid, str(text),
                              from_epoch(ev.get("timestamp") or received.timestamp() * 1000,
                                         millis=True), own=own)
        return [item(mid, json.dumps(ev, ensure_ascii=False, sort_keys=True).encode(), parsed)]


def build(settings: ZaloSettings, environ: Mapping[str, str],
          resolve: Callable[[str], Path], *, clock: Clock | None = None) -> ZaloOA:
    """Build the zalo source of one ``[[sources]]`` entry (the source table calls this).

    The client is made when the pipeline binds the store; missing secrets are reported now
    (MissingSecretError).
    """
    clock = clock or SystemClock()
    if settings.poll:
        for key in ("access_token_env", "refresh_token_env", "app_secret_env"):
            env_secret(settings, key, environ)
    return ZaloOA(settings.name, settings.oa_id,
                  lambda store: zalo_api(settings, environ, store, clock), clock=clock,
                  poll=settings.poll, webhook=settings.webhook, page_size=settings.page_size,
                  backfill_seconds=settings.backfill.total_seconds())
