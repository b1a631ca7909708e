"""A local server speaking the X API v2 JSON: mentions with pagination and includes.users,
own posts, posting replies; 429 with reset headers, 5xx, malformed bodies, deleted posts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.fake_http import FakeBase, Window
from triage.clock import FrozenClock

OWN_X_ID = "100"
OWN_X_HANDLE = "acme_help"

class FakeX(FakeBase):
    """X API v2: ``GET /2/users/:id/mentions``, ``GET /2/users/:id/tweets``, ``POST /2/tweets``.

    Mentions are served newest first; ``next_token`` is opaque to the client (here it encodes
    the last id served, so a post deleted between pages shifts nothing, as on X).
    """

    def __init__(self, clock: FrozenClock) -> None:
        self.tweets: dict[int, dict[str, Any]] = {}
        self.users: dict[str, dict[str, str]] = {
            OWN_X_ID: {"id": OWN_X_ID, "username": OWN_X_HANDLE, "name": "Acme Support"}}
        self.mentions_window = Window(clock)
        self.next_id = 2000
        self.posted: list[dict[str, Any]] = []
        self.expired_tokens: set[str] = set()
        super().__init__(clock)

    def add_user(self, uid: str, username: str, name: str) -> None:
        """Register an author."""
        self.users[uid] = {"id": uid, "username": username, "name": name}

    def mention(self, tid: int, author: str, text: str, *, conversation: int | None = None,
                reply_to: int | None = None, reply_to_user: str | None = None,
                lang: str = "en") -> dict[str, Any]:
        """Add a post that mentions the support account."""
        t: dict[str, Any] = {
            "id": str(tid), "text": text, "author_id": author, "lang": lang,
            "conversation_id": str(conversation or tid), "edit_history_tweet_ids": [str(tid)],
            "created_at": (self.clock.now() - timedelta(minutes=5)).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"), "mentions_us": True}
        if reply_to:
            t["referenced_tweets"] = [{"type": "replied_to", "id": str(reply_to)}]
            t["in_reply_to_user_id"] = reply_to_user or OWN_X_ID
        with self.lock:
            self.tweets[tid] = t
        return t

    def delete(self, tid: int) -> None:
        """Delete a post (it disappears from every listing)."""
        with self.lock:
            self.tweets.pop(tid, None)

    def error_body(self, status: int) -> Any:
        if status == 429:
            return {"title": "Too Many Requests", "detail": "Too Many Requests", "type":
                    "about:blank", "status": 429}
        return {"title": "Service Unavailable", "detail": "Service Unavailable",
                "type": "about:blank", "status": status}

    def limit_headers(self, force_zero: bool = False) -> dict[str, str]:
        w = self.mentions_window
        reset = w.reset or (self.clock.now() + w.length)
        return {"x-rate-limit-limit": str(w.limit),
                "x-rate-limit-remaining": "0" if force_zero else str(w.remaining),
                "x-rate-limit-reset": str(int(reset.timestamp()))}

    @staticmethod
    def _public(t: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in t.items() if k != "mentions_us"}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        q = {k: v[0] for k, v in query.items()}
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 4 and parts[3] == "mentions":
            if not self.mentions_window.take():
                return 429, self.error_body(429), self.limit_headers()
            if q.get("pagination_token") in self.expired_tokens:
                return 400, {"errors": [{"parameters": {"pagination_token": [
                    q["pagination_token"]]}, "message": "The `pagination_token` query "
                    "parameter value is not valid"}], "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request"}, \
                    self.limit_headers()
            return 200, self._mentions(parts[2], q), self.limit_headers()
        if method == "GET" and len(parts) == 4 and parts[3] == "tweets":
            own = [self._public(t) for t in sorted(self.tweets.values(),
                                                   key=lambda t: -int(t["id"]))
                   if t["author_id"] == parts[2]][: int(q.get("max_results", 10))]
            return 200, {"data": own, "meta": {"result_count": len(own)}} if own else \
                {"meta": {"result_count": 0}}, {}
        if method == "POST" and path == "/2/tweets":
            return self._post(json.loads(body or b"{}"))
        return 404, {"title": "Not Found Error", "status": 404}, {}

    def _mentions(self, uid: str, q: dict[str, str]) -> dict[str, Any]:
        if uid != OWN_X_ID:
            return {"errors": [{"title": "Not Found Error", "detail": f"no user {uid}"}]}
        since = int(q.get("since_id", 0))
        until = int(q["pagination_token"][1:].split("-")[0]) if "pagination_token" in q \
            else None
        size = int(q.get("max_results", 10))
        rows = sorted((t for t in self.tweets.values() if t.get("mentions_us")
                       and int(t["id"]) > since and (until is None or int(t["id"]) < until)),
                      key=lambda t: -int(t["id"]))
        page, rest = rows[:size], rows[size:]
        if not page:
            return {"meta": {"result_count": 0}}
        meta: dict[str, Any] = {"result_count": len(page), "newest_id": page[0]["id"],
                                "oldest_id": page[-1]["id"]}
        if rest:
            # opaque to clients; unique per answer, like X's (so an expired one stays expired)
            meta["next_token"] = f"t{page[-1]['id']}-{len(self.requests)}"
        out: dict[str, Any] = {"data": [self._public(t) for t in page], "meta": meta}
        if "author_id" in q.get("expansions", ""):
            authors = {t["author_id"] for t in page}
            out["includes"] = {"users": [self.users[a] for a in sorted(authors)
                                         if a in self.users]}
        missing = [str(r["id"]) for t in page for r in t.get("referenced_tweets", [])
                   if int(r["id"]) not in self.tweets]
        if missing:
            out["errors"] = [{"resource_type": "tweet", "title": "Not Found Error",
                              "detail": f"Could not find tweet with id: [{m}].",
                              "resource_id": m} for m in missing]
        return out

    def _post(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        text = body.get("text", "")
        target = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if target is not None and int(target) not in self.tweets:
            return 403, {"title": "Forbidden", "status": 403, "detail": "You attempted to "
                         "reply to a Tweet that is deleted or not visible to you."}, {}
        if any(p["text"] == text for p in self.posted):
            return 403, {"title": "Forbidden", "status": 403, "detail": "You are not allowed "
                         "to create a Tweet with duplicate content."}, {}
        self.next_id += 1
        tid = self.next_id
        parent = self.tweets.get(int(target)) if target else None
        author = self.users.get(parent["author_id"], {}) if parent else {}
        shown = f"@{author['username']} {text}" if author else text
        t = {"id": str(tid), "text": shown, "author_id": OWN_X_ID,
             "conversation_id": parent["conversation_id"] if parent else str(tid),
             "edit_history_tweet_ids": [str(tid)],
             "created_at": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        if target:
            t["referenced_tweets"] = [{"type": "replied_to", "id": str(target)}]
        self.tweets[tid] = t
        self.posted.append({"text": text, "reply_to": target, "id": str(tid)})
        return 201, {"data": {"id": str(tid), "text": shown,
                              "edit_history_tweet_ids": [str(tid)]}}, {}
