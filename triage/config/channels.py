"""Settings of the chat channels: Telegram, Facebook Page, Zalo Official Account, WhatsApp.

One class per ``[[sources]]`` type, joined into the sources union by
:mod:`triage.config.sources`. They share :class:`ChatSourceSettings`, which has what every
source has (name, type, ``poll_interval``, ``enabled``) plus a request timeout and the chat
first-response target. Secrets are never written here: every ``*_env`` key names the
environment variable that holds one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from triage.config.values import Duration, Section

_URL = r"^https?://[^/?#]+(/[^?#]*)?$"
_GRAPH_VERSION = r"^v[0-9]{1,2}\.[0-9]$"


class ChatSourceSettings(Section):
    """What every chat source has: name, polling, timeouts and the chat first-response norm."""

    name: str = Field(..., description="Unique name of the source.")
    type: str = Field(..., description="Source type.")
    poll_interval: Duration = Field(timedelta(seconds=60), description="How often to poll.")
    request_timeout: Duration = Field(
        timedelta(seconds=30), description="Timeout of one HTTP request to the platform.")
    first_response: Duration = Field(
        timedelta(minutes=60), description="First-response target of this source's messages "
        "(the chat norm: 60 min). It replaces deadlines.social for this source; "
        "[[deadlines.rules]] and deadlines.overrides still win.")
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    def inactive_fields(self) -> frozenset[str]:
        """Every field while the source is disabled (no secret of it is then required)."""
        return frozenset(type(self).model_fields) if not self.enabled else frozenset()


class TelegramSettings(ChatSourceSettings):
    """Messages to a Telegram bot, read by ``getUpdates`` long polling (Bot API)."""

    type: Literal["telegram"] = Field(..., description="Source type.")
    bot_token_env: str = Field(
        ..., min_length=1, description="Environment variable with the bot token from "
        "@BotFather ('123456:ABC...').")
    api_base_url: str = Field(
        "https://api.telegram.org", pattern=_URL,
        description="Base URL of the Bot API (a local Bot API server, a proxy, a test server).")
    long_poll_timeout: Duration = Field(
        timedelta(seconds=25), description="How long one getUpdates waits for a message "
        "(Telegram's long polling, added to request_timeout; 0: short polls). Shutdown waits "
        "at most this long.")
    page_size: int = Field(100, ge=1, le=100, description="Updates asked for per request.")
    poll_interval: Duration = Field(
        timedelta(seconds=2), description="Pause between two long polls.")


class FacebookSettings(ChatSourceSettings):
    """A Facebook Page: Messenger conversations and comments on the page's posts (Graph API)."""

    type: Literal["facebook"] = Field(..., description="Source type.")
    page_id: str = Field(..., pattern=r"^[0-9]{1,30}$", description="Numeric id of the Page.")
    page_token_env: str = Field(
        ..., min_length=1, description="Environment variable with a Page access token "
        "(permissions pages_messaging, pages_read_engagement, pages_manage_metadata, "
        "pages_read_user_content, pages_manage_engagement).")
    app_secret_env: str = Field(
        "", description="Environment variable with the app secret: checks the webhook's "
        "X-Hub-Signature-256 and signs Graph calls (appsecret_proof). Needed with webhook.")
    verify_token_env: str = Field(
        "", description="Environment variable with the verify token you typed into the app's "
        "webhook settings (the subscription handshake). Needed with webhook.")
    api_base_url: str = Field(
        "https://graph.facebook.com", pattern=_URL,
        description="Base URL of the Graph API (a proxy or a test server).")
    graph_version: str = Field("v25.0", pattern=_GRAPH_VERSION, description="Graph API version.")
    messenger: bool = Field(True, description="Read Messenger conversations of the Page.")
    comments: bool = Field(True, description="Read comments on the Page's posts.")
    poll: bool = Field(True, description="Poll the conversations and feed endpoints (works "
                       "behind a firewall).")
    webhook: bool = Field(False, description="Also take deliveries of the Page webhook at "
                          "/webhooks/facebook/<name> (the review page's server must be on).")
    page_size: int = Field(25, ge=1, le=100, description="Items asked for per request.")
    backfill: Duration = Field(
        timedelta(hours=24), description="On the first poll, also read what arrived this long "
        "before (nothing older is ever read: old chats cannot be answered anyway).")
    human_agent_tag: bool = Field(
        False, description="Outside the 24-hour window, send approved Messenger replies with "
        "the HUMAN_AGENT tag (up to 7 days; needs Meta's Human Agent permission).")
    usage_limit: int = Field(
        90, ge=10, le=100, description="Pause polling when Meta reports this share (percent) "
        "of the app's or Page's call budget used (X-App-Usage, X-Business-Use-Case-Usage).")

    @model_validator(mode="after")
    def _check(self) -> FacebookSettings:
        if not (self.messenger or self.comments):
            raise ValueError("turn on messenger or comments (or disable the source)")
        if not (self.poll or self.webhook):
            raise ValueError("turn on poll or webhook, or nothing is ever read")
        if self.webhook and not (self.app_secret_env and self.verify_token_env):
            raise ValueError("webhook = true needs app_secret_env and verify_token_env")
        return self


class ZaloSettings(ChatSourceSettings):
    """A Zalo Official Account: recent chats polled, replies with the OA message API."""

    type: Literal["zalo"] = Field(..., description="Source type.")
    oa_id: str = Field(..., pattern=r"^[0-9]{1,30}$", description="Numeric id of the OA.")
    app_id: str = Field(..., pattern=r"^[0-9]{1,30}$",
                        description="Id of the Zalo app linked to the OA (not secret).")
    app_secret_env: str = Field(
        ..., min_length=1, description="Environment variable with the app's secret key "
        "(sent when the access token is refreshed).")
    access_token_env: str = Field(
        ..., min_length=1, description="Environment variable with the first OA access token. "
        "Tokens last about 25 hours; triage refreshes them and keeps the new pair in its store.")
    refresh_token_env: str = Field(
        ..., min_length=1, description="Environment variable with the first refresh token "
        "(single use, valid 3 months). Put a new one here after re-authorising the app.")
    oa_secret_env: str = Field(
        "", description="Environment variable with the OA secret key that signs webhook "
        "deliveries (X-ZEvent-Signature). Needed with webhook.")
    api_base_url: str = Field("https://openapi.zalo.me", pattern=_URL,
                              description="Base URL of the OA Open API.")
    oauth_base_url: str = Field("https://oauth.zaloapp.com", pattern=_URL,
                                description="Base URL of Zalo's OAuth server (token refresh).")
    poll: bool = Field(True, description="Poll recent chats and their messages.")
    webhook: bool = Field(False, description="Also take webhook deliveries at "
                          "/webhooks/zalo/<name> (the review page's server must be on).")
    page_size: int = Field(10, ge=1, le=10, description="Items per request (Zalo: max 10).")
    backfill: Duration = Field(
        timedelta(hours=24), description="On the first poll, also read what arrived this long "
        "before.")
    reply_window: Duration = Field(
        timedelta(days=7), description="How long after the customer's last message Zalo "
        "accepts a consultation reply (7 days; after 48 h Zalo charges for it).")

    @model_validator(mode="after")
    def _check(self) -> ZaloSettings:
        if not (self.poll or self.webhook):
            raise ValueError("turn on poll or webhook, or nothing is ever read")
        if self.webhook and not self.oa_secret_env:
            raise ValueError("webhook = true needs oa_secret_env")
        return self


class WhatsAppSettings(ChatSourceSettings):
    """A WhatsApp Business phone number (Cloud API): webhook deliveries only."""

    type: Literal["whatsapp"] = Field(..., description="Source type.")
    phone_number_id: str = Field(..., pattern=r"^[0-9]{1,30}$",
                                 description="Phone number id (not the phone number).")
    access_token_env: str = Field(
        ..., min_length=1, description="Environment variable with a system-user access token "
        "(whatsapp_business_messaging, whatsapp_business_management).")
    app_secret_env: str = Field(
        ..., min_length=1, description="Environment variable with the app secret that signs "
        "webhook deliveries (X-Hub-Signature-256).")
    verify_token_env: str = Field(
        ..., min_length=1, description="Environment variable with the webhook verify token.")
    api_base_url: str = Field("https://graph.facebook.com", pattern=_URL,
                              description="Base URL of the Graph API.")
    graph_version: str = Field("v25.0", pattern=_GRAPH_VERSION, description="Graph API version.")
    poll_interval: Duration = Field(
        timedelta(seconds=10), description="How often stored webhook deliveries are processed "
        "(no request to WhatsApp: it has no API to read messages).")


CHAT_SOURCE_TYPES: tuple[str, ...] = ("telegram", "facebook", "zalo", "whatsapp")
"""The ``type`` tags of the chat sources."""

ChatSettings = TelegramSettings | FacebookSettings | ZaloSettings | WhatsAppSettings
"""Any chat source's settings (part of the discriminated ``[[sources]]`` union)."""

CHAT_SETTINGS: tuple[type[ChatSourceSettings], ...] = (
    TelegramSettings, FacebookSettings, ZaloSettings, WhatsAppSettings)
"""The chat settings classes, in the order of :data:`CHAT_SOURCE_TYPES`."""
