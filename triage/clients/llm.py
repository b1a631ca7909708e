"""An OpenAI-compatible chat server the user runs (Ollama, llama.cpp's ``llama-server``, vLLM):
``POST {base_url}/chat/completions`` with a JSON body, answer in ``choices[0].message.content``.

Servers differ in JSON mode: OpenAI, Ollama, vLLM and llama-server accept
``response_format: {"type": "json_object"}``, some OpenAI-compatible servers answer it with a
400. With ``json_mode = "auto"`` a 400/422 to a request with it is asked again once without it,
and this client does not ask for it again. Either way the content is parsed strictly by
:func:`parse_answer`: a JSON object ``{"label": ..., "reason": ...}`` (bare, in a code fence, or
after a reasoning model's ``<think>`` block), or a plain ``label: reason`` line.

Errors (:mod:`triage.errors`): :class:`LlmUnavailable` when the server cannot be used now
(network error, timeout, 429 or 5xx after the retries, a refused key, an unknown model),
:class:`LlmAnswerError` naming the field when one answer is not what was asked. The API key is
sent as a Bearer token and scrubbed from every error text; it is never logged.

Why not the ``openai`` package: one POST and a strict parse do not need it, and its clients
retry and time out on their own terms; ``requests`` is what the chat clients already use.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests

from triage.backoff import backoff_delay
from triage.clients.chat_http import scrub
from triage.config.secret_env import env_secret
from triage.errors import LlmAnswerError, LlmUnavailable
from triage.models import CATEGORIES

log = logging.getLogger(__name__)

LABELS: tuple[str, ...] = (*CATEGORIES, "other")
"""What the server may answer: one of the four categories, or ``other``."""

MAX_REASON = 300
"""Longest reason kept (characters); a longer one is cut, not refused."""

RETRY_BASE = timedelta(seconds=1)
RETRY_CAP = timedelta(seconds=30)

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)
_PLAIN = re.compile(r"^\s*(?:label\s*[:=]\s*)?[\"'*`]*([A-Za-z][A-Za-z _-]*?)[\"'*`]*"
                    r"\s*(?:[:\u2014\u2013|]|\s-\s)\s*(.+)$")


@dataclass(frozen=True)
class LlmAnswer:
    """One second opinion: ``label`` (one of :data:`LABELS`), a short ``reason`` and the
    ``model`` that answered (as the server names it)."""

    label: str
    reason: str
    model: str


def api_key(env_name: str, environ: Mapping[str, str], key: str) -> str:
    """The API key from the environment ('' when ``env_name`` is empty); raises
    MissingSecretError when the variable is named but unset."""
    return env_secret(env_name, environ, key, fix=f"export {env_name} (the LLM server's API key)")


def _label(value: Any) -> str:
    """``value`` as one of LABELS ("Technical issue" -> technical_issue); raises."""
    if not isinstance(value, str) or not value.strip():
        raise LlmAnswerError("the answer has no 'label'", field="label")
    norm = re.sub(r"[\s-]+", "_", value.strip().lower())
    if norm not in LABELS:
        raise LlmAnswerError(f"the answer's label {value.strip()[:40]!r} is not one of "
                             f"{', '.join(LABELS)}", field="label")
    return norm


def _reason(value: Any) -> str:
    """``value`` as a short one-line reason; raises when it is missing or empty."""
    if not isinstance(value, str) or not value.strip():
        raise LlmAnswerError("the answer has no 'reason'", field="reason")
    one_line = " ".join(value.split())
    return one_line if len(one_line) <= MAX_REASON else one_line[:MAX_REASON - 1] + "\u2026"


def _json_object(text: str) -> Any:
    """The JSON value in ``text`` (bare, fenced, or the outermost ``{...}``), else None."""
    candidates = [text, *(m.group(1) for m in _FENCE.finditer(text))]
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        candidates.append(text[first:last + 1])
    for c in candidates:
        try:
            return json.loads(c.strip())
        except ValueError:
            continue
    return None


def parse_answer(content: Any) -> tuple[str, str]:
    """Return ``(label, reason)`` from a chat answer's content.

    Accepts a JSON object with ``label`` and ``reason`` (bare, in a code fence, or with text
    around it), or a first line ``label: reason`` (also ``label - reason``, ``label | reason``).
    A reasoning model's ``<think>...</think>`` is ignored. Raises LlmAnswerError naming the
    field (``content``, ``label`` or ``reason``) otherwise.
    """
    if not isinstance(content, str):
        raise LlmAnswerError("the answer has no text content", field="content")
    text = _THINK.sub("", content).strip()
    if not text:
        raise LlmAnswerError("the answer is empty", field="content")
    obj = _json_object(text)
    if obj is not None:
        if not isinstance(obj, dict):
            raise LlmAnswerError("the answer is JSON but not an object with 'label' and "
                                 "'reason'", field="content")
        return _label(obj.get("label")), _reason(obj.get("reason"))
    line = next(ln for ln in text.splitlines() if ln.strip())
    m = _PLAIN.match(line)
    if m is None:
        word = line.split()[0].strip("\"'*`:.") if line.split() else ""
        if re.sub(r"[\s-]+", "_", word.lower()) in LABELS:
            raise LlmAnswerError(f"the answer {word!r} has no reason", field="reason")
        raise LlmAnswerError(f"the answer is neither JSON nor 'label: reason' (it starts "
                             f"{word[:40]!r})", field="label")
    return _label(m.group(1)), _reason(m.group(2))


class LlmClient:
    """Asks one model on one OpenAI-compatible server for a label and a reason.

    ``wait(seconds)`` pauses between retries (the daemon passes its stop event's ``wait``,
    so a shutdown cuts a pause short; tests pass a recorder).
    """

    def __init__(self, base_url: str, model: str, timeout: float, *, key: str = "",
                 json_mode: str = "auto", retries: int = 2,
                 wait: Callable[[float], object] | None = None,
                 session: requests.Session | None = None,
                 rand: Callable[[], float] | None = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.key = key
        self.json_mode = json_mode
        self.retries = retries
        self.wait = wait or threading.Event().wait
        self.session = session or requests.Session()
        self.rand = rand or (lambda: 0.0)
        self.requests = 0
        """Requests made (tries included), for the job's log line and tests."""

    def _post(self, body: dict[str, Any]) -> tuple[int, Any, Mapping[str, str]]:
        """One POST; returns ``(status, JSON body or None, headers)``; raises LlmUnavailable
        on network errors (timeouts included)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        self.requests += 1
        try:
            resp = self.session.post(self.url, json=body, headers=headers,
                                     timeout=self.timeout)
        except requests.RequestException as exc:
            detail = scrub(f"{type(exc).__name__}: {exc}", [self.key])[:300]
            raise LlmUnavailable(f"LLM server {self.url}: {detail}") from None
        try:
            data = resp.json() if resp.content else None
        except ValueError:
            data = None
            if resp.status_code == 200:
                raise LlmUnavailable(
                    f"LLM server {self.url} answered 200 with a body that is not JSON "
                    f"({scrub(repr(resp.content[:80]), [self.key])}); is base_url the API "
                    "(ending in /v1)?") from None
        return resp.status_code, data, resp.headers

    def _pause(self, attempt: int, headers: Mapping[str, str]) -> None:
        """Wait before try ``attempt + 1``: Retry-After when given (capped), else backoff."""
        delay = backoff_delay(attempt, RETRY_BASE, RETRY_CAP, self.rand).total_seconds()
        after = str(headers.get("Retry-After") or "").strip()
        if after.isdigit():
            delay = min(float(after), RETRY_CAP.total_seconds())
        self.wait(delay)

    def _send(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST ``body``, retrying timeouts, network errors, 429 and 5xx ``retries`` times;
        return the final ``(status, body)``. Raises LlmUnavailable when no try got an
        answer other than those."""
        last = ""
        headers: Mapping[str, str] = {}
        for attempt in range(self.retries + 1):
            if attempt:
                self._pause(attempt, headers)
            try:
                status, data, headers = self._post(body)
            except LlmUnavailable as exc:
                last, headers = str(exc), {}
                continue
            if status == 429 or status >= 500:
                last = f"LLM server {self.url} answered {status}{_detail(data, self.key)}"
                continue
            return status, data
        raise LlmUnavailable(f"{last} (after {self.retries + 1} tries; the next run asks "
                             "again)")

    def ask(self, messages: Sequence[Mapping[str, str]]) -> LlmAnswer:
        """Send the chat ``messages`` and return the parsed answer.

        Raises LlmUnavailable (server down, timeout, 429/5xx after the retries, 401/403,
        404 unknown model or path) and LlmAnswerError (a 400 to the request, or an answer that
        :func:`parse_answer` refuses, or a body without ``choices[0].message.content``).
        """
        body: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in messages],
                                "temperature": 0, "stream": False, "max_tokens": 400}
        if self.json_mode in ("auto", "on"):
            body["response_format"] = {"type": "json_object"}
        status, data = self._send(body)
        if status in (400, 422) and self.json_mode == "auto" and "response_format" in body:
            log.info("LLM server %s refused response_format (%s); asking in plain text from "
                     "now on", self.url, status)
            self.json_mode = "off"
            body.pop("response_format")
            status, data = self._send(body)
        detail = _detail(data, self.key)
        if status in (401, 403):
            raise LlmUnavailable(f"LLM server {self.url} refused the request ({status}"
                                 f"{detail}); check api_key_env")
        if status == 404:
            raise LlmUnavailable(f"LLM server {self.url} answered 404{detail}; check model "
                                 f"({self.model!r}) and base_url (it ends in /v1)")
        if status in (400, 413, 422):
            raise LlmAnswerError(f"LLM server refused the request about this message "
                                 f"({status}{detail})", field="request")
        if status != 200:
            raise LlmUnavailable(f"LLM server {self.url} answered {status}{detail}")
        content = _content(data)
        label, reason = parse_answer(content)
        name = data.get("model") if isinstance(data.get("model"), str) else ""
        return LlmAnswer(label, reason, (name or self.model)[:100])


def _content(data: Any) -> Any:
    """``choices[0].message.content`` of a chat completion; raises LlmAnswerError naming the
    missing field."""
    if not isinstance(data, dict):
        raise LlmAnswerError("the answer is not a JSON object", field="body")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LlmAnswerError("the answer has no 'choices'", field="choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise LlmAnswerError("the answer has no 'choices[0].message'",
                             field="choices[0].message")
    if not isinstance(message.get("content"), str):
        raise LlmAnswerError("the answer has no 'choices[0].message.content'",
                             field="choices[0].message.content")
    return message["content"]


def _detail(data: Any, key: str) -> str:
    """``: <error message>`` from an OpenAI-style error body (``{"error": {"message"}}`` or
    ``{"error": "..."}``), scrubbed of the key; '' when there is none."""
    err = data.get("error") if isinstance(data, dict) else None
    msg = err.get("message") if isinstance(err, dict) else err
    return f": {scrub(str(msg), [key])[:200]}" if msg else ""
