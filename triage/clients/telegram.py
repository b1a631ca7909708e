"""The Telegram Bot API: ``getUpdates`` (long polling) and ``sendMessage``.

Every method is ``POST {base}/bot<token>/<method>`` with a JSON body and answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": "...",
"parameters": {"retry_after": S}}``. The token is part of the URL, so it is scrubbed from
every error text this client raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests

from triage.clients.chat_http import JsonHttp, Pause
from triage.clock import Clock
from triage.errors import (
    ChannelRefused,
    MissingSecretError,
    RateLimited,
    SourceAuthError,
    SourceError,
)

log = logging.getLogger(__name__)

MAX_TEXT = 4096
"""Longest text of one message (Telegram counts UTF-16 code units; we count characters)."""


def bot_token(env_name: str, environ: Mapping[str, str], key: str) -> str:
    """The bot token from the environment; raises MissingSecretError when unset."""
    token = environ.get(env_name, "")
    if not token:
        raise MissingSecretError(f"environment variable {env_name} is not set", key=key,
                                 fix=f"export {env_name} (the token from @BotFather)")
    return token


class TelegramApi:
    """A bot's Bot API client; ``bot_id`` is the numeric id at the front of the token."""

    def __init__(self, token: str, base_url: str, timeout: float, clock: Clock, *,
                 session: requests.Session | None = None) -> None:
        self.token = token
        self.bot_id = token.split(":", 1)[0] if ":" in token else "bot"
        self.http = JsonHttp("Telegram", base_url, timeout, session=session, secrets=[token])
        self.clock = clock
        self.pause = Pause(clock)

    def call(self, method: str, payload: Mapping[str, Any], *, what: str,
             timeout: float | None = None, sending: bool = False) -> Any:
        """Call ``method`` and return its ``result``.

        Raises RateLimited (429, with Telegram's ``retry_after``), SourceAuthError (401, or
        404 for a token Telegram does not know), ChannelRefused (other 4xx, with the code),
        SourceError (5xx, malformed answers) and, with ``sending``, SendError/SendInDoubt for
        network errors.
        """
        self.pause.check(what)
        ans = self.http.request("POST", f"/bot{self.token}/{method}", what=what,
                                json_body=dict(payload), timeout=timeout, sending=sending)
        body = ans.body if isinstance(ans.body, dict) else {}
        if ans.status == 200 and body.get("ok") is True:
            return body.get("result")
        code = int(body.get("error_code") or ans.status)
        desc = str(body.get("description") or f"HTTP {ans.status}")[:300]
        params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        if code == 429:
            until = self.pause.set(params.get("retry_after"))
            raise RateLimited(f"{what}: Telegram answered 429 ({desc})", reset_at=until)
        if code in (401, 404) and ans.status in (401, 404):
            raise SourceAuthError(f"{what}: Telegram refused the bot token ({code}: {desc}); "
                                  "check bot_token_env")
        if code >= 500 or ans.status >= 500:
            raise SourceError(f"{what}: Telegram server error {code} ({desc}); retrying later")
        if ans.status == 200:  # 200 without ok=true: not the Bot API
            raise SourceError(f"{what}: Telegram sent an unexpected answer; retrying later")
        raise ChannelRefused(f"{what}: Telegram answered {code}: {desc}", status=ans.status,
                             code=code)

    def get_updates(self, offset: int | None, limit: int, wait: float) -> list[dict[str, Any]]:
        """Updates from ``offset`` on (every older one is then confirmed and forgotten by
        Telegram), waiting up to ``wait`` seconds for the first one."""
        payload: dict[str, Any] = {"limit": limit, "timeout": int(wait),
                                   "allowed_updates": ["message"]}
        if offset is not None:
            payload["offset"] = offset
        result = self.call("getUpdates", payload, what="telegram getUpdates",
                           timeout=self.http.timeout + wait)
        if not isinstance(result, list):
            raise SourceError("telegram getUpdates: the result is not a list; retrying later")
        return [u for u in result if isinstance(u, dict)]

    def send_message(self, chat_id: int | str, text: str,
                     reply_to_message_id: int | None) -> dict[str, Any]:
        """Send ``text`` to ``chat_id`` as a reply to ``reply_to_message_id``; return the new
        Message. A deleted original does not stop the reply (it is sent unthreaded)."""
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if reply_to_message_id is not None:
            payload["reply_to_message_id"] = reply_to_message_id
            payload["allow_sending_without_reply"] = True
        result = self.call("sendMessage", payload, what=f"telegram sendMessage to {chat_id}",
                           sending=True)
        if not isinstance(result, dict):
            raise SourceError("telegram sendMessage: the result is not a Message")
        return result
