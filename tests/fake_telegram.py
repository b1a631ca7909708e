"""A local server speaking the Telegram Bot API: ``getUpdates`` with offsets (updates below
the offset are confirmed and forgotten), long polling (``timeout``), ``sendMessage`` with
``reply_to_message_id``; 401 for an unknown token, 409 while a webhook is set, 429 with
``retry_after``, 403 for a bot blocked by the user, 400 for an unknown chat."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from tests.fake_http import FakeBase
from triage.clock import FrozenClock

BOT_ID = "7001"
TOKEN = f"{BOT_ID}:AAH-fake-secret-token"


class FakeTelegram(FakeBase):
    """The Bot API of one bot (``TOKEN``)."""

    def __init__(self, clock: FrozenClock, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.confirmed = 0
        """Every update with an id below this was confirmed (a getUpdates with a higher offset)."""
        self.next_update = 500
        self.next_message: dict[int, int] = {}
        self.sent: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self.webhook_set = False
        self.retry_after = 7
        self.send_delay = 0.0
        """Seconds ``sendMessage`` waits before answering (the message is recorded first)."""
        self.arrivals = threading.Condition()
        super().__init__(clock)

    def user(self, uid: int, first: str, last: str = "", username: str = "",
             lang: str = "en") -> dict[str, Any]:
        """A Telegram User object."""
        u: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": first,
                             "language_code": lang}
        if last:
            u["last_name"] = last
        if username:
            u["username"] = username
        return u

    def customer_message(self, chat_id: int, user: dict[str, Any], text: str | None, *,
                         chat_type: str = "private", reply_to: int | None = None,
                         extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Queue an update carrying a new message from ``user`` in ``chat_id``."""
        with self.lock:
            mid = self.next_message.get(chat_id, 10) + 1
            self.next_message[chat_id] = mid
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat.update(first_name=user["first_name"])
            else:
                chat.update(title="Support group")
            msg: dict[str, Any] = {"message_id": mid, "from": user, "chat": chat,
                                   "date": int(self.clock.now().timestamp()) - 60}
            if text is not None:
                msg["text"] = text
            if reply_to is not None:
                msg["reply_to_message"] = {"message_id": reply_to, "chat": chat,
                                           "date": msg["date"] - 60}
            msg.update(extra or {})
            self.next_update += 1
            update = {"update_id": self.next_update, "message": msg}
            self.updates.append(update)
        with self.arrivals:
            self.arrivals.notify_all()
        return update

    def raw_update(self, update: dict[str, Any]) -> None:
        """Queue an update as given (edited messages, malformed ones)."""
        with self.lock:
            self.next_update += 1
            self.updates.append({"update_id": self.next_update, **update})

    def error_body(self, status: int) -> Any:
        if status == 429:
            return {"ok": False, "error_code": 429, "description": "Too Many Requests: retry "
                    f"after {self.retry_after}", "parameters": {"retry_after": self.retry_after}}
        return {"ok": False, "error_code": status, "description": "Internal Server Error"}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        prefix, _, name = path.strip("/").rpartition("/")
        if prefix != f"bot{self.token}":
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        args = json.loads(body) if body else {k: v[0] for k, v in query.items()}
        if name == "getUpdates":
            return self._get_updates(args)
        if name == "sendMessage":
            return self._send_message(args)
        if name == "getMe":
            return 200, {"ok": True, "result": {"id": int(self.token.split(":")[0]),
                                                "is_bot": True, "first_name": "Acme"}}, {}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}

    def _get_updates(self, args: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if self.webhook_set:
            return 409, {"ok": False, "error_code": 409, "description": "Conflict: can't use "
                         "getUpdates method while webhook is active; use deleteWebhook to "
                         "delete the webhook first"}, {}
        offset = int(args.get("offset") or 0)
        limit = min(100, int(args.get("limit") or 100))
        wait = float(args.get("timeout") or 0)
        if offset:
            self.confirmed = max(self.confirmed, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + wait
        while not self.updates and time.monotonic() < deadline:
            self.lock.release()  # long polling: let other requests in while we wait
            try:
                with self.arrivals:
                    self.arrivals.wait(max(0.0, deadline - time.monotonic()))
            finally:
                self.lock.acquire()
        return 200, {"ok": True, "result": self.updates[:limit]}, {}

    def _send_message(self, args: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        chat_id = int(args["chat_id"])
        if chat_id in self.blocked:
            return 403, {"ok": False, "error_code": 403,
                         "description": "Forbidden: bot was blocked by the user"}, {}
        if chat_id not in self.next_message:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: chat not found"}, {}
        mid = self.next_message[chat_id] + 1
        self.next_message[chat_id] = mid
        record = {"chat_id": chat_id, "text": args["text"], "message_id": mid,
                  "reply_to_message_id": args.get("reply_to_message_id")}
        self.sent.append(record)
        if self.send_delay:
            self.lock.release()
            try:
                time.sleep(self.send_delay)
            finally:
                self.lock.acquire()
        result: dict[str, Any] = {
            "message_id": mid, "date": int(self.clock.now().timestamp()),
            "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Acme"},
            "chat": {"id": chat_id, "type": "private"}, "text": args["text"]}
        if args.get("reply_to_message_id"):
            result["reply_to_message"] = {"message_id": args["reply_to_message_id"]}
        return 200, {"ok": True, "result": result}, {}
