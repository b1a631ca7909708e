"""The X API v2 through tweepy: client building, the configurable base URL, the rate budget
and the mapping of tweepy's and requests' errors onto triage's exception tree.

Shared by the X source (reads mentions) and the X sender (posts replies).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from triage.clock import Clock
from triage.config import XSettings
from triage.errors import (
    ConfigError,
    MissingSecretError,
    RateLimited,
    SourceAuthError,
    SourceError,
    SourceRequestRefused,
)

log = logging.getLogger(__name__)

TWEEPY_HOST = "https://api.twitter.com"
"""tweepy 4 hard-codes this host in ``BaseClient.request``; we rewrite it on the session."""


class BaseUrlAdapter(HTTPAdapter):
    """Sends tweepy's requests to ``base_url`` instead of its hard-coded host, with a timeout.

    tweepy has no setting for its host, but every call goes through ``client.session``, so an
    adapter mounted there is the one place to change where requests go (a proxy, a test server).
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Rewrite the URL's host part, apply the timeout, send."""
        if request.url and request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST):]
        if not kwargs.get("timeout"):
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


@dataclass
class Credentials:
    """Which token tweepy uses, and whether calls are signed as the user (OAuth 1.0a)."""

    bearer_token: str | None
    consumer_key: str | None = None
    consumer_secret: str | None = None
    access_token: str | None = None
    access_token_secret: str | None = None

    @property
    def oauth1(self) -> bool:
        """True when the four OAuth 1.0a user-context secrets are present."""
        return bool(self.consumer_key and self.access_token)


def _secret(settings: XSettings, key: str, environ: Mapping[str, str]) -> str | None:
    env = getattr(settings, key)
    if not env:
        return None
    value = environ.get(env, "")
    if not value:
        raise MissingSecretError(f"environment variable {env} is not set",
                                 key=f"sources.{settings.name}.{key}",
                                 fix=f"export {env} or put it in .env")
    return value


def read_credentials(settings: XSettings, environ: Mapping[str, str]) -> Credentials:
    """Credentials for reading mentions: the app bearer token, else the OAuth 2 user token.

    Raises MissingSecretError when the named variable is not set.
    """
    token = _secret(settings, "bearer_token_env", environ) or \
        _secret(settings, "user_token_env", environ)
    return Credentials(bearer_token=token)


def write_credentials(settings: XSettings, environ: Mapping[str, str]) -> Credentials:
    """Credentials for posting replies: OAuth 1.0a user context, else the OAuth 2 user token.

    Raises ConfigError when only an app-only bearer token is configured (X refuses posts made
    with it) and MissingSecretError when a named variable is not set.
    """
    if settings.consumer_key_env:
        return Credentials(
            bearer_token=None,
            consumer_key=_secret(settings, "consumer_key_env", environ),
            consumer_secret=_secret(settings, "consumer_secret_env", environ),
            access_token=_secret(settings, "access_token_env", environ),
            access_token_secret=_secret(settings, "access_token_secret_env", environ))
    token = _secret(settings, "user_token_env", environ)
    if token is None:
        raise ConfigError("replies on X need user context; an app-only bearer token can only "
                          "read", key=f"sources.{settings.name}",
                          fix="set user_token_env, or the four OAuth 1.0a *_env keys")
    return Credentials(bearer_token=token)


def make_client(creds: Credentials, api_base_url: str, timeout: float,
                session: requests.Session | None = None) -> tweepy.Client:
    """Build a tweepy client that returns raw ``requests.Response`` objects (we need the
    rate-limit headers) and talks to ``api_base_url``."""
    client = tweepy.Client(
        bearer_token=creds.bearer_token, consumer_key=creds.consumer_key,
        consumer_secret=creds.consumer_secret, access_token=creds.access_token,
        access_token_secret=creds.access_token_secret, return_type=requests.Response,
        wait_on_rate_limit=False)  # never sleep inside a job: we pause the source instead
    if session is not None:
        client.session = session
    adapter = BaseUrlAdapter(api_base_url, timeout)
    client.session.mount(TWEEPY_HOST + "/", adapter)
    return client


def utc_from_timestamp(value: object) -> datetime | None:
    """The aware UTC time of a Unix timestamp sent by a server, or None when it is not one
    (not a number, or out of the platform's range)."""
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (ValueError, OverflowError, OSError):
        return None


class RateBudget:
    """What X said is left of one endpoint's 15-minute window (``x-rate-limit-*`` headers)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: datetime | None = None

    def update(self, headers: Mapping[str, str]) -> None:
        """Read the budget from a response's headers (absent headers change nothing)."""
        try:
            if "x-rate-limit-remaining" in headers:
                self.remaining = int(headers["x-rate-limit-remaining"])
            if "x-rate-limit-limit" in headers:
                self.limit = int(headers["x-rate-limit-limit"])
            if "x-rate-limit-reset" in headers:
                reset = utc_from_timestamp(headers["x-rate-limit-reset"])
                if reset is None:
                    raise ValueError("x-rate-limit-reset")
                self.reset_at = reset
        except ValueError:
            log.warning("ignoring unreadable rate-limit headers %s", dict(headers))

    def spent(self) -> bool:
        """True when the window's requests are used up and the window has not reset yet."""
        if self.remaining is None or self.remaining > 0:
            return False
        return self.reset_at is None or self.reset_at > self.clock.now()

    def check(self, what: str) -> None:
        """Raise RateLimited, without making a request, when the budget is spent."""
        if self.spent():
            raise RateLimited(f"{what}: 0 of {self.limit} requests left in this window",
                              reset_at=self.reset_at)

    def describe(self) -> str:
        """Short human text for logs: ``7/10 left, resets 09:15:00Z``."""
        if self.remaining is None:
            return "budget unknown"
        reset = self.reset_at.strftime("%H:%M:%SZ") if self.reset_at else "?"
        return f"{self.remaining}/{self.limit or '?'} left, resets {reset}"


def _api_messages(exc: tweepy.HTTPException) -> str:
    msgs = list(exc.api_messages or []) or [str(exc.response.reason or "")]
    return "; ".join(m for m in msgs if m)[:300]


def call(fn: Callable[[], requests.Response], what: str, budget: RateBudget | None,
         *, error: type[Exception] = SourceError) -> dict[str, Any]:
    """Make one API call and return its JSON body.

    Raises RateLimited (429, with the reset time), SourceAuthError (401/403),
    ``error`` (5xx, network error, malformed JSON, other 4xx). With another ``error`` (the
    sender passes SendError), tweepy's 400/401/403/404 exceptions are re-raised unchanged.
    """
    if budget is not None:
        budget.check(what)
    try:
        resp = fn()
    except tweepy.TooManyRequests as exc:
        if budget is not None:
            budget.update(exc.response.headers)
            budget.remaining = 0
        reset = utc_from_timestamp(exc.reset_time) if exc.reset_time else None
        raise RateLimited(f"{what}: X answered 429 Too Many Requests", reset_at=reset) from None
    except (tweepy.BadRequest, tweepy.Unauthorized, tweepy.Forbidden, tweepy.NotFound) as exc:
        if budget is not None:
            budget.update(exc.response.headers)
        if error is not SourceError:
            raise  # the sender tells a refused reply from a retryable failure itself
        if isinstance(exc, tweepy.Unauthorized | tweepy.Forbidden):
            raise SourceAuthError(
                f"{what}: X refused the credentials ({exc.response.status_code}: "
                f"{_api_messages(exc)}); check the token and that your access tier includes "
                "this endpoint") from None
        if isinstance(exc, tweepy.BadRequest):
            raise SourceRequestRefused(f"{what}: X answered 400: {_api_messages(exc)}") \
                from None
        raise SourceError(f"{what}: X answered {exc.response.status_code}: "
                          f"{_api_messages(exc)}; check user_id") from None
    except tweepy.TwitterServerError as exc:
        raise error(f"{what}: X server error {exc.response.status_code}; retrying later "
                    "with backoff") from None
    except tweepy.HTTPException as exc:
        if budget is not None:
            budget.update(exc.response.headers)
        raise error(f"{what}: X answered {exc.response.status_code}: "
                    f"{_api_messages(exc)}") from None
    except requests.RequestException as exc:
        raise error(f"{what}: network error talking to X: {type(exc).__name__}: {exc}") \
            from None
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        # tweepy builds its exceptions from the response: an error body that is not a JSON
        # object, or an x-rate-limit-reset that is not a number, breaks it (found by fuzzing)
        raise error(f"{what}: X sent an unreadable response ({type(exc).__name__}: "
                    f"{str(exc)[:200]}); retrying later") from None
    if budget is not None:
        budget.update(resp.headers)
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError):
        raise error(f"{what}: X sent a body that is not JSON ({resp.content[:80]!r}); "
                    "retrying later") from None
    if not isinstance(body, dict):
        raise error(f"{what}: X sent JSON that is not an object; retrying later")
    return body
