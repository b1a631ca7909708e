"""Settings of the ``[[sources]]`` tables: one class per source type, on one base class.

Every source has a unique ``name``, a ``type`` (the tag that picks the class), a
``poll_interval`` and an ``enabled`` switch. A disabled source needs none of its secrets, so
an account that is configured but switched off does not stop start-up.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from triage.config.channels import CHAT_SETTINGS, ChatSettings
from triage.config.values import Duration, Section, is_loopback
from triage.models import CATEGORIES


class BaseSourceSettings(Section):
    """What every ``[[sources]]`` entry has; each source type adds its own keys."""

    name: str = Field(..., description="Unique name of the source.")
    type: str = Field(..., description="Source type.")
    poll_interval: Duration = Field(timedelta(seconds=60), description="How often to poll.")
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    def inactive_fields(self) -> frozenset[str]:
        """Every field while the source is disabled (no secret of it is then required)."""
        return frozenset(type(self).model_fields) if not self.enabled else frozenset()


class MaildirSettings(BaseSourceSettings):
    """A local Maildir, read-only (the demo inbox, or mail delivered locally)."""

    type: Literal["maildir"] = Field(..., description="Source type.")
    path: str = Field(..., description="Path of the Maildir (holding cur/ new/ tmp/).")


class XSettings(BaseSourceSettings):
    """Mentions of one X (Twitter) account, polled through the X API v2 with tweepy."""

    type: Literal["x"] = Field(..., description="Source type.")
    user_id: str = Field(
        ..., pattern=r"^[0-9]{1,20}$",
        description="Numeric id of the support account whose mentions are read "
        "(not the @handle; see docs/sources.md for how to find it).",
    )
    api_base_url: str = Field(
        "https://api.twitter.com", pattern=r"^https?://[^/?#]+(/[^?#]*)?$",
        description="Base URL of the X API (change it to go through a proxy or a test server).",
    )
    bearer_token_env: str = Field(
        "", description="Environment variable with the app-only bearer token (reads mentions).",
    )
    user_token_env: str = Field(
        "", description="Environment variable with an OAuth 2 user-context access token "
        "(scopes tweet.read users.read tweet.write); reads mentions and posts replies.",
    )
    consumer_key_env: str = Field(
        "", description="OAuth 1.0a user context for replies: variable with the API key.",
    )
    consumer_secret_env: str = Field(
        "", description="OAuth 1.0a: variable with the API key secret.",
    )
    access_token_env: str = Field(
        "", description="OAuth 1.0a: variable with the account's access token.",
    )
    access_token_secret_env: str = Field(
        "", description="OAuth 1.0a: variable with the account's access token secret.",
    )
    page_size: int = Field(
        100, ge=5, le=100, description="Mentions asked for per request (X allows 5-100).",
    )
    request_timeout: Duration = Field(
        timedelta(seconds=30), description="Timeout of one HTTP request to the X API.",
    )
    poll_interval: Duration = Field(
        timedelta(minutes=2), description="How often to poll (each poll costs at least one "
        "request of the mentions budget; see docs/sources.md).",
    )

    @model_validator(mode="after")
    def _needs_credentials(self) -> XSettings:
        if not (self.bearer_token_env or self.user_token_env):
            raise ValueError("set bearer_token_env or user_token_env (the name of the "
                             "environment variable holding the token)")
        oauth1 = [self.consumer_key_env, self.consumer_secret_env, self.access_token_env,
                  self.access_token_secret_env]
        if any(oauth1) and not all(oauth1):
            raise ValueError("OAuth 1.0a needs all four of consumer_key_env, "
                             "consumer_secret_env, access_token_env, access_token_secret_env")
        return self


class MastodonSettings(BaseSourceSettings):
    """Mentions of one Mastodon account, polled with Mastodon.py."""

    type: Literal["mastodon"] = Field(..., description="Source type.")
    instance_url: str = Field(
        ..., pattern=r"^https?://[^/?#]+/?$",
        description="Base URL of the account's Mastodon instance, e.g. https://mastodon.social.",
    )
    access_token_env: str = Field(
        ..., min_length=1, description="Environment variable with the account's access token "
        "(scopes read:notifications read:statuses read:accounts write:statuses).",
    )
    page_size: int = Field(
        40, ge=1, le=80, description="Notifications asked for per request (Mastodon: max 80).",
    )
    max_characters: int = Field(
        500, ge=1, description="Longest reply the instance accepts (500 on most instances).",
    )
    request_timeout: Duration = Field(
        timedelta(seconds=30), description="Timeout of one HTTP request to the instance.",
    )


OAUTH2_PRESETS: dict[str, str] = {
    "google": "https://oauth2.googleapis.com/token",
    "microsoft": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
}
"""Token endpoints of the OAuth2 presets (``[sources.oauth2] provider``)."""


class ImapOAuth2Settings(Section):
    """XOAUTH2 login: an access token obtained from a refresh token at the token endpoint."""

    provider: Literal["google", "microsoft", "custom"] = Field(
        "custom", description="Preset for token_url: 'google', 'microsoft' (Microsoft 365) or "
        "'custom' (set token_url).")
    token_url: str = Field(
        "", description="Token endpoint (empty: the provider's preset).")
    client_id: str = Field("", description="OAuth2 client id (not secret).")
    client_id_env: str = Field(
        "", description="Environment variable holding the client id (wins over client_id).")
    client_secret_env: str = Field(
        "", description="Environment variable holding the client secret (may be empty for "
        "public clients).")
    refresh_token_env: str = Field(
        ..., description="Environment variable holding the refresh token.")
    scope: str = Field(
        "", description="Scope sent with the refresh request (empty: the provider's default, "
        "Microsoft: 'https://outlook.office365.com/IMAP.AccessAsUser.All offline_access').")

    def endpoint(self) -> str:
        """Return the token endpoint (the explicit one, else the provider preset)."""
        return self.token_url or OAUTH2_PRESETS.get(self.provider, "")


class ImapWriteBackSettings(Section):
    """Write-back to the IMAP server (all off by default: ingestion stays read-only)."""

    keywords: bool = Field(
        False, description="Set a keyword per category ($Triage-Complaint, ...) on the message.")
    flag_due: bool = Field(
        False, description="Set \\Flagged while the deadline is due_soon or breached; clear it "
        "when met.")
    drafts_folder: str = Field(
        "", description="APPEND each draft to this folder as a threaded reply with the \\Draft "
        "flag (empty: off).")
    from_address: str = Field(
        "", description="From address of appended drafts (empty: drafting.support_address).")
    sent_folder: str = Field(
        "", description="APPEND a copy of each reply sent through triage (SMTP) to this folder, "
        "marked \\Seen, so the mail client shows it (empty: off). Leave empty when the SMTP "
        "server files sent mail itself (Gmail and Microsoft 365 do).")
    move_to_folders: dict[str, str] = Field(
        default_factory=dict,
        description="Move processed messages into a folder per category, e.g. "
        "{complaint = 'Complaints'} (MOVE, else COPY + expunge of that UID only).")

    @model_validator(mode="after")
    def _check(self) -> ImapWriteBackSettings:
        bad = sorted(set(self.move_to_folders) - set(CATEGORIES))
        if bad:
            raise ValueError(f"move_to_folders has unknown categories {bad}; use "
                             f"{', '.join(CATEGORIES)}")
        return self


class ImapSettings(BaseSourceSettings):
    """An IMAP account: one or more folders, polled incrementally and read-only, pushed by IDLE."""

    type: Literal["imap"] = Field(..., description="Source type.")
    host: str = Field(..., description="IMAP server host name.")
    port: int = Field(0, ge=0, le=65535,
                      description="Port (0: 993 for tls = 'ssl', else 143).")
    tls: Literal["ssl", "starttls", "none"] = Field(
        "ssl", description="'ssl' (implicit TLS), 'starttls', or 'none' (loopback only unless "
        "allow_insecure).")
    allow_insecure: bool = Field(
        False, description="Allow tls = 'none' to a host that is not loopback (passwords travel "
        "in clear text).")
    ca_file: str = Field(
        "", description="CA bundle to verify the server certificate (empty: system CAs). "
        "Verification is always on.")
    username: str = Field(..., description="Login name.")
    password_env: str = Field(
        "", description="Environment variable holding the password (not used with oauth2).")
    oauth2: ImapOAuth2Settings | None = Field(
        None, description="XOAUTH2 login settings ([sources.oauth2]); replaces password_env.")
    folders: list[str] = Field(
        default_factory=lambda: ["INBOX"], min_length=1, description="Folders to watch.")
    idle: bool = Field(True, description="Use IMAP IDLE to fetch new mail at once.")
    idle_renew: Duration = Field(
        timedelta(minutes=25), description="Restart IDLE this often (RFC 2177: before 29 min).")
    poll_interval: Duration = Field(
        timedelta(seconds=60), description="How often to poll (the safety net when IDLE is on).")
    backfill_since: str = Field(
        "", description="On first start, also import mail since this date (YYYY-MM-DD); "
        "empty: only mail arriving from now on.")
    max_message_size: int = Field(
        25_000_000, ge=1024, description="Bigger messages are stored quarantined (headers "
        "only) with the reason, never skipped.")
    fetch_batch: int = Field(100, ge=1, le=1000, description="UIDs per FETCH command.")
    connect_timeout: Duration = Field(
        timedelta(seconds=15), description="Timeout to connect and log in.")
    read_timeout: Duration = Field(
        timedelta(seconds=60), description="Timeout of each IMAP command.")
    connect_attempts: int = Field(
        3, ge=1, le=10, description="Connection attempts per poll (capped exponential backoff "
        "with jitter between them); after that the daemon's backoff takes over.")
    write_back: ImapWriteBackSettings = Field(
        default_factory=ImapWriteBackSettings,
        description="Write-back settings ([sources.write_back]).")

    @model_validator(mode="after")
    def _check(self) -> ImapSettings:
        if not self.password_env and self.oauth2 is None:
            raise ValueError("set password_env (the variable holding the password) or an "
                             "[sources.oauth2] table")
        if self.oauth2 is not None and not self.oauth2.endpoint():
            raise ValueError("oauth2.token_url is empty; set it or use provider = 'google' "
                             "or 'microsoft'")
        if self.backfill_since:
            try:
                date.fromisoformat(self.backfill_since)
            except ValueError:
                raise ValueError(f"backfill_since {self.backfill_since!r} is not a date; "
                                 "write it as YYYY-MM-DD") from None
        if self.tls == "none" and not self.allow_insecure and not is_loopback(self.host):
            raise ValueError(f"tls = 'none' to {self.host!r} would send the password in clear "
                             "text; use tls = 'ssl' or 'starttls' (or allow_insecure = true)")
        return self

    def inactive_fields(self) -> frozenset[str]:
        """As for every source; with ``oauth2`` set, ``password_env`` is not used either."""
        off = super().inactive_fields()
        return off | {"password_env"} if self.oauth2 is not None else off


SourceSettings = Annotated[MaildirSettings | ImapSettings | XSettings | MastodonSettings
                           | ChatSettings, Field(discriminator="type")]
"""One ``[[sources]]`` entry: the class is picked by its ``type``."""

SOURCE_SETTINGS: dict[str, type[Section]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (MaildirSettings, ImapSettings, XSettings, MastodonSettings, *CHAT_SETTINGS)
}
"""Settings class per source type tag (``maildir``, ``imap``, ``x``, ``mastodon`` and the chat
channels of :mod:`triage.config.channels`)."""

