"""Settings of response deadlines (``[deadlines]``) and of the notices they send
(``[notifications]``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from triage.config.common import RetrySettings, SmtpSettings
from triage.config.values import Duration, Section, TimeZoneName, check_week, parse_duration

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
"""Deadline priorities, least to most pressing."""
DEADLINE_KINDS: tuple[str, ...] = ("first_response", "next_response", "resolution")
"""Kinds of response deadline a message can get."""


def _check_warning(value: str) -> str:
    """Return a warning threshold (business time before the deadline, or a share of the
    target such as '80%'); raises ValueError saying how to write one."""
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


class CalendarSettings(Section):
    """Business hours of one team: a time zone, opening spans per weekday, holidays."""

    timezone: TimeZoneName = Field(
        "UTC", description="IANA time zone of the team, e.g. 'Asia/Ho_Chi_Minh'.")
    hours: Annotated[dict[str, str], AfterValidator(check_week)] = Field(
        default_factory=lambda: {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        description="Opening spans per weekday in local time, e.g. {mon = '08:00-12:00, "
        "13:00-17:00'}; days left out are closed.")
    holidays: list[date] = Field(
        default_factory=list, description="Closed days, e.g. [2026-01-01, 2026-02-17].")
    holidays_ics: str = Field(
        "", description="iCalendar (.ics) file whose events are closed days (relative to "
        "the config file).")


class DeadlineRuleSettings(Section):
    """One target for a kind of deadline; empty fields match anything, most specific wins."""

    kind: Literal["first_response", "next_response", "resolution"] = Field(
        "first_response", description="Which deadline this rule sets.")
    channel: Literal["", "email", "social"] = Field("", description="Channel, or '' for any.")
    category: str = Field("", description="Category, or '' for any.")
    priority: Literal["", "low", "normal", "high", "urgent"] = Field(
        "", description="Priority, or '' for any (then priority_scale applies).")
    within: Duration = Field(..., description="The target, e.g. '4h'.")


class DeadlineSettings(Section):
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
    rules: list[DeadlineRuleSettings] = Field(
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
        description="Words or phrases (any language, whole words, case and accents ignored; "
        "a single word written with accents is matched with them) that make a message urgent.",
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




class NotificationSettings(Section):
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
    smtp: SmtpSettings = Field(
        default_factory=SmtpSettings, description="SMTP server of the digest "
        "([notifications.smtp]).")
    digest_interval: Duration = Field(
        timedelta(minutes=15), description="At most one digest per this interval.")
    retry: RetrySettings = Field(
        default_factory=RetrySettings, description="Retries of a notice that could not be "
        "delivered ([notifications.retry]).")

    def inactive_fields(self) -> frozenset[str]:
        """The SMTP server is not used (its password not required) without ``email_to``."""
        return frozenset() if self.email_to else frozenset({"smtp"})
