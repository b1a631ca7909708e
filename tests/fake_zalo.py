"""A local server speaking the Zalo OA Open API JSON: recent chats and a user's conversation
(``data`` query parameter, ``offset``/``count`` of at most 10), consultation messages with the
7-day window, the OAuth token refresh (single-use refresh tokens, ``expires_in`` as a string),
errors as HTTP 200 with a negative ``error`` (-216 invalid token, -32 call limit, -230 outside
the window), and the documented webhook body signed with ``X-ZEvent-Signature``."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from tests.fake_http import FakeBase
from triage.clock import FrozenClock

OA_ID = "4321"
APP_ID = "8765"
APP_SECRET = "zalo-app-secret"
OA_SECRET = "zalo-oa-secret-key"
FIRST_ACCESS = "zalo-access-1"
FIRST_REFRESH = "zalo-refresh-1"


def zalo_mac(body: bytes, secret: str = OA_SECRET) -> str:
    """The ``X-ZEvent-Signature`` of a delivery: sha256(app_id + body + timestamp + secret)."""
    data = json.loads(body)
    signed = str(data["app_id"]).encode() + body + f"{data['timestamp']}{secret}".encode()
    return "mac=" + hashlib.sha256(signed).hexdigest()


class FakeZalo(FakeBase):
    """The OA API and OAuth server of one Official Account (``OA_ID``)."""

    def __init__(self, clock: FrozenClock) -> None:
        self.messages: list[dict[str, Any]] = []
        self.access = {FIRST_ACCESS}
        self.refresh = {FIRST_REFRESH}
        self.refreshes = 0
        self.seq = 7000
        self.limit_next = 0
        self.sent: list[dict[str, Any]] = []
        self.send_delay = 0.0
        self.arrived = threading.Event()
        super().__init__(clock)

    def _mid(self) -> str:
        self.seq += 1
        return f"z{self.seq}abc"

    def user_message(self, user: str, name: str, text: str, *,
                     ago: timedelta = timedelta(minutes=2), kind: str = "text") -> str:
        """A user's message to the OA ``ago`` before now; returns its message id."""
        with self.lock:
            mid = self._mid()
            self.messages.append({
                "src": 1, "time": int((self.clock.now() - ago).timestamp() * 1000),
                "type": kind, "message": text if kind == "text" else "", "message_id": mid,
                "from_id": user, "from_display_name": name, "from_avatar": "",
                "to_id": OA_ID, "to_display_name": "Acme OA", "to_avatar": ""})
        return mid

    def expire_access_tokens(self) -> None:
        """Every access token handed out so far stops working (as after 25 hours)."""
        with self.lock:
            self.access.clear()

    def webhook_event(self, user: str, text: str) -> tuple[bytes, str]:
        """The webhook body of a ``user_send_text`` event (and its msg_id)."""
        mid = self._mid()
        ts = str(int(self.clock.now().timestamp() * 1000))
        self.messages.append({"src": 1, "time": int(ts), "type": "text", "message": text,
                              "message_id": mid, "from_id": user, "from_display_name": "",
                              "to_id": OA_ID, "to_display_name": "Acme OA"})
        return json.dumps({"app_id": APP_ID, "user_id_by_app": "5550" + user,
                           "event_name": "user_send_text", "timestamp": ts,
                           "sender": {"id": user}, "recipient": {"id": OA_ID},
                           "message": {"text": text, "msg_id": mid}}).encode(), mid

    # ---------------------------------------------------------------- serving
    def error_body(self, status: int) -> Any:
        return {"error": -500, "message": "Internal error"}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/v4/oa/access_token" and method == "POST":
            return self._refresh(parse_qs(body.decode()), headers)
        if headers.get("access_token") not in self.access:
            return 200, {"error": -216, "message": "Access token is invalid"}, {}
        if self.limit_next > 0:
            self.limit_next -= 1
            return 200, {"error": -32, "message": "Your application reached limit call api"}, {}
        data = json.loads(query["data"][0]) if "data" in query else {}
        if method == "GET" and path == "/v2.0/oa/listrecentchat":
            latest: dict[str, dict[str, Any]] = {}
            for m in sorted(self.messages, key=lambda m: m["time"]):
                user = m["to_id"] if m["from_id"] == OA_ID else m["from_id"]
                latest[user] = m
            rows = sorted(latest.values(), key=lambda m: -m["time"])
            return 200, self._slice(rows, data), {}
        if method == "GET" and path == "/v2.0/oa/conversation":
            user = str(data.get("user_id"))
            rows = sorted((m for m in self.messages if user in (m["from_id"], m["to_id"])),
                          key=lambda m: -m["time"])
            return 200, self._slice(rows, data), {}
        if method == "POST" and path == "/v3.0/oa/message/cs":
            return self._send_cs(json.loads(body))
        return 200, {"error": -201, "message": "API not found"}, {}

    @staticmethod
    def _slice(rows: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
        count = int(data.get("count", 10))
        if count > 10:
            return {"error": -210, "message": "count must be between 1 and 10"}
        offset = int(data.get("offset", 0))
        return {"data": rows[offset:offset + count], "error": 0, "message": "Success"}

    def _send_cs(self, req: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        user = str(req["recipient"]["user_id"])
        last = max((m["time"] for m in self.messages if m["from_id"] == user), default=None)
        now_ms = self.clock.now().timestamp() * 1000
        if last is None or now_ms - last > 7 * 86400 * 1000:
            return 200, {"error": -230, "message": "User has not interacted with the OA in "
                         "the past 7 days"}, {}
        mid = self._mid()
        text = req["message"]["text"]
        self.messages.append({"src": 0, "time": int(now_ms), "type": "text", "message": text,
                              "message_id": mid, "from_id": OA_ID,
                              "from_display_name": "Acme OA", "to_id": user,
                              "to_display_name": ""})
        self.sent.append({"to": user, "text": text, "id": mid})
        self.arrived.set()
        if self.send_delay:
            self.lock.release()
            try:
                time.sleep(self.send_delay)
            finally:
                self.lock.acquire()
        return 200, {"data": {"message_id": mid, "user_id": user}, "error": 0,
                     "message": "Success"}, {}

    def _refresh(self, form: dict[str, list[str]],
                 headers: Any) -> tuple[int, Any, dict[str, str]]:
        token = (form.get("refresh_token") or [""])[0]
        if headers.get("secret_key") != APP_SECRET or (form.get("app_id") or [""])[0] != APP_ID:
            return 200, {"error": -14002, "error_name": "Invalid app", "error_reason":
                         "App secret key is invalid", "error_description": ""}, {}
        if token not in self.refresh:
            return 200, {"error": -14014, "error_name": "Invalid refresh token",
                         "error_reason": "Refresh token is invalid or was used already",
                         "error_description": ""}, {}
        self.refresh.discard(token)  # single use
        self.refreshes += 1
        access, refresh = f"zalo-access-{self.refreshes + 1}", f"zalo-refresh-{self.refreshes + 1}"
        self.access.add(access)
        self.refresh.add(refresh)
        return 200, {"access_token": access, "refresh_token": refresh,
                     "expires_in": "90000"}, {}

