"""Builds the senders the settings ask for, one per channel."""

from __future__ import annotations

from collections.abc import Mapping

from triage.config import Settings
from triage.errors import MissingSecretError
from triage.send.base import Sender
from triage.send.log import LogSender
from triage.send.smtp import SentHook, SmtpSender


def build_senders(settings: Settings, environ: Mapping[str, str],
                  on_sent: SentHook | None = None) -> dict[str, Sender]:
    """Return ``{channel: sender}``: SMTP (or log-only) for email; X/Mastodon by source.

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

    senders["social"] = build_social_sender(settings, environ)
    return senders
