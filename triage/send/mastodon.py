"""Replies on Mastodon: ``status_post(in_reply_to_id=..., visibility=<theirs>)`` with the
customer's @mention, as the support account.

Safe to call again with the same reply: the reply's idempotency key goes to the instance as the
``Idempotency-Key`` header (Mastodon answers a repeated key with the status it already made,
for about an hour), and before posting the sender looks among the answers to the customer's post
for one of ours with the same text, which covers retries after that hour.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mastodon import Mastodon, MastodonNotFoundError

from triage.clients.mastodon import make_api, masto_call
from triage.config import MastodonSettings
from triage.errors import RateLimited, ReplyRejected, SendError
from triage.models import OutgoingReply
from triage.sources.mastodon import html_to_text

log = logging.getLogger(__name__)

VISIBILITIES = ("public", "unlisted", "private", "direct")


def status_id(in_reply_to: str | None) -> str:
    """The status id from ``mastodon:<host>:<id>`` or ``<id>``; raises ReplyRejected."""
    value = (in_reply_to or "").strip().rsplit(":", 1)[-1]
    if not value or not value.isalnum():
        raise ReplyRejected(f"cannot reply on Mastodon: {in_reply_to!r} is not a status id "
                            "(expected 'mastodon:<host>:<id>')")
    return value


def with_mention(text: str, acct: str) -> str:
    """``text`` starting with ``@acct`` (Mastodon only notifies the accounts mentioned)."""
    mention = f"@{acct}"
    words = text.split()
    if any(w.lower().rstrip(",.:;!?") == mention.lower() for w in words):
        return text
    return f"{mention} {text}"


class MastodonSender:
    """Posts approved replies as the configured account. Implements the Sender protocol."""

    def __init__(self, name: str, api: Mastodon, *, max_characters: int = 500) -> None:
        self.name = name
        self.api = api
        self.max_characters = max_characters
        self._own_id: str | None = None

    def _call(self, fn: Any, what: str, *, not_found_ok: bool = False) -> Any:
        try:
            return masto_call(fn, what, None, error=SendError, not_found_ok=not_found_ok)
        except RateLimited as exc:
            raise SendError(f"{exc}; retry after {exc.reset_at}") from None

    def send(self, reply: OutgoingReply) -> str:
        """Post ``reply`` under ``reply.in_reply_to``; return the new status's id.

        The visibility is the customer's (a direct message gets a direct answer) unless
        ``reply.extra["visibility"]`` says otherwise. Raises ReplyRejected (deleted post, too
        long, bad visibility) or SendError (rate limit, instance or network down: retry).
        """
        target = status_id(reply.in_reply_to)
        what = f"mastodon {self.name}: reply to {target}"
        try:
            parent = self._call(lambda: self.api.status(target), what, not_found_ok=True)
        except MastodonNotFoundError:
            raise ReplyRejected(f"{what}: the post was deleted or is not visible to us") \
                from None
        visibility = reply.extra.get("visibility") or str(parent.get("visibility") or "public")
        if visibility not in VISIBILITIES:
            raise ReplyRejected(f"{what}: unknown visibility {visibility!r}; use one of "
                                f"{', '.join(VISIBILITIES)}")
        text = with_mention(reply.text.strip(), str(parent["account"]["acct"]))
        if len(text) > self.max_characters:
            raise ReplyRejected(f"{what}: {len(text)} of {self.max_characters} characters "
                                "(with the @mention); shorten it")
        existing = self.existing_reply(target, text)
        if existing is not None:
            log.info("%s: already posted as %s; not posting again", what, existing)
            return existing
        try:
            status = self._call(lambda: self.api.status_post(
                text, in_reply_to_id=target, visibility=visibility,
                idempotency_key=reply.idempotency_key), what, not_found_ok=True)
        except MastodonNotFoundError:
            raise ReplyRejected(f"{what}: the post was deleted meanwhile") from None
        log.info("%s: posted %s (%s)", what, status["id"], visibility)
        return str(status["id"])

    def sent_copy(self, reply: OutgoingReply, since: datetime) -> str | None:
        """Whether ``reply`` is among the answers to the customer's post: our status's id, or
        None when it is not there (or the post is gone, so sending again would be refused).
        ``since`` is unused: the answers to a post are all listed. Raises SendError."""
        target = status_id(reply.in_reply_to)
        try:
            parent = self._call(lambda: self.api.status(target),
                                f"mastodon {self.name}: status {target}", not_found_ok=True)
        except MastodonNotFoundError:
            return None
        text = with_mention(reply.text.strip(), str(parent["account"]["acct"]))
        return self.existing_reply(target, text)

    def own_id(self) -> str:
        """The id of the account we post as (asked once)."""
        if self._own_id is None:
            me = self._call(self.api.account_verify_credentials,
                            f"mastodon {self.name}: verify_credentials")
            self._own_id = str(me["id"])
        return self._own_id

    def existing_reply(self, target: str, text: str) -> str | None:
        """Our status that already answers ``target`` with ``text``, if there is one."""
        own = self.own_id()
        try:
            ctx = self._call(lambda: self.api.status_context(target),
                             f"mastodon {self.name}: context of {target}", not_found_ok=True)
        except MastodonNotFoundError:
            return None
        want = " ".join(text.split())
        for st in ctx.get("descendants") or []:
            if str(st.get("in_reply_to_id")) == target and \
                    str((st.get("account") or {}).get("id")) == own and \
                    " ".join(html_to_text(str(st.get("content") or "")).split()) == want:
                return str(st["id"])
        return None


def build_mastodon_sender(settings: MastodonSettings, environ: Mapping[str, str], *,
                          session: Any = None) -> MastodonSender:
    """Build the sender of a Mastodon source; raises MissingSecretError without a token."""
    return MastodonSender(settings.name, make_api(settings, environ, session=session),
                          max_characters=settings.max_characters)
