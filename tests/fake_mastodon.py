"""A local server speaking Mastodon's JSON: mention notifications (min_id/since_id/max_id,
Link headers), statuses and context, posting with Idempotency-Key; 429, 5xx, malformed bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from tests.fake_http import FakeBase, Window
from triage.clock import FrozenClock

OWN_MASTO_ID = "1"


@dataclass
class FakeMastodonState:
    """Accounts, statuses and notifications of the fake instance."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, str] = field(default_factory=dict)


class FakeMastodon(FakeBase):
    """Mastodon REST API: notifications (min_id/since_id/max_id, Link headers), statuses,
    context, posting with Idempotency-Key, verify_credentials; 300 requests per 5 minutes."""

    def __init__(self, clock: FrozenClock) -> None:
        self.state = FakeMastodonState()
        self.window = Window(clock, limit=300, length=timedelta(minutes=5))
        self.next_id = 5000
        self.posted: list[dict[str, Any]] = []
        self.add_account(OWN_MASTO_ID, "acme", "Acme Support")
        super().__init__(clock)

    def add_account(self, aid: str, acct: str, name: str) -> None:
        """Register an account."""
        self.state.accounts[aid] = {
            "id": aid, "username": acct.split("@")[0], "acct": acct, "display_name": name,
            "url": f"https://example.social/@{acct}", "created_at": "2020-01-01T00:00:00.000Z",
            "locked": False, "bot": False, "note": "", "avatar": "", "header": "",
            "followers_count": 0, "following_count": 0, "statuses_count": 0}

    def status(self, sid: str, account: str, html: str, *, reply_to: str | None = None,
               visibility: str = "public", language: str | None = "en",
               notify: bool = True) -> dict[str, Any]:
        """Add a status; with ``notify`` a mention notification for it too."""
        parent = self.state.statuses.get(reply_to) if reply_to else None
        st = {"id": sid, "uri": f"https://example.social/statuses/{sid}",
              "url": f"https://example.social/@x/{sid}",
              "created_at": (self.clock.now() - timedelta(minutes=3)).strftime(
                  "%Y-%m-%dT%H:%M:%S.000Z"),
              "account": self.state.accounts[account], "content": html,
              "visibility": visibility, "sensitive": False, "spoiler_text": "",
              "in_reply_to_id": reply_to,
              "in_reply_to_account_id": parent["account"]["id"] if parent else None,
              "language": language, "mentions": [], "tags": [], "emojis": [],
              "media_attachments": [], "reblog": None, "replies_count": 0,
              "reblogs_count": 0, "favourites_count": 0}
        with self.lock:
            self.state.statuses[sid] = st
            if notify:
                nid = str(len(self.state.notifications) + 100)
                self.state.notifications.append({
                    "id": nid, "type": "mention", "created_at": st["created_at"],
                    "account": st["account"], "status_id": sid})
        return st

    def delete(self, sid: str) -> None:
        """Delete a status (its notifications then carry no status)."""
        with self.lock:
            self.state.statuses.pop(sid, None)

    def error_body(self, status: int) -> Any:
        return {"error": "Too many requests" if status == 429 else "Internal error"}

    def limit_headers(self, force_zero: bool = False) -> dict[str, str]:
        w = self.window
        reset = w.reset or (self.clock.now() + w.length)
        return {"X-RateLimit-Limit": str(w.limit),
                "X-RateLimit-Remaining": "0" if force_zero else str(w.remaining),
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000000Z")}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        if not self.window.take():
            return 429, self.error_body(429), self.limit_headers()
        h = self.limit_headers()
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/api/v1/notifications":
            return self._notifications(query, h)
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return 200, self.state.accounts[OWN_MASTO_ID], h
        if method == "GET" and len(parts) == 4 and parts[2] == "statuses":
            st = self.state.statuses.get(parts[3])
            return (200, st, h) if st else (404, {"error": "Record not found"}, h)
        if method == "GET" and len(parts) == 5 and parts[4] == "context":
            return self._context(parts[3], h)
        if method == "POST" and path == "/api/v1/statuses":
            return self._post(body, headers, h)
        return 404, {"error": "Not found"}, h

    def _notifications(self, query: dict[str, list[str]],
                       h: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        q = {k: v[0] for k, v in query.items()}
        types = query.get("types[]") or []
        limit = min(int(q.get("limit", 40)), 80)
        rows = [n for n in self.state.notifications if not types or n["type"] in types]
        rows.sort(key=lambda n: int(n["id"]))
        if "max_id" in q:
            rows = [n for n in rows if int(n["id"]) < int(q["max_id"])]
        if "min_id" in q:  # the page immediately after min_id
            rows = [n for n in rows if int(n["id"]) > int(q["min_id"])][:limit]
        else:
            if "since_id" in q:
                rows = [n for n in rows if int(n["id"]) > int(q["since_id"])]
            rows = rows[-limit:]
        page = []
        for n in reversed(rows):  # newest first, as Mastodon sends them
            out = {k: v for k, v in n.items() if k != "status_id"}
            out["status"] = self.state.statuses.get(n["status_id"])
            page.append(out)
        if page:
            base = "http://127.0.0.1/api/v1/notifications"
            h = dict(h, Link=f'<{base}?max_id={page[-1]["id"]}>; rel="next", '
                              f'<{base}?min_id={page[0]["id"]}>; rel="prev"')
        return 200, page, h

    def _chain(self, sid: str) -> list[dict[str, Any]]:
        out = []
        st = self.state.statuses.get(sid)
        while st and st.get("in_reply_to_id"):
            st = self.state.statuses.get(st["in_reply_to_id"])
            if st:
                out.insert(0, st)
        return out

    def _context(self, sid: str, h: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if sid not in self.state.statuses:
            return 404, {"error": "Record not found"}, h
        desc = [s for s in self.state.statuses.values()
                if any(a["id"] == sid for a in self._chain(s["id"]))]
        return 200, {"ancestors": self._chain(sid), "descendants": desc}, h

    def _post(self, body: bytes, headers: Any,
              h: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        ctype = headers.get("Content-Type", "")
        if "json" in ctype:
            form = json.loads(body or b"{}")
        else:
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        key = headers.get("Idempotency-Key")
        if key and key in self.state.idempotency:
            return 200, self.state.statuses[self.state.idempotency[key]], h
        target = form.get("in_reply_to_id")
        if target and target not in self.state.statuses:
            return 404, {"error": "Record not found"}, h
        self.next_id += 1
        sid = str(self.next_id)
        text = form.get("status", "")
        st = self.status(sid, OWN_MASTO_ID, f"<p>{text}</p>", reply_to=target,
                         visibility=form.get("visibility", "public"), notify=False)
        self.posted.append({"id": sid, "text": text, "reply_to": target,
                            "visibility": form.get("visibility"), "key": key})
        if key:
            self.state.idempotency[key] = sid
        return 200, st, h
