"""The sender of the ``social`` channel: hands each reply to the sender of the source the
customer's post or chat message came from (``OutgoingReply.source``), built on first use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from triage.config import MastodonSettings, Settings, XSettings
from triage.config.channels import (
    ChatSettings,
    FacebookSettings,
    TelegramSettings,
    ZaloSettings,
)
from triage.errors import ConfigError, ReplyRejected, SendError
from triage.models import OutgoingReply, Sender
from triage.send.window import store_last_seen
from triage.store.store import Store

log = logging.getLogger(__name__)


class SocialSender:
    """Dispatches replies by source name. Implements the Sender protocol."""

    def __init__(self, factories: Mapping[str, Callable[[], Sender]]) -> None:
        self.factories = dict(factories)
        self._built: dict[str, Sender] = {}

    def send(self, reply: OutgoingReply) -> str:
        """Send through the reply's source; raises ReplyRejected for an unknown source or a
        source that cannot post (its credentials are read-only), else what that sender raises.
        """
        return self._sender(reply).send(reply)

    def sent_copy(self, reply: OutgoingReply, since: datetime) -> str | None:
        """Ask the reply's source whether ``reply`` (claimed at ``since``) is out: its remote
        id, or None when it is provably not. Raises SendError when that cannot be told."""
        try:
            sender = self._sender(reply)
        except ReplyRejected as exc:
            raise SendError(f"cannot check: {exc}") from None
        check = getattr(sender, "sent_copy", None)
        if check is None:
            raise SendError(f"source {reply.source!r} cannot check its earlier replies")
        result: str | None = check(reply, since)
        return result

    def _sender(self, reply: OutgoingReply) -> Sender:
        sender = self._built.get(reply.source)
        if sender is None:
            factory = self.factories.get(reply.source)
            if factory is None:
                known = ", ".join(sorted(self.factories)) or "none"
                raise ReplyRejected(f"no X, Mastodon or chat source named {reply.source!r} to "
                                    f"reply through (configured: {known})")
            try:
                sender = factory()
            except ConfigError as exc:
                raise ReplyRejected(f"source {reply.source!r} cannot post replies: {exc}") \
                    from None
            self._built[reply.source] = sender
        return sender


def build_social_sender(settings: Settings, environ: Mapping[str, str],
                        store: Store | None = None) -> SocialSender:
    """Return the sender for every X, Mastodon and chat source in ``settings``.

    The chat senders need ``store``: the reply windows count from the customer's last stored
    message, and Zalo's refreshed tokens are kept there.
    """
    from triage.send.mastodon import build_mastodon_sender
    from triage.send.x import build_x_sender

    factories: dict[str, Callable[[], Sender]] = {}
    for src in settings.sources:
        if isinstance(src, XSettings):
            factories[src.name] = lambda s=src: build_x_sender(s, environ)
        elif isinstance(src, MastodonSettings):
            factories[src.name] = lambda s=src: build_mastodon_sender(s, environ)
        elif isinstance(src, ChatSettings):
            factories[src.name] = lambda s=src: build_chat_sender(s, environ, store)
    return SocialSender(factories)


def build_chat_sender(settings: ChatSettings, environ: Mapping[str, str],
                      store: Store | None) -> Sender:
    """The sender of one Telegram, Facebook, Zalo or WhatsApp source.

    Raises ConfigError (a secret is unset, or no store to read the reply window from).
    """
    from triage.send.telegram import build_telegram_sender

    if isinstance(settings, TelegramSettings):
        return build_telegram_sender(settings, environ)
    if store is None:
        raise ConfigError(f"source {settings.name!r} needs the store to check reply windows")
    from triage.send.facebook import build_facebook_sender
    from triage.send.whatsapp import build_whatsapp_sender
    from triage.send.zalo import build_zalo_sender

    last_seen = store_last_seen(store)
    if isinstance(settings, FacebookSettings):
        return build_facebook_sender(settings, environ, last_seen=last_seen)
    if isinstance(settings, ZaloSettings):
        return build_zalo_sender(settings, environ, store=store, last_seen=last_seen)
    return build_whatsapp_sender(settings, environ, last_seen=last_seen)
