"""Builds the senders the settings ask for, one per channel."""

from __future__ import annotations

from collections.abc import Mapping

from triage.config import Settings
from triage.errors import MissingSecretError
from triage.models import Sender
from triage.send.log import LogSender
from triage.send.outbox import Outbox
from triage.send.smtp import SentHook, SmtpSender
from triage.store.store import Store


def build_senders(settings: Settings, environ: Mapping[str, str],
                  on_sent: SentHook | None = None, store: Store | None = None,
                  ) -> dict[str, Sender]:
    """Return ``{channel: sender}``: SMTP (or log-only) for email; X, Mastodon and the chat
    channels by source (these need ``store`` for reply windows and refreshed tokens).

    Raises MissingSecretError when the SMTP password variable is named but not set.
    """
    send = settings.send
    senders: dict[str, Sender] = {}
    if send.email == "smtp":
        smtp = send.smtp
        password = ""
        if smtp.password_env:
            password = environ.get(smtp.password_env, "")
            if not password:
                raise MissingSecretError(
                    f"environment variable {smtp.password_env} is not set",
                    key="send.smtp.password_env", fix="export it or put it in .env")
        senders["email"] = SmtpSender(
            host=smtp.host, port=smtp.port, tls=smtp.tls,
            from_address=settings.drafting.support_address,
            from_name=settings.drafting.team_name, username=smtp.username, password=password,
            timeout=smtp.timeout.total_seconds(), on_sent=on_sent)
    else:
        senders["email"] = LogSender()
    from triage.send.social import build_social_sender  # imported late: pulls in tweepy

    senders["social"] = build_social_sender(settings, environ, store)
    return senders


def build_outbox(store: Store, settings: Settings, environ: Mapping[str, str], *,
                 owner: str, on_sent: SentHook | None = None) -> Outbox:
    """Return the outbox with the senders ``[send]`` asks for.

    ``owner`` is this process's lease/claim identity, so a dead daemon's rows are noticed;
    ``on_sent`` is called with each reply the SMTP server accepted (the Sent-folder copy).
    Lives here rather than in ``triage.web`` so the daemon can drain the outbox without
    importing the web stack (FastAPI) when the review page is off.
    """
    send = settings.send
    return Outbox(store, build_senders(settings, environ, on_sent, store),
                  max_attempts=send.max_attempts, retry_base=send.retry_base,
                  retry_max=send.retry_max, owner=owner, in_doubt_after=send.in_doubt_after)
