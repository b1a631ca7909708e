"""Settings: declared once here, with defaults and help; loaded from one TOML file.

Unknown keys, wrong types and missing secrets stop start-up with one message that names the
file, the key and a fix. Secrets are never written in TOML: a setting ending in ``_env`` names
the environment variable that holds the secret.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from triage.channel_settings import CHAT_SOURCE_TYPES, ChatSource
from triage.errors import ConfigError, MissingSecretError
from triage.models import CATEGORIES

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """Turn ``"90s"``, ``"5m"``, ``"24h"``, ``"2d"`` or a number of seconds into a timedelta.

    Raises ValueError with the accepted forms when the value is not one of them.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '5m', '24h' or '2d'")
    if isinstance(value, int | float):
        return timedelta(seconds=float(value))
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    raise ValueError(f"{value!r} is not a duration; write it like '30s', '5m', '24h' or '2d'")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _check_zone(name: Any) -> str:
    """Return ``name`` when it is an IANA time zone; raises ValueError saying what to write."""
    if not isinstance(name, str):
        raise ValueError("expected a time zone name such as 'Asia/Jakarta'")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone; use an IANA name such as "
                         "'Asia/Ho_Chi_Minh', 'Asia/Jakarta' or 'UTC'") from None
    return name


TimeZoneName = Annotated[str, BeforeValidator(_check_zone)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class StoreSettings(_Section):
    """Where messages, drafts and models are kept."""

    url: str = Field(
        "",
        description="SQLAlchemy URL. Empty: SQLite file triage.db in data_dir. "
        "PostgreSQL: 'postgresql+psycopg://user@host/db' (password via url_env).",
    )
    url_env: str = Field(
        "",
        description="Name of an environment variable holding the database URL (overrides url).",
    )


class ClassifierSettings(_Section):
    """The message classifier."""

    model_path: str = Field(
        "",
        description="Model file to use. Empty: the active model in the store, else the model "
        "trained from the bundled corpus (trained on first use and cached in data_dir/models).",
    )
    review_threshold: float = Field(
        0.55, ge=0.0, le=1.0,
        description="Messages whose confidence is below this go to a human (needs_review).",
    )
    category_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Per-category override of review_threshold, e.g. {suggestion = 0.6}.",
    )
    lingua_margin: float = Field(
        0.0, ge=0.0,
        description="Ask lingua for a message's language when the model's language scores of "
        "the top two languages differ by less than this (0: never; see docs/classifier.md).",
    )
    gate_tolerance: float = Field(
        0.0, ge=0.0, le=1.0,
        description="'triage train' activates a new model only if its macro-F1 on the held-back "
        "set is at least the active model's minus this.",
    )
    gate_holdout_share: float = Field(
        0.15, gt=0.0, lt=0.5,
        description="Share of the training examples held back (by a stable hash of the text) "
        "to compare the new and the active model; ignored when gate_data is set.",
    )
    gate_data: str = Field(
        "", description="Labelled CSV (text,label[,lang]) to compare models on instead of the "
        "held-back share; all training examples are then used for training.",
    )
    retrain_interval: Duration = Field(
        timedelta(0),
        description="Retrain in the daemon this often (e.g. '7d') from the corpus and the "
        "agents' corrections, gated like 'triage train'. 0: never.",
    )
    retrain_min_corrections: int = Field(
        20, ge=0,
        description="Scheduled retraining runs only when at least this many corrections were "
        "stored since the active model was trained.",
    )


class DraftingSettings(_Section):
    """Reply drafts."""

    default_language: str = Field(
        "en", description="Language used when no template exists in the message's language."
    )
    template_dir: str = Field(
        "", description="Directory with templates that override or extend the packaged ones."
    )
    team_name: str = Field("Customer Support", description="Team name used in signatures.")
    agent_name: str = Field("", description="Agent name used in signatures (empty: team only).")
    support_address: str = Field(
        "support@example.com", description="From address of replies; messages from it are ours."
    )
    customer_timezone: TimeZoneName = Field(
        "Asia/Singapore",
        description="IANA time zone deadlines are written in for customers whose language has "
        "no entry in language_timezones.",
    )
    language_timezones: dict[str, TimeZoneName] = Field(
        default_factory=lambda: {"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta",
                                 "tl": "Asia/Manila"},
        description="IANA time zone per customer language for deadlines in drafts.",
    )
    social_max_length: int = Field(
        280, ge=40, le=5000,
        description="Longest social draft, counted as X counts (twitter-text weighting).",
    )


PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
"""Deadline priorities, least to most pressing."""
DEADLINE_KINDS: tuple[str, ...] = ("first_response", "next_response", "resolution")
"""Kinds of response deadline a message can get."""


def _check_spans(value: dict[str, str]) -> dict[str, str]:
    from triage.deadlines.calendars import DAYS, parse_spans

    for day, text in value.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        parse_spans(text)
    return value


def _check_zone(value: str) -> str:
    from triage.deadlines.calendars import zone

    zone(value)
    return value


def _check_warning(value: str) -> str:
    text = str(value).strip()
    if text.endswith("%"):
        try:
            pct = float(text[:-1])
        except ValueError:
            pct = -1.0
        if not 0 < pct < 100:
            raise ValueError(f"{value!r}: a share of the target is written like '80%' (1-99)")
        return text
    parse_duration(text)
    return text


class CalendarSettings(_Section):
    """Business hours of one team: a time zone, opening spans per weekday, holidays."""

    timezone: Annotated[str, AfterValidator(_check_zone)] = Field(
        "UTC", description="IANA time zone of the team, e.g. 'Asia/Ho_Chi_Minh'.")
    hours: Annotated[dict[str, str], AfterValidator(_check_spans)] = Field(
        default_factory=lambda: {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        description="Opening spans per weekday in local time, e.g. {mon = '08:00-12:00, "
        "13:00-17:00'}; days left out are closed.")
    holidays: list[date] = Field(
        default_factory=list, description="Closed days, e.g. [2026-01-01, 2026-02-17].")
    holidays_ics: str = Field(
        "", description="iCalendar (.ics) file whose events are closed days (relative to "
        "the config file).")


class DeadlineRule(_Section):
    """One target for a kind of deadline; empty fields match anything, most specific wins."""

    kind: Literal["first_response", "next_response", "resolution"] = Field(
        "first_response", description="Which deadline this rule sets.")
    channel: Literal["", "email", "social"] = Field("", description="Channel, or '' for any.")
    category: str = Field("", description="Category, or '' for any.")
    priority: Literal["", "low", "normal", "high", "urgent"] = Field(
        "", description="Priority, or '' for any (then priority_scale applies).")
    within: Duration = Field(..., description="The target, e.g. '4h'.")


class DeadlineSettings(_Section):
    """Response deadlines (first response) per channel and category."""

    email: Duration = Field(
        timedelta(hours=24), description="First-response target for email (domain norm: 24 h)."
    )
    social: Duration = Field(
        timedelta(minutes=60), description="First-response target for social (norm: 60 min)."
    )
    overrides: dict[str, dict[str, Duration]] = Field(
        default_factory=dict,
        description="Per channel and category targets, e.g. [deadlines.overrides.email] "
        "technical_issue = '8h'.",
    )
    warn_before: dict[str, Duration] = Field(
        default_factory=lambda: {"email": timedelta(hours=3), "social": timedelta(minutes=15)},
        description="A deadline is due_soon this long before it is due, per channel.",
    )
    next_response: dict[str, Duration] = Field(
        default_factory=lambda: {"email": timedelta(hours=24), "social": timedelta(minutes=15)},
        description="Target for answering a customer who writes again after our reply, "
        "per channel.",
    )
    resolution: dict[str, Duration] = Field(
        default_factory=dict,
        description="Target for resolving a thread, per channel, e.g. {email = '72h'}; the "
        "clock is paused while we wait on the customer (empty: no resolution deadlines).",
    )
    rules: list[DeadlineRule] = Field(
        default_factory=list,
        description="Targets per kind, channel, category and priority ([[deadlines.rules]]); "
        "the most specific matching rule wins over email/social/overrides/next_response.",
    )
    category_priority: dict[str, Literal["low", "normal", "high", "urgent"]] = Field(
        default_factory=lambda: {"complaint": "normal", "request": "normal",
                                 "suggestion": "low", "technical_issue": "normal"},
        description="Starting priority of each category (signals can raise it).",
    )
    priority_scale: dict[str, float] = Field(
        default_factory=lambda: {"low": 1.0, "normal": 1.0, "high": 0.5, "urgent": 0.25},
        description="Target multiplier per priority when no rule names the priority.",
    )
    vip_senders: list[str] = Field(
        default_factory=list, description="Sender addresses or handles whose messages are high.")
    vip_domains: list[str] = Field(
        default_factory=list, description="Sender domains whose messages are high priority.")
    outage_words: list[str] = Field(
        default_factory=lambda: ["outage", "is down", "are down", "went down", "service down",
                                 "down for everyone", "mất kết nối", "sập", "bị sập",
                                 "gangguan", "down semua", "walang serbisyo", "sira lahat"],
        description="Words or phrases (any language, case and accents ignored) that make a "
        "message urgent.",
    )
    repeat_contact: int = Field(
        3, ge=0, description="A customer's Nth message in a thread without our reply is "
        "high priority (0: off).",
    )
    calendar: dict[str, str] = Field(
        default_factory=lambda: {"email": "always", "social": "always"},
        description="Calendar each channel's deadlines count in ('always' = 24/7).",
    )
    source_calendars: dict[str, str] = Field(
        default_factory=dict,
        description="Calendar per source name (a team's mailbox), over the channel's.",
    )
    calendars: dict[str, CalendarSettings] = Field(
        default_factory=dict, description="Business calendars by name ([deadlines.calendars.X]).",
    )
    warnings: dict[str, list[Annotated[str, AfterValidator(_check_warning)]]] = Field(
        default_factory=lambda: {"email": ["3h", "1h"], "social": ["15m"]},
        description="Warnings per channel before a deadline: business time before it ('3h') "
        "or a share of the target used up ('80%'); each fires once per deadline.",
    )


class NotificationSettings(_Section):
    """Warnings and breaches sent to the team: a webhook and an e-mail digest to a lead."""

    webhook_url_env: str = Field(
        "", description="Name of an environment variable holding the webhook URL (empty: no "
        "webhook). Webhook URLs carry their own secret, so they are never written in TOML.")
    webhook_format: Literal["json", "slack"] = Field(
        "json", description="'json': triage's own body; 'slack': a Slack-compatible "
        "{text, blocks} body (also understood by Mattermost and Rocket.Chat).")
    webhook_timeout: Duration = Field(timedelta(seconds=10), description="HTTP timeout.")
    email_to: list[str] = Field(
        default_factory=list, description="Lead address(es) that get the digest (empty: none).")
    email_from: str = Field("triage@example.com", description="From address of the digest.")
    smtp_host: str = Field("localhost", description="SMTP server for the digest.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port.")
    smtp_starttls: bool = Field(False, description="Use STARTTLS before logging in.")
    smtp_username: str = Field("", description="SMTP user (empty: no login).")
    smtp_password_env: str = Field(
        "", description="Name of an environment variable holding the SMTP password.")
    digest_interval: Duration = Field(
        timedelta(minutes=15), description="At most one digest per this interval.")
    max_attempts: int = Field(
        8, ge=1, description="Delivery attempts per notice before it is given up (failed).")
    retry_base: Duration = Field(
        timedelta(minutes=1), description="First retry delay; doubles per attempt.")
    retry_max: Duration = Field(timedelta(hours=1), description="Longest retry delay.")


class SchedulerSettings(_Section):
    """The daemon's schedule."""

    sweep_interval: Duration = Field(
        timedelta(minutes=1), description="How often deadlines are swept for due_soon/breached."
    )
    backoff_base: Duration = Field(
        timedelta(seconds=30), description="First retry delay after a source fails."
    )
    backoff_max: Duration = Field(
        timedelta(minutes=30), description="Longest retry delay for a failing source."
    )
    jitter: Duration = Field(
        timedelta(seconds=5), description="Random delay added to polls so sources spread out."
    )
    batch_size: int = Field(
        200, ge=1, description="Messages classified and stored per transaction."
    )


class LoggingSettings(_Section):
    """Log output of the CLI."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    json_lines: bool = Field(False, description="Write one JSON object per log line.")


class WebSettings(_Section):
    """The review page (served by `triage web`, and by `triage run` when enabled)."""

    enabled: bool = Field(False, description="Serve the review page from `triage run` too.")
    host: str = Field("127.0.0.1", description="Address the review page listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the review page listens on.")
    secret_key_env: str = Field(
        "", description="Environment variable holding the session signing key. Empty: a key "
        "generated once and kept in data_dir/web-session.key (mode 0600).")
    session_max_age: Duration = Field(
        timedelta(hours=8), description="How long a sign-in lasts.")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Mark the session cookie Secure: 'always' (behind HTTPS), 'never', "
        "or 'auto' (Secure unless the page listens on a loopback address).")
    login_max_attempts: int = Field(
        5, ge=1, description="Failed sign-ins allowed per user name and per client address "
        "within login_window before further tries are refused.")
    login_window: Duration = Field(
        timedelta(minutes=15), description="Window for login_max_attempts.")
    queue_refresh: Duration = Field(
        timedelta(seconds=30), description="How often the queue refreshes itself.")


class SmtpSettings(_Section):
    """The SMTP server email replies go out through."""

    host: str = Field("127.0.0.1", description="SMTP server host.")
    port: int = Field(25, ge=1, le=65535, description="SMTP server port (587 starttls, 465 ssl).")
    tls: Literal["none", "starttls", "ssl"] = Field(
        "starttls", description="none (plain, loopback relays only), starttls, or ssl.")
    username: str = Field("", description="SMTP user name (empty: no AUTH).")
    password_env: str = Field(
        "", description="Environment variable holding the SMTP password.")
    timeout: Duration = Field(timedelta(seconds=30), description="Network timeout per send.")


class SendSettings(_Section):
    """How approved replies leave: the sender per channel and the outbox's retries."""

    email: Literal["smtp", "log"] = Field(
        "log", description="Email sender: 'smtp', or 'log' (dry run: log the reply, send "
        "nothing).")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="SMTP server.")
    drain_interval: Duration = Field(
        timedelta(seconds=15), description="How often the daemon drains the outbox.")
    max_attempts: int = Field(
        8, ge=1, description="Send attempts per reply before it is marked failed.")
    retry_base: Duration = Field(
        timedelta(seconds=30), description="First retry delay, doubling per attempt.")
    retry_max: Duration = Field(timedelta(hours=1), description="Longest retry delay.")
    in_doubt_after: Duration = Field(
        timedelta(minutes=10), description="A reply claimed for sending longer ago than this "
        "by a daemon that never finished is marked in doubt (not resent; an operator "
        "decides). A dead daemon on this machine is noticed at once. Must be longer than "
        "any send takes (more than send.smtp.timeout).")

    @model_validator(mode="after")
    def _doubt_after_timeout(self) -> SendSettings:
        if self.in_doubt_after <= self.smtp.timeout:
            raise ValueError(
                f"send.in_doubt_after ({self.in_doubt_after}) must be longer than "
                f"send.smtp.timeout ({self.smtp.timeout}), or replies still being sent would "
                "be marked in doubt; raise in_doubt_after")
        return self


class MaildirSource(_Section):
    """A local Maildir, read-only (the demo inbox, or mail delivered locally)."""

    name: str = Field(..., description="Unique name of the source.")
    type: Literal["maildir"] = Field(..., description="Source type.")
    path: str = Field(..., description="Path of the Maildir (holding cur/ new/ tmp/).")
    poll_interval: Duration = Field(timedelta(seconds=60), description="How often to poll.")
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    def secret_envs(self) -> list[tuple[str, str]]:
        """Return ``(key, env var)`` pairs of the secrets this source needs (none)."""
        return []


class XSource(_Section):
    """Mentions of one X (Twitter) account, polled through the X API v2 with tweepy."""

    name: str = Field(..., description="Unique name of the source.")
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
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    @model_validator(mode="after")
    def _needs_credentials(self) -> XSource:
        if not (self.bearer_token_env or self.user_token_env):
            raise ValueError("set bearer_token_env or user_token_env (the name of the "
                             "environment variable holding the token)")
        oauth1 = [self.consumer_key_env, self.consumer_secret_env, self.access_token_env,
                  self.access_token_secret_env]
        if any(oauth1) and not all(oauth1):
            raise ValueError("OAuth 1.0a needs all four of consumer_key_env, "
                             "consumer_secret_env, access_token_env, access_token_secret_env")
        return self

    def secret_envs(self) -> list[tuple[str, str]]:
        """Return ``(key, env var)`` pairs of the secrets this source names (none while it
        is disabled, so a configured but switched-off account does not stop start-up)."""
        if not self.enabled:
            return []
        keys = ("bearer_token_env", "user_token_env", "consumer_key_env", "consumer_secret_env",
                "access_token_env", "access_token_secret_env")
        return [(k, getattr(self, k)) for k in keys if getattr(self, k)]


class MastodonSource(_Section):
    """Mentions of one Mastodon account, polled with Mastodon.py."""

    name: str = Field(..., description="Unique name of the source.")
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
    poll_interval: Duration = Field(timedelta(seconds=60), description="How often to poll.")
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    def secret_envs(self) -> list[tuple[str, str]]:
        """Return ``(key, env var)`` pairs of the secrets this source needs (none while it
        is disabled)."""
        return [("access_token_env", self.access_token_env)] if self.enabled else []




def is_loopback(host: str) -> bool:
    """Return True when ``host`` is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


OAUTH2_PRESETS: dict[str, str] = {
    "google": "https://oauth2.googleapis.com/token",
    "microsoft": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
}
"""Token endpoints of the OAuth2 presets (``[sources.oauth2] provider``)."""


class ImapOAuth2(_Section):
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


class ImapWriteBack(_Section):
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
    def _check(self) -> ImapWriteBack:
        bad = sorted(set(self.move_to_folders) - set(CATEGORIES))
        if bad:
            raise ValueError(f"move_to_folders has unknown categories {bad}; use "
                             f"{', '.join(CATEGORIES)}")
        return self


class ImapSource(_Section):
    """An IMAP account: one or more folders, polled incrementally and read-only, pushed by IDLE."""

    name: str = Field(..., description="Unique name of the source.")
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
    oauth2: ImapOAuth2 | None = Field(
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
    write_back: ImapWriteBack = Field(
        default_factory=ImapWriteBack, description="Write-back settings ([sources.write_back]).")
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    @model_validator(mode="after")
    def _check(self) -> ImapSource:
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

    def secret_envs(self) -> list[tuple[str, str]]:
        """Return ``(key, env var)`` pairs of the secrets this source needs."""
        if self.oauth2 is not None:
            out = [("oauth2.refresh_token_env", self.oauth2.refresh_token_env)]
            if self.oauth2.client_secret_env:
                out.append(("oauth2.client_secret_env", self.oauth2.client_secret_env))
            if self.oauth2.client_id_env:
                out.append(("oauth2.client_id_env", self.oauth2.client_id_env))
            return out
        return [("password_env", self.password_env)] if self.password_env else []


SourceSettings = Annotated[MaildirSource | ImapSource | XSource | MastodonSource | ChatSource,
                           Field(discriminator="type")]


class OpsSettings(_Section):
    """Operations: health and metrics endpoint, and how daemons share one store."""

    listen: str = Field(
        "", description="host:port serving /healthz and /metrics from the daemon, e.g. "
        "'127.0.0.1:9464'. Empty: off.",
    )
    instance: str = Field(
        "", description="Name of this daemon in leases and claims. Empty: the host name. "
        "Give each machine its own name when several daemons share one database.",
    )
    lease_ttl: Duration = Field(
        timedelta(minutes=2), description="How long a daemon's lease on a source or a "
        "singleton job lasts without renewal; a dead daemon's sources are taken over after it.",
    )
    claim_ttl: Duration = Field(
        timedelta(minutes=5), description="How long a daemon's claim on a message it is "
        "processing lasts; after it another daemon may process the message.",
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{value!r} is not host:port; write it like '127.0.0.1:9464'")
        return value


class RetentionSettings(_Section):
    """What triage deletes by itself: nothing unless asked."""

    raw_after: Duration = Field(
        timedelta(0), description="Drop the raw bytes (the message exactly as received) of "
        "messages ingested longer ago than this, once processed or quarantined; the parsed "
        "text, thread, category, deadlines, drafts and audit log stay. '0s': keep forever.")
    every: Duration = Field(
        timedelta(hours=6), description="How often the daemon applies the retention rules.")


class AckRule(_Section):
    """One opt-in rule allowing automatic acknowledgements for a category on a channel."""

    name: str = Field(..., description="Name of the rule (shown in the audit log).")
    enabled: bool = Field(False, description="Set true to send acknowledgements by this rule.")
    category: str = Field(..., description="Category acknowledged (complaint, request, ...).")
    channel: Literal["email", "social"] = Field("email", description="Channel acknowledged.")
    max_per_sender_per_day: int = Field(
        1, ge=1, description="At most this many acknowledgements to one sender per 24 hours."
    )
    min_confidence: float = Field(
        0.0, ge=0.0, le=1.0, description="Only acknowledge when the classifier is this sure."
    )
    subject: str = Field(
        "Re: {{ subject }} [#{{ reference }}]",
        description="Jinja2 subject; variables: subject, reference, name, within, team.",
    )
    text: str = Field(
        "Hello {{ name }},\n\nwe received your message (reference {{ reference }}) and will "
        "answer within {{ within }}.\n\n{{ team }}",
        description="Jinja2 text; variables: subject, reference, name, within, team.",
    )


class Settings(_Section):
    """The whole configuration of one triage daemon."""

    data_dir: str = Field(
        "triage-data", description="Directory for the SQLite store, models and caches "
        "(relative paths are relative to the config file)."
    )
    store: StoreSettings = Field(default_factory=StoreSettings, description="Store.")
    classifier: ClassifierSettings = Field(
        default_factory=ClassifierSettings, description="Classifier."
    )
    drafting: DraftingSettings = Field(default_factory=DraftingSettings, description="Drafts.")
    deadlines: DeadlineSettings = Field(default_factory=DeadlineSettings, description="SLAs.")
    notifications: NotificationSettings = Field(
        default_factory=NotificationSettings, description="Deadline notifications."
    )
    scheduler: SchedulerSettings = Field(
        default_factory=SchedulerSettings, description="Scheduler."
    )
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Logging.")
    sources: list[SourceSettings] = Field(default_factory=list, description="Sources to poll.")
    web: WebSettings = Field(default_factory=WebSettings, description="Review page.")
    send: SendSettings = Field(default_factory=SendSettings, description="Sending replies.")
    ops: OpsSettings = Field(default_factory=OpsSettings, description="Operations.")
    retention: RetentionSettings = Field(
        default_factory=RetentionSettings, description="Retention of stored data."
    )
    acknowledgements: list[AckRule] = Field(
        default_factory=list, description="Opt-in automatic acknowledgement rules."
    )

    # Filled in by load_settings, not by users.
    config_path: Path | None = Field(None, exclude=True, description="(internal)")

    def resolve_path(self, value: str) -> Path:
        """Return ``value`` as a path, relative to the config file's directory."""
        p = Path(value).expanduser()
        if not p.is_absolute() and self.config_path is not None:
            p = self.config_path.parent / p
        return p

    @property
    def data_path(self) -> Path:
        """The data directory as an absolute path."""
        return self.resolve_path(self.data_dir)

    def database_url(self, environ: Mapping[str, str] | None = None) -> str:
        """Return the store's SQLAlchemy URL (SQLite in data_dir when none is set)."""
        env = os.environ if environ is None else environ
        if self.store.url_env:
            return env[self.store.url_env]
        if self.store.url:
            return self.store.url
        return f"sqlite:///{self.data_path / 'triage.db'}"

    def source(self, name: str) -> Any:
        """Return the settings of source ``name``; raises ConfigError when there is none."""
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} (configured: {known})",
                          fix="use one of the [[sources]] names")


def _loc(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            name = None
            if isinstance(node, list) and 0 <= item < len(node) and isinstance(node[item], dict):
                name = node[item].get("name")
            parts[-1] = f"{parts[-1]}[{item}]" + (f"(name={name!r})" if name else "") \
                if parts else f"[{item}]"
            node = node[item] if isinstance(node, list) and 0 <= item < len(node) else None
        else:
            if item in {"maildir", "imap", "x", "mastodon", *CHAT_SOURCE_TYPES} and parts \
                    and parts[-1].startswith("sources["):
                continue  # discriminator tag, not a key the user wrote
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _fix_for(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "remove it or check its spelling against config/triage.example.toml"
    if kind == "missing":
        return "add it; see config/triage.example.toml"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return "set type to one of the supported source types"
    return "see config/triage.example.toml for the expected form"


def settings_from_mapping(data: Mapping[str, Any], *, file: str = "<config>") -> Settings:
    """Validate a parsed TOML mapping; raises ConfigError naming every wrong key."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = _loc(tuple(err["loc"]), data)
            lines.append(f"key '{key}': {err['msg']} (fix: {_fix_for(err)})")
        raise ConfigError(
            f"{len(lines)} problem(s):\n  " + "\n  ".join(lines), file=file
        ) from None
    names = [s.name for s in settings.sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"source names must be unique, repeated: {', '.join(dupes)}",
                          file=file, key="sources.name", fix="give each source its own name")
    for cat in settings.classifier.category_thresholds:
        if cat not in CATEGORIES:
            raise ConfigError(f"unknown category {cat!r}", file=file,
                              key=f"classifier.category_thresholds.{cat}",
                              fix=f"use one of {', '.join(CATEGORIES)}")
    for channel, cats in settings.deadlines.overrides.items():
        if channel not in ("email", "social"):
            raise ConfigError(f"unknown channel {channel!r}", file=file,
                              key=f"deadlines.overrides.{channel}", fix="use email or social")
        for cat in cats:
            if cat not in CATEGORIES:
                raise ConfigError(f"unknown category {cat!r}", file=file,
                                  key=f"deadlines.overrides.{channel}.{cat}",
                                  fix=f"use one of {', '.join(CATEGORIES)}")
    _check_deadlines(settings, file)
    for i, rule in enumerate(settings.acknowledgements):
        if rule.category not in CATEGORIES:
            raise ConfigError(f"unknown category {rule.category!r}", file=file,
                              key=f"acknowledgements[{i}](name={rule.name!r}).category",
                              fix=f"use one of {', '.join(CATEGORIES)}")
    return settings


def _check_deadlines(settings: Settings, file: str) -> None:
    """Cross-field checks of ``[deadlines]``: names that must refer to something."""
    d = settings.deadlines
    known = {"always", *d.calendars}
    for key, mapping in (("calendar", d.calendar), ("source_calendars", d.source_calendars)):
        for what, name in mapping.items():
            if name not in known:
                raise ConfigError(f"unknown calendar {name!r}", file=file,
                                  key=f"deadlines.{key}.{what}",
                                  fix=f"define [deadlines.calendars.{name}] or use one of "
                                      f"{', '.join(sorted(known))}")
    for i, rule in enumerate(d.rules):
        if rule.category and rule.category not in CATEGORIES:
            raise ConfigError(f"unknown category {rule.category!r}", file=file,
                              key=f"deadlines.rules[{i}].category",
                              fix=f"use one of {', '.join(CATEGORIES)} or ''")
    for key, mapping in (("category_priority", d.category_priority),):
        for cat in mapping:
            if cat not in CATEGORIES:
                raise ConfigError(f"unknown category {cat!r}", file=file,
                                  key=f"deadlines.{key}.{cat}",
                                  fix=f"use one of {', '.join(CATEGORIES)}")
    for prio, factor in d.priority_scale.items():
        if prio not in PRIORITIES or factor <= 0:
            raise ConfigError(f"bad priority scale {prio} = {factor}", file=file,
                              key=f"deadlines.priority_scale.{prio}",
                              fix=f"use {', '.join(PRIORITIES)} with a factor above 0")
    for key, mapping in (("warnings", d.warnings), ("next_response", d.next_response),
                         ("resolution", d.resolution), ("calendar", d.calendar),
                         ("warn_before", d.warn_before)):
        for channel in mapping:
            if channel not in ("email", "social"):
                raise ConfigError(f"unknown channel {channel!r}", file=file,
                                  key=f"deadlines.{key}.{channel}", fix="use email or social")
    names = {src.name for src in settings.sources}
    for source in d.source_calendars:
        if source not in names:
            raise ConfigError(f"no source named {source!r}", file=file,
                              key=f"deadlines.source_calendars.{source}",
                              fix=f"use one of the [[sources]] names "
                                  f"({', '.join(sorted(names)) or 'none configured'})")


def find_config_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Pick the config file: ``--config``, else ``TRIAGE_CONFIG``, else ``./triage.toml``."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("TRIAGE_CONFIG"):
        return Path(env["TRIAGE_CONFIG"])
    return Path("triage.toml")


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None,
                  *, check_secrets: bool = True) -> Settings:
    """Read, validate and return the settings in ``path``.

    Raises ConfigError (file missing, TOML syntax, unknown key, wrong type) or
    MissingSecretError (a ``*_env`` variable that is not set) with file, key and fix.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError("configuration file not found", file=str(p),
                          fix="pass --config FILE, set TRIAGE_CONFIG, or create ./triage.toml "
                              "from config/triage.example.toml")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(p),
                          fix="correct the syntax at the line and column given") from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=str(p), fix="save the file as UTF-8") from None
    settings = settings_from_mapping(data, file=str(p))
    settings.config_path = p.resolve()
    if check_secrets:
        check_secrets_present(settings, environ, file=str(p))
    return settings


def secret_keys(settings: Settings) -> list[tuple[str, str]]:
    """Return ``(key, env var name)`` for every secret the configuration refers to."""
    out: list[tuple[str, str]] = []
    if settings.store.url_env:
        out.append(("store.url_env", settings.store.url_env))
    n = settings.notifications
    if n.webhook_url_env:
        out.append(("notifications.webhook_url_env", n.webhook_url_env))
    if n.smtp_password_env:
        out.append(("notifications.smtp_password_env", n.smtp_password_env))
    if settings.web.secret_key_env:
        out.append(("web.secret_key_env", settings.web.secret_key_env))
    if settings.send.email == "smtp" and settings.send.smtp.password_env:
        out.append(("send.smtp.password_env", settings.send.smtp.password_env))
    for i, src in enumerate(settings.sources):
        for key, env in src.secret_envs():
            out.append((f"sources[{i}](name={src.name!r}).{key}", env))
    return out


def check_secrets_present(settings: Settings, environ: Mapping[str, str] | None = None,
                          *, file: str = "<config>") -> None:
    """Raise MissingSecretError listing every secret variable that is not set."""
    env = os.environ if environ is None else environ
    missing = [(k, e) for k, e in secret_keys(settings) if not env.get(e)]
    if missing:
        lines = [f"key '{k}' names environment variable {e}, which is not set" for k, e in missing]
        raise MissingSecretError(
            "missing secret(s):\n  " + "\n  ".join(lines), file=file,
            fix="export the variable(s) or put them in a .env file next to where you run triage")


def masked_dump(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the resolved settings as plain data, with every secret masked."""
    env = os.environ if environ is None else environ
    data = settings.model_dump(mode="json")
    data["resolved"] = {
        "data_dir": str(settings.data_path),
        "database_url": _mask_url(settings.database_url(env)),
        "secrets": {e: ("set (****)" if env.get(e) else "NOT SET") for _, e in
                    secret_keys(settings)},
    }
    if data.get("store", {}).get("url"):
        data["store"]["url"] = _mask_url(data["store"]["url"])
    return data


def _mask_url(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)([^@]+)(@)", r"\1****\3", url)
