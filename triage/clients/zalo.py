"""The Zalo Official Account Open API: recent chats, a user's conversation, consultation
messages, the access-token refresh, and the webhook signature.

Zalo answers HTTP 200 with ``{"error": 0, "message": "Success", "data": ...}``; a non-zero
``error`` is the failure (-216/-220/-124: the access token is invalid or expired, -32: the
app's call limit, -230/-232: the user is outside the reply window). Access tokens live about
25 hours; the refresh token is single use, so every refresh returns a new pair that must be
kept (the caller's :class:`TokenStore`; tokens never reach a log line).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests

from triage.clients.chat_http import JsonHttp, Pause
from triage.clock import Clock
from triage.errors import ChannelRefused, RateLimited, SourceAuthError, SourceError

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({-216, -220, -124})
"""Zalo errors of an invalid or expired access token."""
RATE_ERRORS = frozenset({-32})
"""Zalo's "application reached limit call api"."""
WINDOW_ERRORS = frozenset({-230, -232})
"""The user has not interacted with the OA recently enough for a consultation message."""
RATE_PAUSE_SECONDS = 60.0
"""Zalo's limits count per minute and it gives no reset time."""
REFRESH_MARGIN = timedelta(minutes=5)
"""Refresh this long before the stored expiry, rather than fail one call first."""
MAX_TEXT = 2000
"""Longest text of a consultation message."""


def verify_zalo_signature(oa_secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``X-ZEvent-Signature: mac=<hex>``) is
    ``sha256(app_id + body + timestamp + oa_secret)``, with ``app_id`` and ``timestamp`` read
    from the JSON body itself; compared in constant time."""
    if not oa_secret or not header:
        return False
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    mac = header.strip()
    mac = mac[4:] if mac.lower().startswith("mac=") else mac
    signed = (f"{data.get('app_id', '')}".encode() + body
              + f"{data.get('timestamp', '')}{oa_secret}".encode())
    return hmac.compare_digest(hashlib.sha256(signed).hexdigest(), mac.lower())


class Tokens(Protocol):
    """A source's current token pair (see ``triage.store.channel_state.TokenPair``)."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None
    version: int


class TokenStore(Protocol):
    """Where the pair is kept between processes and restarts (the triage store)."""

    def current(self) -> Tokens:
        """The pair to use now."""
        ...

    def replace(self, old_version: int, access_token: str, refresh_token: str,
                expires_at: datetime | None) -> bool:
        """Save a refreshed pair if the kept one is still ``old_version``."""
        ...


class ZaloApi:
    """One OA's client. Refreshes the access token before it expires, and once when Zalo
    says it is invalid; another process's refresh is picked up from the token store."""

    def __init__(self, *, app_id: str, app_secret: str, tokens: TokenStore, base_url: str,
                 oauth_base_url: str, timeout: float, clock: Clock,
                 session: requests.Session | None = None) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.tokens = tokens
        self.clock = clock
        self.http = JsonHttp("Zalo", base_url, timeout, session=session, secrets=[app_secret])
        self.oauth = JsonHttp("Zalo OAuth", oauth_base_url, timeout, session=self.http.session,
                              secrets=[app_secret])
        self.pause = Pause(clock)

    # ------------------------------------------------------------------ calls
    def call(self, method: str, path: str, *, what: str, data: Mapping[str, Any] | None = None,
             json_body: Mapping[str, Any] | None = None, sending: bool = False) -> Any:
        """Call the OA API and return ``data`` of a successful answer.

        ``data`` goes as the JSON-encoded ``data`` query parameter (Zalo's GET convention).
        Raises RateLimited (-32, 429), SourceAuthError (the token cannot be refreshed),
        ChannelRefused (other errors, with Zalo's code), SourceError (network, 5xx); with
        ``sending``, SendError/SendInDoubt for network errors.
        """
        self.pause.check(what)
        pair = self._fresh()
        for attempt in (1, 2):
            params = {"data": json.dumps(dict(data), separators=(",", ":"))} if data else None
            self.http.secrets = [self.app_secret, pair.access_token, pair.refresh_token]
            ans = self.http.request(method, path, what=what, params=params,
                                    json_body=json_body, sending=sending,
                                    headers={"access_token": pair.access_token})
            body = ans.body if isinstance(ans.body, dict) else {}
            code = _int(body.get("error"))
            if ans.status == 200 and code == 0:
                return body.get("data")
            msg = str(body.get("message") or f"HTTP {ans.status}")[:300]
            if code in TOKEN_ERRORS and attempt == 1:
                log.info("%s: Zalo says the access token is no longer valid (%s); refreshing",
                         what, code)
                pair = self._refresh(pair)
                continue
            if code in TOKEN_ERRORS:
                raise SourceAuthError(f"{what}: Zalo refused a just refreshed access token "
                                      f"({code}: {msg}); re-authorise the app")
            if code in RATE_ERRORS or ans.status == 429:
                until = self.pause.set(RATE_PAUSE_SECONDS)
                raise RateLimited(f"{what}: Zalo's call limit ({code}: {msg})", reset_at=until)
            if ans.status >= 500 or (ans.status != 200 and code is None):
                raise SourceError(f"{what}: Zalo server error {ans.status}; retrying later")
            if code is None:
                raise SourceError(f"{what}: Zalo sent an unexpected answer; retrying later")
            raise ChannelRefused(f"{what}: Zalo refused it ({code}: {msg})", status=ans.status,
                                 code=code)
        raise AssertionError("unreachable")

    def recent_chats(self, offset: int, count: int) -> list[dict[str, Any]]:
        """The latest message of the OA's most recent chats, newest first."""
        got = self.call("GET", "/v2.0/oa/listrecentchat", what="zalo listrecentchat",
                        data={"offset": offset, "count": count})
        return [m for m in got or [] if isinstance(m, dict)]

    def conversation(self, user_id: str, offset: int, count: int) -> list[dict[str, Any]]:
        """Messages between the OA and ``user_id``, newest first."""
        got = self.call("GET", "/v2.0/oa/conversation", what=f"zalo conversation {user_id}",
                        data={"user_id": user_id, "offset": offset, "count": count})
        return [m for m in got or [] if isinstance(m, dict)]

    def send_text(self, user_id: str, text: str) -> str:
        """Send a consultation message; return Zalo's message id."""
        got = self.call("POST", "/v3.0/oa/message/cs", what=f"zalo message to {user_id}",
                        json_body={"recipient": {"user_id": user_id},
                                   "message": {"text": text}}, sending=True)
        mid = str((got or {}).get("message_id") or "") if isinstance(got, dict) else ""
        if not mid:
            raise SourceError(f"zalo message to {user_id}: no message id in the answer")
        return mid

    # ----------------------------------------------------------------- tokens
    def _fresh(self) -> Tokens:
        pair = self.tokens.current()
        if pair.expires_at is not None and pair.expires_at - REFRESH_MARGIN <= self.clock.now():
            return self._refresh(pair)
        return pair

    def _refresh(self, pair: Tokens) -> Tokens:
        """Trade the refresh token for a new pair and keep it. If another process refreshed
        first (our refresh token is then spent), use the pair it kept.

        Raises SourceAuthError when Zalo refuses and no newer pair is kept.
        """
        what = "zalo token refresh"
        ans = self.oauth.request(
            "POST", "/v4/oa/access_token", what=what,
            data={"refresh_token": pair.refresh_token, "app_id": self.app_id,
                  "grant_type": "refresh_token"},
            headers={"secret_key": self.app_secret})
        body = ans.body if isinstance(ans.body, dict) else {}
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if ans.status == 200 and access and refresh:
            try:
                ttl = float(body.get("expires_in") or 0)
            except (TypeError, ValueError):
                ttl = 0
            expires = self.clock.now() + timedelta(seconds=ttl) if ttl > 0 else None
            if self.tokens.replace(pair.version, str(access), str(refresh), expires):
                log.info("%s: new access token kept (valid %d s)", what, int(ttl))
            else:
                log.info("%s: another process refreshed first; using its tokens", what)
            return self.tokens.current()
        latest = self.tokens.current()
        if latest.version != pair.version:
            return latest
        reason = str(body.get("error_reason") or body.get("error_name") or body.get("message")
                     or f"HTTP {ans.status}")[:200]
        if ans.status >= 500:
            raise SourceError(f"{what}: Zalo OAuth server error {ans.status}; retrying later")
        raise SourceAuthError(f"{what}: Zalo refused the refresh token ({body.get('error')}: "
                              f"{reason}); re-authorise the app and put the new refresh token "
                              "in refresh_token_env")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
