"""Local HTTP servers speaking the documented JSON of the X API v2 and of Mastodon.

These are the only fakes in the suite: real HTTP on 127.0.0.1, real tweepy and Mastodon.py on
the client side. Both count every request, keep a rate window (limit, remaining, reset taken
from an injected clock so tests can move time), and can be told to fail the next requests with a
status code or a malformed body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from triage.clock import FrozenClock

OWN_X_ID = "100"
OWN_X_HANDLE = "acme_help"


@dataclass
class Window:
    """One rate-limit window: ``limit`` requests until ``reset`` (clock time)."""

    clock: FrozenClock
    limit: int = 1000
    length: timedelta = timedelta(minutes=15)
    used: int = 0
    reset: datetime | None = None

    def take(self) -> bool:
        """Count one request; False when the window is already spent (answer 429)."""
        now = self.clock.now()
        if self.reset is None or now >= self.reset:
            self.reset, self.used = now + self.length, 0
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        """Requests left in the window."""
        return max(0, self.limit - self.used)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class FakeBase:
    """Shared plumbing: a threaded server, a request log, injected failures."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.fail_next: list[int | str] = []
        self.fail_on: dict[int, int | str] = {}
        """Fail the request with this 1-based number (counting every request served)."""
        self.auth: list[str] = []
        self.served_429 = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._dispatch(self, "GET")

            def do_POST(self) -> None:
                fake._dispatch(self, "POST")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, path_part: str) -> int:
        """How many requests of ``method`` had ``path_part`` in their path."""
        return sum(1 for m, p, _ in self.requests if m == method and path_part in p)

    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(h.path)
        query = parse_qs(url.query)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, url.path, query))
            self.auth.append(h.headers.get("Authorization", ""))
            failure = self.fail_on.pop(len(self.requests), None)
            if failure is None and self.fail_next:
                failure = self.fail_next.pop(0)
            if failure is not None:
                if failure == "malformed":
                    return self._send(h, 200, b'{"data": [{"id": "1", "te', {})
                if failure == 429:
                    self.served_429 += 1
                    return self._send(h, 429, json.dumps(self.error_body(429)).encode(),
                                      self.limit_headers(force_zero=True))
                return self._send(h, int(failure), json.dumps(self.error_body(int(failure)))
                                  .encode(), {})
            status, payload, headers = self.handle(method, url.path, query, body, h.headers)
            if status == 429:
                self.served_429 += 1
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self._send(h, status, data, headers)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, data: bytes,
              headers: dict[str, str]) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    # subclasses
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        return {"title": "error", "status": status}

    def limit_headers(self, force_zero: bool = False) -> dict[str, str]:
        return {}


# --------------------------------------------------------------------------------------- X
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
             "edit_history_tweet_ids": [str(tid)]}
        if target:
            t["referenced_tweets"] = [{"type": "replied_to", "id": str(target)}]
        self.tweets[tid] = t
        self.posted.append({"text": text, "reply_to": target, "id": str(tid)})
        return 201, {"data": {"id": str(tid), "text": shown,
                              "edit_history_tweet_ids": [str(tid)]}}, {}


# -------------------------------------------------------------------------------- Mastodon
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


# -------------------------------------------------------------------------------- fixtures
@pytest.fixture
def fake_x(clock: FrozenClock) -> Iterator[FakeX]:
    """A fake X API v2 on 127.0.0.1, on the test's clock."""
    srv = FakeX(clock)
    yield srv
    srv.stop()


@pytest.fixture
def fake_mastodon(clock: FrozenClock) -> Iterator[FakeMastodon]:
    """A fake Mastodon instance on 127.0.0.1, on the test's clock."""
    srv = FakeMastodon(clock)
    yield srv
    srv.stop()

