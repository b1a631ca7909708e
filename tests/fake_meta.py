"""A local server speaking Meta's Graph API JSON for a Facebook Page and a WhatsApp Business
number: Messenger conversations and messages, the Page feed and comments (cursor paging with
``after``/``next``), the Send API with the 24-hour window and the HUMAN_AGENT tag, comment
replies, the WhatsApp messages endpoint with its customer-service window; Graph errors
(190 expired token, 80001/4 throttling with the usage headers, 10/2018278 outside the
window, 131047 re-engagement); and the documented webhook bodies, signed like Meta signs them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from tests.fake_http import FakeBase
from triage.clock import FrozenClock

PAGE_ID = "9001"
PAGE_TOKEN = "EAAG-page-token-secret"
WA_NUMBER_ID = "5550001"
WA_TOKEN = "EAAG-wa-system-user-secret"
APP_SECRET = "meta-app-secret-123"
VERSION = "v25.0"


def graph_time(t: datetime) -> str:
    """Graph's time format."""
    return t.strftime("%Y-%m-%dT%H:%M:%S+0000")


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """The ``X-Hub-Signature-256`` header Meta sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _cursor(i: int) -> str:
    return base64.b64encode(f"i:{i}".encode()).decode()


def _index(cursor: str | None) -> int:
    return int(base64.b64decode(cursor).decode()[2:]) if cursor else 0


def graph_error(code: int, message: str, subcode: int | None = None,
                **extra: Any) -> dict[str, Any]:
    """The Graph API error body."""
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                           "fbtrace_id": "AbCdEfGh123", **extra}
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


class FakeMeta(FakeBase):
    """Graph API for one Page (``PAGE_ID``) and one WhatsApp number (``WA_NUMBER_ID``)."""

    def __init__(self, clock: FrozenClock) -> None:
        self.conversations: dict[str, dict[str, Any]] = {}
        self.posts: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.seq = 100
        self.sent: list[dict[str, Any]] = []
        """Messenger messages, comment replies and WhatsApp messages received, in order."""
        self.wa_last_inbound: dict[str, datetime] = {}
        self.expired: set[str] = set()
        self.usage = 5
        self.throttle_next = 0
        self.regain_minutes = 12
        self.send_delay = 0.0
        self.arrived = threading.Event()
        super().__init__(clock)

    # ------------------------------------------------------------ seeding
    def _id(self, prefix: str) -> str:
        self.seq += 1
        return f"{prefix}{self.seq}"

    def _conv(self, psid: str, name: str) -> dict[str, Any]:
        for conv in self.conversations.values():
            if conv["psid"] == psid:
                return conv
        conv = {"id": self._id("t_"), "psid": psid, "name": name, "messages": []}
        self.conversations[conv["id"]] = conv
        return conv

    def dm(self, psid: str, name: str, text: str, *, ago: timedelta = timedelta(minutes=2),
           mid: str | None = None) -> str:
        """A customer's Messenger message to the Page ``ago`` before now; returns its mid."""
        with self.lock:
            conv = self._conv(psid, name)
            mid = mid or self._id("m_")
            conv["messages"].append({"id": mid, "message": text, "from_id": psid,
                                     "created": self.clock.now() - ago})
        return mid

    def post(self, text: str, *, ago: timedelta = timedelta(days=1)) -> str:
        """A post of the Page; returns its id."""
        with self.lock:
            pid = f"{PAGE_ID}_{self._id('')}"
            t = self.clock.now() - ago
            self.posts[pid] = {"id": pid, "message": text, "created": t, "updated": t}
        return pid

    def comment(self, post_id: str, user_id: str, name: str, text: str, *,
                parent: str | None = None, ago: timedelta = timedelta(minutes=3)) -> str:
        """A comment (or, with ``parent``, a reply to one) on a post; returns its id."""
        with self.lock:
            cid = f"{post_id.split('_')[1]}_{self._id('')}"
            t = self.clock.now() - ago
            self.comments[cid] = {"id": cid, "post": post_id, "parent": parent, "from_id": user_id,
                                  "name": name, "message": text, "created": t}
            self.posts[post_id]["updated"] = max(self.posts[post_id]["updated"], t)
        return cid

    # ---------------------------------------------------------- webhook bodies
    def messenger_event(self, psid: str, mid: str, text: str) -> bytes:
        """The Page webhook body of one Messenger message."""
        ts = int(self.clock.now().timestamp() * 1000)
        return json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": ts, "messaging": [{
            "sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": ts,
            "message": {"mid": mid, "text": text}}]}]}).encode()

    def comment_event(self, post_id: str, cid: str, user_id: str, name: str,
                      text: str) -> bytes:
        """The Page webhook body of one new comment (``feed`` field)."""
        ts = int(self.clock.now().timestamp())
        return json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": ts * 1000,
                           "changes": [{"field": "feed", "value": {
                               "from": {"id": user_id, "name": name},
                               "post": {"status_type": "added_photos", "is_published": True,
                                        "id": post_id},
                               "message": text, "post_id": post_id, "comment_id": cid,
                               "created_time": ts, "item": "comment", "parent_id": post_id,
                               "verb": "add"}}]}]}).encode()

    def whatsapp_event(self, wa_id: str, name: str, text: str, *,
                       number_id: str = WA_NUMBER_ID) -> tuple[bytes, str]:
        """The WhatsApp webhook body of one text message (and its wamid); the message also
        opens the customer-service window here."""
        wamid = "wamid." + self._id("HBgL")
        ts = int(self.clock.now().timestamp())
        self.wa_last_inbound[wa_id] = self.clock.now()
        return json.dumps({"object": "whatsapp_business_account", "entry": [{
            "id": "WABA-77", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "6281100000", "phone_number_id": number_id},
                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                "messages": [{"from": wa_id, "id": wamid, "timestamp": str(ts), "type": "text",
                              "text": {"body": text}}]}}]}]}).encode(), wamid

    def whatsapp_status_event(self, wamid: str, wa_id: str) -> bytes:
        """A ``statuses`` delivery (read receipt): no message."""
        return json.dumps({"object": "whatsapp_business_account", "entry": [{
            "id": "WABA-77", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "6281100000",
                             "phone_number_id": WA_NUMBER_ID},
                "statuses": [{"id": wamid, "status": "read", "recipient_id": wa_id,
                              "timestamp": str(int(self.clock.now().timestamp()))}]}}]}]
        }).encode()

    # ----------------------------------------------------------------- serving
    def error_body(self, status: int) -> Any:
        if status == 429:
            return graph_error(4, "(#4) Application request limit reached")
        return graph_error(2, "An unexpected error has occurred. Please retry your request "
                           "later.")

    def headers(self) -> dict[str, str]:
        """The usage header Meta sends with every answer."""
        return {"X-App-Usage": json.dumps({"call_count": self.usage, "total_cputime": 1,
                                           "total_time": 1})}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        h = self.headers()
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if token in self.expired:
            return 400, graph_error(190, "Error validating access token: Session has expired "
                                    "on Friday.", 463), h
        if token not in (PAGE_TOKEN, WA_TOKEN):
            return 400, graph_error(190, "Invalid OAuth access token - Cannot parse access "
                                    "token"), h
        if self.throttle_next > 0 and method == "GET":
            self.throttle_next -= 1
            usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 20,
                                "total_time": 30,
                                "estimated_time_to_regain_access": self.regain_minutes}]}
            return 400, graph_error(80001, "(#80001) There have been too many calls to this "
                                    "Page account. Wait a bit and try again."), \
                {**h, "X-Business-Use-Case-Usage": json.dumps(usage)}
        parts = path.strip("/").split("/")
        if parts[0] != VERSION:
            return 400, graph_error(2635, f"unknown version {parts[0]}"), h
        q = {k: v[0] for k, v in query.items()}
        data = json.loads(body) if body else {}
        route = parts[1:]
        if method == "GET" and route == [PAGE_ID, "conversations"]:
            return 200, self._conversations(q), h
        if method == "GET" and len(route) == 2 and route[1] == "messages":
            conv = self.conversations.get(route[0])
            if conv is None:
                return 400, graph_error(100, "Unsupported get request."), h
            return 200, self._page(self._messages(conv), q), h
        if method == "POST" and route == [PAGE_ID, "messages"]:
            return self._send_dm(data, h)
        if method == "GET" and route == [PAGE_ID, "feed"]:
            posts = sorted(self.posts.values(), key=lambda p: p["created"], reverse=True)
            return 200, self._page([{"id": p["id"], "updated_time": graph_time(p["updated"]),
                                     "created_time": graph_time(p["created"])} for p in posts],
                                   q), h
        if len(route) == 2 and route[1] == "comments" and method == "GET":
            return 200, self._page(self._comments_of(route[0], q), q), h
        if len(route) == 2 and route[1] == "comments" and method == "POST":
            return self._reply_comment(route[0], data, h)
        if method == "POST" and route == [WA_NUMBER_ID, "messages"]:
            return self._send_whatsapp(data, h)
        return 400, graph_error(100, "Unsupported request"), h

    def _page(self, rows: list[dict[str, Any]], q: dict[str, str]) -> dict[str, Any]:
        start = _index(q.get("after"))
        size = int(q.get("limit") or 25)
        chunk = rows[start:start + size]
        out: dict[str, Any] = {"data": chunk}
        if chunk:
            out["paging"] = {"cursors": {"before": _cursor(start),
                                         "after": _cursor(start + len(chunk))}}
            if start + size < len(rows):
                out["paging"]["next"] = "https://graph.facebook.com/next-page"
        return out

    def _messages(self, conv: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for m in sorted(conv["messages"], key=lambda m: m["created"], reverse=True):
            ours = m["from_id"] == PAGE_ID
            me = {"id": PAGE_ID, "name": "Acme"}
            them = {"id": conv["psid"], "name": conv["name"],
                    "email": f"{conv['psid']}@facebook.com"}
            out.append({"id": m["id"], "message": m["message"],
                        "from": me if ours else them, "to": {"data": [them if ours else me]},
                        "created_time": graph_time(m["created"])})
        return out

    def _conversations(self, q: dict[str, str]) -> dict[str, Any]:
        convs = sorted(self.conversations.values(), reverse=True,
                       key=lambda c: max(m["created"] for m in c["messages"]))
        if q.get("user_id"):
            convs = [c for c in convs if c["psid"] == q["user_id"]]
        rows = []
        for c in convs:
            row: dict[str, Any] = {"id": c["id"], "updated_time": graph_time(
                max(m["created"] for m in c["messages"]))}
            fields = q.get("fields", "")
            if "messages" in fields:
                n = int(fields.split("messages.limit(")[1].split(")")[0]) \
                    if "messages.limit(" in fields else 25
                row["messages"] = {"data": self._messages(c)[:n]}
            rows.append(row)
        return self._page(rows, q)

    def _comments_of(self, obj: str, q: dict[str, str]) -> list[dict[str, Any]]:
        if obj in self.posts:
            rows = [c for c in self.comments.values() if c["post"] == obj and
                    (q.get("filter") == "stream" or not c["parent"])]
        else:
            rows = [c for c in self.comments.values() if c["parent"] == obj]
        rows.sort(key=lambda c: c["created"], reverse=q.get("order") == "reverse_chronological")
        out = []
        for c in rows:
            row: dict[str, Any] = {"id": c["id"], "message": c["message"],
                                   "from": {"id": c["from_id"], "name": c["name"]},
                                   "created_time": graph_time(c["created"])}
            if c["parent"]:
                row["parent"] = {"id": c["parent"]}
            out.append(row)
        return out

    def _delay(self) -> None:
        self.arrived.set()
        if self.send_delay:
            self.lock.release()
            try:
                time.sleep(self.send_delay)
            finally:
                self.lock.acquire()

    def _send_dm(self, data: dict[str, Any], h: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        psid = str((data.get("recipient") or {}).get("id"))
        conv = next((c for c in self.conversations.values() if c["psid"] == psid), None)
        if conv is None:
            return 400, graph_error(100, "(#100) No matching user found", 2018001), h
        last = max(m["created"] for m in conv["messages"] if m["from_id"] != PAGE_ID)
        age = self.clock.now() - last
        tagged = data.get("messaging_type") == "MESSAGE_TAG" and data.get("tag") == "HUMAN_AGENT"
        if age > (timedelta(days=7) if tagged else timedelta(hours=24)):
            return 400, graph_error(10, "(#10) This message is sent outside of allowed window. "
                                    "Learn more about the new policy here: "
                                    "https://developers.facebook.com/docs/messenger-platform/"
                                    "policy-overview", 2018278), h
        mid = self._id("m_")
        text = data["message"]["text"]
        conv["messages"].append({"id": mid, "message": text, "from_id": PAGE_ID,
                                 "created": self.clock.now()})
        self.sent.append({"kind": "dm", "to": psid, "text": text, "id": mid,
                          "messaging_type": data.get("messaging_type"), "tag": data.get("tag")})
        self._delay()
        return 200, {"recipient_id": psid, "message_id": mid}, h

    def _reply_comment(self, cid: str, data: dict[str, Any],
                       h: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        parent = self.comments.get(cid)
        if parent is None:
            return 400, graph_error(100, "(#100) Error finding the requested story", 1705), h
        new = f"{cid.split('_')[0]}_{self._id('')}"
        top = parent["parent"] or cid
        self.comments[new] = {"id": new, "post": parent["post"], "parent": top,
                              "from_id": PAGE_ID, "name": "Acme", "message": data["message"],
                              "created": self.clock.now()}
        self.sent.append({"kind": "comment", "to": top, "text": data["message"], "id": new})
        self._delay()
        return 200, {"id": new}, h

    def _send_whatsapp(self, data: dict[str, Any],
                       h: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        wa_id = str(data.get("to"))
        last = self.wa_last_inbound.get(wa_id)
        if last is None or self.clock.now() - last > timedelta(hours=24):
            return 400, graph_error(131047, "(#131047) Re-engagement message", error_data={
                "messaging_product": "whatsapp", "details": "Message failed to send because "
                "more than 24 hours have passed since the customer last replied to this "
                "number."}), h
        wamid = "wamid." + self._id("HBgS")
        self.sent.append({"kind": "whatsapp", "to": wa_id, "text": data["text"]["body"],
                          "id": wamid, "context": (data.get("context") or {}).get("message_id")})
        self._delay()
        return 200, {"messaging_product": "whatsapp",
                     "contacts": [{"input": wa_id, "wa_id": wa_id}],
                     "messages": [{"id": wamid}]}, h
