"""Builds the senders the settings ask for, one per channel."""

from __future__ import annotations

from collections.abc import Mapping

from triage.clients.smtp import SmtpClient, smtp_password
from triage.config import Settings
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
        client = SmtpClient.from_settings(
            smtp, smtp_password(smtp, environ, "send.smtp.password_env"),
            settings.resolve_path(smtp.ca_file) if smtp.ca_file else None)
        senders["email"] = SmtpSender(
            client=client, from_address=settings.drafting.support_address,
            from_name=settings.drafting.team_name, on_sent=on_sent)
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
                  max_attempts=send.retry.max_attempts, retry_base=send.retry.base,
                  retry_max=send.retry.max, owner=owner, in_doubt_after=send.in_doubt_after)
