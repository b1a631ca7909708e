"""Mastodon through Mastodon.py: client building, the rate budget, and the mapping of its
errors onto triage's exception tree. Shared by the Mastodon source and sender."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from triage.clock import Clock
from triage.config import MastodonSettings
from triage.config.secret_env import env_secret
from triage.errors import RateLimited, SourceAuthError, SourceError

log = logging.getLogger(__name__)
T = TypeVar("T")


def make_api(settings: MastodonSettings, environ: Mapping[str, str],
             session: requests.Session | None = None) -> Mastodon:
    """Build a Mastodon.py client for the configured instance and token.

    ``ratelimit_method="throw"``: Mastodon.py must never sleep inside a job; a spent budget
    pauses the source instead. Raises MissingSecretError when the token variable is unset.
    """
    token = env_secret(settings.access_token_env, environ,
                       f"sources.{settings.name}.access_token_env",
                       fix=f"export {settings.access_token_env} or put it in .env")
    return Mastodon(access_token=token, api_base_url=settings.instance_url.rstrip("/"),
                    ratelimit_method="throw", request_timeout=settings.request_timeout
                    .total_seconds(), session=session, version_check_mode="none")


def instance_host(url: str) -> str:
    """The host (and port) of an instance URL, used in message and thread ids."""
    return urlsplit(url).netloc or url


class MastodonBudget:
    """Reads the rate budget Mastodon.py tracks from ``X-RateLimit-*`` headers."""

    def __init__(self, api: Mastodon, clock: Clock) -> None:
        self.api = api
        self.clock = clock

    @property
    def reset_at(self) -> datetime | None:
        """When the window resets, if the instance said."""
        reset = getattr(self.api, "ratelimit_reset", None)
        if not reset:
            return None
        try:
            return datetime.fromtimestamp(float(reset), UTC)
        except (TypeError, ValueError, OverflowError, OSError):  # a reset header out of range
            return None

    def spent(self) -> bool:
        """True when no request is left in the window and it has not reset yet."""
        remaining = getattr(self.api, "ratelimit_remaining", None)
        if remaining is None or remaining > 0:
            return False
        reset = self.reset_at
        return reset is None or reset > self.clock.now()

    def check(self, what: str) -> None:
        """Raise RateLimited, without a request, when the budget is spent."""
        if self.spent():
            raise RateLimited(f"{what}: 0 of {self.api.ratelimit_limit} requests left",
                              reset_at=self.reset_at)

    def describe(self) -> str:
        """Short human text for logs."""
        reset = self.reset_at
        return (f"{self.api.ratelimit_remaining}/{self.api.ratelimit_limit} left"
                + (f", resets {reset.strftime('%H:%M:%SZ')}" if reset else ""))


def masto_call(fn: Callable[[], T], what: str, budget: MastodonBudget | None,
               *, error: type[Exception] = SourceError, not_found_ok: bool = False) -> T:
    """Make one Mastodon.py call.

    Raises RateLimited (429), SourceAuthError (401, source calls only), ``error`` for 5xx,
    network errors, malformed JSON and other API errors. With ``not_found_ok``,
    MastodonNotFoundError is re-raised as is (the caller handles a deleted status).
    """
    if budget is not None:
        budget.check(what)
    try:
        return fn()
    except MastodonRatelimitError:
        if budget is not None:
            budget.api.ratelimit_remaining = 0
        reset = budget.reset_at if budget is not None else None
        raise RateLimited(f"{what}: the instance answered 429 Too Many Requests",
                          reset_at=reset) from None
    except MastodonNotFoundError as exc:
        if not_found_ok:
            raise
        raise error(f"{what}: not found ({exc}); check instance_url") from None
    except MastodonUnauthorizedError as exc:
        if error is SourceError:
            raise SourceAuthError(f"{what}: the instance refused the access token ({exc}); "
                                  "create a new token with the scopes in docs/sources.md") \
                from None
        raise error(f"{what}: the instance refused the access token ({exc})") from None
    except MastodonServerError as exc:
        raise error(f"{what}: instance server error ({exc}); retrying later with backoff") \
            from None
    except MastodonNetworkError as exc:
        raise error(f"{what}: network error talking to the instance: {exc}") from None
    except (MastodonAPIError, MastodonError, ValueError) as exc:
        raise error(f"{what}: the instance sent something unusable: {str(exc)[:300]}") \
            from None


def to_json_bytes(obj: Any) -> bytes:
    """Serialise a Mastodon.py entity (dicts with datetimes) as JSON bytes."""

    def default(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.isoformat()
        return str(v)

    return json.dumps(obj, default=default, ensure_ascii=False, sort_keys=True).encode()
