"""Meta's Graph API (Facebook Pages, Messenger, WhatsApp Cloud): requests, the usage budget
Meta reports in headers, the mapping of Graph errors, and the webhook signature.

Graph errors come as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
Throttling is reported by codes (4 app, 17 user, 32 Page, 613, 80001-80009 business use case,
130429/131056/131048 WhatsApp) and announced before it happens by the ``X-App-Usage``,
``X-Page-Usage`` and ``X-Business-Use-Case-Usage`` headers (percentages of the budget, and
``estimated_time_to_regain_access`` in minutes once it is spent).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests

from triage.clients.chat_http import Answer, JsonHttp
from triage.clock import Clock
from triage.errors import ChannelRefused, RateLimited, SourceAuthError, SourceError

log = logging.getLogger(__name__)

THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008,
                            80009, 130429, 131048, 131056})
"""Graph error codes that mean "too many calls" (app, user, Page, business use case, WhatsApp
throughput and pair limits)."""
TOKEN_CODES = frozenset({102, 190})
"""Graph error codes of an invalid or expired access token."""
TRANSIENT_CODES = frozenset({1, 2, 131000})
"""Unknown or temporary errors: retry later."""


def verify_hub_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``X-Hub-Signature-256: sha256=<hex>``) signs ``body`` with the app
    secret; compared in constant time."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    want = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, header[len("sha256="):].strip().lower())


def appsecret_proof(app_secret: str, token: str) -> str:
    """``appsecret_proof`` for Graph calls: HMAC-SHA256 of the token keyed by the app secret."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


class MetaUsage:
    """What Meta's usage headers say is used of the app's and the Page's call budgets."""

    def __init__(self, clock: Clock, limit_percent: int = 90) -> None:
        self.clock = clock
        self.limit = limit_percent
        self.used = 0
        """Highest share (percent) of any budget used, from the last answer's headers."""
        self.regain_at: datetime | None = None

    def update(self, headers: Mapping[str, str]) -> None:
        """Read the usage headers of one answer (absent or unreadable ones change nothing)."""
        shares: list[float] = []
        regain = 0
        for name in ("x-app-usage", "x-page-usage", "x-ad-account-usage"):
            raw = headers.get(name)
            if raw:
                try:
                    data = json.loads(raw)
                    shares += [float(v) for k, v in data.items() if k in (
                        "call_count", "total_time", "total_cputime")]
                except (ValueError, TypeError, AttributeError):
                    log.warning("ignoring an unreadable %s header", name)
        raw = headers.get("x-business-use-case-usage")
        if raw:
            try:
                for entries in json.loads(raw).values():
                    for e in entries:
                        shares += [float(e.get(k) or 0) for k in (
                            "call_count", "total_time", "total_cputime")]
                        regain = max(regain, int(e.get("estimated_time_to_regain_access") or 0))
            except (ValueError, TypeError, AttributeError):
                log.warning("ignoring an unreadable X-Business-Use-Case-Usage header")
        if shares:
            self.used = int(max(shares))
        if regain:
            self.regain_at = self.clock.now() + timedelta(minutes=regain)
        elif shares:
            self.regain_at = None

    def check(self, what: str) -> None:
        """Raise RateLimited, without a request, once the budget is used up to the limit."""
        if self.regain_at is not None and self.regain_at > self.clock.now():
            raise RateLimited(f"{what}: Meta's call budget is spent", reset_at=self.regain_at)
        if self.used >= self.limit and self.regain_at is None:
            # Meta counts in a rolling hour and gives no reset time before it is spent: pause
            # (the caller's default), then let one request through to read the usage again
            used, self.used = self.used, 0
            raise RateLimited(f"{what}: {used}% of Meta's call budget used (limit "
                              f"{self.limit}%)", reset_at=None)

    def describe(self) -> str:
        """Short text for logs: ``budget 12% used``."""
        return f"budget {self.used}% used"


class GraphApi:
    """One access token's Graph API client (a Page token, or a WhatsApp system-user token)."""

    def __init__(self, token: str, base_url: str, version: str, timeout: float, clock: Clock,
                 *, app_secret: str = "", usage_limit: int = 90,
                 session: requests.Session | None = None) -> None:
        self.token = token
        self.version = version
        self.app_secret = app_secret
        self.http = JsonHttp("the Graph API", base_url, timeout, session=session,
                             secrets=[token, app_secret])
        self.clock = clock
        self.usage = MetaUsage(clock, usage_limit)

    def _params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        out = dict(params or {})
        if self.app_secret:
            out["appsecret_proof"] = appsecret_proof(self.app_secret, self.token)
        return out

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            what: str) -> dict[str, Any]:
        """GET ``/{version}{path}``; return the JSON object. Raises as :meth:`check`."""
        self.usage.check(what)
        ans = self.http.request("GET", f"/{self.version}{path}", what=what,
                                params=self._params(params), headers=self._auth())
        return self.check(ans, what)

    def post(self, path: str, body: Mapping[str, Any], *, what: str,
             sending: bool = True) -> dict[str, Any]:
        """POST a JSON body to ``/{version}{path}``; return the JSON object. No usage check
        before (replies go out even near the limit); raises as :meth:`check`."""
        ans = self.http.request("POST", f"/{self.version}{path}", what=what,
                                params=self._params(None), json_body=dict(body),
                                headers=self._auth(), sending=sending)
        return self.check(ans, what)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def check(self, ans: Answer, what: str) -> dict[str, Any]:
        """Return the body of a successful answer; raise for a Graph error.

        Raises RateLimited (throttling codes or 429), SourceAuthError (invalid or expired
        token), SourceError (5xx, transient codes, malformed body), ChannelRefused (any other
        refusal, with Meta's code and subcode).
        """
        self.usage.update(ans.headers)
        body = ans.body
        if ans.status < 300 and isinstance(body, dict) and "error" not in body:
            return body
        err = body.get("error") if isinstance(body, dict) else None
        err = err if isinstance(err, dict) else {}
        code = _int(err.get("code"))
        sub = _int(err.get("error_subcode"))
        msg = str(err.get("message") or f"HTTP {ans.status}")[:300]
        label = f"{ans.status}, code {code}" + (f"/{sub}" if sub else "")
        if ans.status == 429 or code in THROTTLE_CODES:
            reset = self.usage.regain_at
            if reset is None:
                reset = self.clock.now() + timedelta(minutes=15)
            raise RateLimited(f"{what}: Meta throttled the call ({label}: {msg})",
                              reset_at=reset)
        if code in TOKEN_CODES or ans.status == 401:
            raise SourceAuthError(f"{what}: Meta refused the access token ({label}: {msg}); "
                                  "make a new token (docs/sources.md)")
        if ans.status >= 500 or code in TRANSIENT_CODES:
            raise SourceError(f"{what}: Graph API error ({label}: {msg}); retrying later")
        if ans.status < 300:
            raise SourceError(f"{what}: the Graph API sent an unexpected body; retrying later")
        raise ChannelRefused(f"{what}: Meta refused it ({label}: {msg})", status=ans.status,
                             code=code, subcode=sub)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
