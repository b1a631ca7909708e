"""The sender of the ``social`` channel: hands each reply to the sender of the source the
customer's post came from (``OutgoingReply.source``), built on first use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from triage.config import MastodonSettings, Settings, XSettings
from triage.errors import ConfigError, ReplyRejected, SendError
from triage.models import OutgoingReply, Sender

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
                raise ReplyRejected(f"no X or Mastodon source named {reply.source!r} to reply "
                                    f"through (configured: {known})")
            try:
                sender = factory()
            except ConfigError as exc:
                raise ReplyRejected(f"source {reply.source!r} cannot post replies: {exc}") \
                    from None
            self._built[reply.source] = sender
        return sender


def build_social_sender(settings: Settings, environ: Mapping[str, str]) -> SocialSender:
    """Return the sender for every X and Mastodon source in ``settings``."""
    from triage.send.mastodon import build_mastodon_sender
    from triage.send.x import build_x_sender

    factories: dict[str, Callable[[], Sender]] = {}
    for src in settings.sources:
        if isinstance(src, XSettings):
            factories[src.name] = lambda s=src: build_x_sender(s, environ)
        elif isinstance(src, MastodonSettings):
            factories[src.name] = lambda s=src: build_mastodon_sender(s, environ)
    return SocialSender(factories)
