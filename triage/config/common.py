"""Settings used in more than one place: retries with backoff, and an SMTP server.

Each is declared once, with one set of defaults: ``[scheduler.retry]``, ``[send.retry]`` and
``[notifications.retry]`` are all :class:`RetrySettings`; ``[send.smtp]`` and
``[notifications.smtp]`` are both :class:`SmtpSettings`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from triage.config.values import Duration, Section, is_loopback


class RetrySettings(Section):
    """Capped exponential backoff: the first retry waits ``base``, each next one twice as
    long, never more than ``max``; after ``max_attempts`` attempts the work is given up."""

    max_attempts: int = Field(
        8, ge=1, description="Attempts before the work is given up and marked failed (a reply, "
        "a notice). A failing source is never given up: it is polled again every 'max'.")
    base: Duration = Field(
        timedelta(seconds=30), description="First retry delay; doubles per attempt.")
    max: Duration = Field(timedelta(minutes=30), description="Longest retry delay.")


class SmtpSettings(Section):
    """An SMTP server mail goes out through. The server's certificate is always verified
    (STARTTLS and SSL), against the system CAs or ``ca_file``."""

    host: str = Field("127.0.0.1", description="SMTP server host (the name its certificate "
                      "is checked against).")
    port: int = Field(25, ge=1, le=65535, description="SMTP server port (587 starttls, 465 ssl).")
    tls: Literal["none", "starttls", "ssl"] = Field(
        "starttls", description="none (plain, loopback relays only), starttls (refused when the "
        "server does not offer it), or ssl.")
    ca_file: str = Field(
        "", description="CA bundle (PEM) to verify the server certificate with, for a private "
        "CA (empty: the system CAs); relative to the config file.")
    username: str = Field("", description="SMTP user name (empty: no AUTH).")
    password_env: str = Field(
        "", description="Environment variable holding the SMTP password.")
    timeout: Duration = Field(timedelta(seconds=30), description="Network timeout per send.")

    @model_validator(mode="after")
    def _no_plain_password_over_the_network(self) -> SmtpSettings:
        if self.tls == "none" and (self.username or self.password_env) \
                and not is_loopback(self.host):
            raise ValueError(
                f"tls = 'none' would send the SMTP login to {self.host} in plain text; use "
                "tls = 'starttls' (port 587) or 'ssl' (port 465), or a relay on 127.0.0.1")
        return self
