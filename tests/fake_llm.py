"""A fake OpenAI-compatible chat server on 127.0.0.1 (what Ollama, llama-server and vLLM serve
at ``/v1/chat/completions``), speaking the documented JSON: a chat completion
``{"choices": [{"message": {"role": "assistant", "content": ...}}], "model": ...}`` or an
error ``{"error": {"message", "type", "code"}}``.

It answers each request with ``reply(request_body)`` (the content string), can refuse
``response_format`` like a server without JSON mode, can hold an answer longer than the
client waits (a timeout), and fails requests on demand (``fail_next``, from ``FakeBase``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from tests.fake_http import FakeBase
from triage.clock import FrozenClock


def json_reply(label: str = "request", reason: str = "asks for an invoice") -> str:
    """Content of a well-formed JSON answer."""
    return json.dumps({"label": label, "reason": reason})


class FakeLlm(FakeBase):
    """The fake server; ``base_url`` + ``/v1`` is what ``[classifier.llm] base_url`` takes."""

    def __init__(self, clock: FrozenClock) -> None:
        self.reply: Callable[[dict[str, Any]], str] = lambda body: json_reply()
        self.json_mode = True
        """False: answer a request with ``response_format`` 400, as servers without it do."""
        self.bodies: list[dict[str, Any]] = []
        self.hold = threading.Event()
        self.hold_seconds = 0.0
        """Wait this long (or until ``hold`` is set) before answering: a slow server."""
        self.down = False
        """Answer 503 to everything (a server that is loading its model or overloaded)."""
        self.api_key = ""
        """When set, requests without ``Authorization: Bearer <api_key>`` get 401."""
        super().__init__(clock)

    @property
    def api_url(self) -> str:
        """The base URL as configured: ``http://127.0.0.1:<port>/v1``."""
        return self.base_url + "/v1"

    def stop(self) -> None:
        """Release held requests and shut down."""
        self.hold.set()
        super().stop()

    def user_texts(self) -> list[str]:
        """The user message of every chat request, in order."""
        return [m["content"] for b in self.bodies for m in b.get("messages", [])
                if m.get("role") == "user"]

    def error_body(self, status: int) -> Any:
        return {"error": {"message": f"fake error {status}", "type": "server_error",
                          "code": status}}

    def limit_headers(self, force_zero: bool = False) -> dict[str, str]:
        return {"Retry-After": "3"} if force_zero else {}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               headers: Any) -> tuple[int, Any, dict[str, str]]:
        if method != "POST" or path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}", "type": "not_found"}}, {}
        if self.api_key and headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"error": {"message": "invalid api key", "type": "auth"}}, {}
        if self.down:
            return 503, {"error": {"message": "model is loading", "type": "server_error"}}, {}
        try:
            req = json.loads(body)
        except ValueError:
            return 400, {"error": {"message": "body is not JSON", "type": "invalid"}}, {}
        self.bodies.append(req)
        if "response_format" in req and not self.json_mode:
            return 400, {"error": {"message": "response_format is not supported",
                                   "type": "invalid_request_error"}}, {}
        if self.hold_seconds:
            self.hold.wait(self.hold_seconds)
        content = self.reply(req)
        return 200, {
            "id": f"chatcmpl-{len(self.bodies)}", "object": "chat.completion",
            "created": int(self.clock.now().timestamp()), "model": req.get("model", ""),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}, {}
