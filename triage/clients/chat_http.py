"""HTTP plumbing shared by the chat platform clients (Telegram, Graph API, Zalo): one JSON
request with a timeout, network errors told apart by whether the request may have reached the
platform, secrets scrubbed from every error text, and a pause taken from a rate-limit answer.

Why not the platforms' Python SDKs: Meta's ``facebook-sdk`` was last released in 2018, there
is no maintained Zalo OA SDK, the Telegram frameworks (python-telegram-bot, aiogram) run
their own asyncio loop and ``pyTelegramBotAPI`` keeps its base URL in a module global; each
client here is a few small typed functions over ``requests`` instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from triage.clock import Clock
from triage.errors import RateLimited, SendError, SendInDoubt, SourceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, JSON body (None when empty) and headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***`` (URLs in errors may carry a token)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (connection never made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return isinstance(inner, NewConnectionError) or "refused" in str(exc).lower()
    return False


class JsonHttp:
    """Sends JSON requests to one platform; ``secrets`` never appear in an error text."""

    def __init__(self, platform: str, base_url: str, timeout: float, *,
                 session: requests.Session | None = None,
                 secrets: Sequence[str] = ()) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.secrets = [s for s in secrets if s]

    def request(self, method: str, url_or_path: str, *, what: str,
                params: Mapping[str, Any] | None = None, json_body: Any = None,
                data: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, timeout: float | None = None,
                sending: bool = False) -> Answer:
        """Make one request; return the answer whatever its status.

        Raises SourceError (or, with ``sending``, SendError when the request never left,
        SendInDoubt when it may have reached the platform) on network errors and on a body
        that is not JSON.
        """
        url = url_or_path if url_or_path.startswith("http") else self.base_url + url_or_path
        try:
            resp = self.session.request(method, url, params=params, json=json_body, data=data,
                                        headers=dict(headers or {}),
                                        timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            detail = scrub(f"{type(exc).__name__}: {exc}", self.secrets)[:300]
            if not sending:
                raise SourceError(f"{what}: network error talking to {self.platform}: "
                                  f"{detail}") from None
            if _never_sent(exc):
                raise SendError(f"{what}: {self.platform} unreachable ({detail}); retrying "
                                "later") from None
            raise SendInDoubt(f"{what}: the connection to {self.platform} broke after the "
                              f"request was sent ({detail}); it may have been delivered") \
                from None
        body: Any = None
        if resp.content:
            try:
                body = resp.json()
            except (ValueError, json.JSONDecodeError):
                msg = (f"{what}: {self.platform} answered {resp.status_code} with a body that "
                       f"is not JSON ({scrub(repr(resp.content[:80]), self.secrets)})")
                if sending and resp.status_code < 300:
                    raise SendInDoubt(msg + "; it may have been delivered") from None
                raise (SendError if sending else SourceError)(msg + "; retrying later") \
                    from None
        return Answer(resp.status_code, body, resp.headers)


class Pause:
    """A platform said "too many requests" until some time: no request before then."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.until: datetime | None = None

    def set(self, seconds: float | None) -> datetime | None:
        """Start a pause of ``seconds`` (None: unknown length); return its end, if known."""
        if seconds is None:
            self.until = None
            return None
        self.until = self.clock.now() + timedelta(seconds=max(1.0, float(seconds)))
        return self.until

    def check(self, what: str) -> None:
        """Raise RateLimited, without a request, while a pause runs."""
        if self.until is not None and self.until > self.clock.now():
            raise RateLimited(f"{what}: paused by the platform's rate limit", reset_at=self.until)
