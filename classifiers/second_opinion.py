"""A second opinion on unsure messages from a local LLM (``[classifier.llm]``, off by default).

The daemon's job (:func:`second_opinion_job`) picks the messages the model flagged
``needs_review`` that no agent has touched yet and that were not asked about before
(``store.opinions.to_ask``), at most ``max_per_run`` per run, newest first; asks the
OpenAI-compatible server about each (:class:`triage.clients.llm.LlmClient`); and stores the
answer (label, reason, model, when). It never changes the label or the draft: the review page
shows the answer beside the model's and an agent decides.

Failures are contained: a malformed answer fails that message only (asked again at later runs
until ``max_attempts``); a server that is down, slow or overloaded stops the run, which is
logged, and the next run asks again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from triage.clients.llm import LABELS, LlmClient, api_key
from triage.config import LlmSettings
from triage.errors import LlmAnswerError, LlmUnavailable, TriageError
from triage.store import Store

log = logging.getLogger(__name__)

SYSTEM = """You label customer-support messages for a support team. Pick exactly one label:
- complaint: the customer is dissatisfied (service, delay, money, staff, a broken promise, a \
product that arrived broken and should be replaced or refunded) and the grievance is the point.
- request: the customer asks for something to be done or for information (order or account \
changes, cancellations, routine refunds, invoices, how-to questions, prices, policies).
- suggestion: an idea or improvement for the future, when nothing is wrong today.
- technical_issue: something does not work technically and support must troubleshoot it \
(error, crash, outage, failed login, failed payment caused by the system, a bug), even when \
the customer is angry.
- other: no support need (thanks, praise, spam, chit-chat).
Messages may be in English, Vietnamese, Indonesian or Tagalog, mixed, or without accents.
Answer with only a JSON object: {"label": "<one of: LABELS>", "reason": "<one short sentence \
in English>"}.""".replace("LABELS", ", ".join(LABELS))


def prompt(row: Mapping[str, Any], max_chars: int) -> list[dict[str, str]]:
    """The chat messages asking about one message (``subject``, ``text``, ``language``): the
    instructions, then the message cut to ``max_chars``."""
    body = f"Subject: {row.get('subject') or ''}\n\n{row.get('text') or ''}"
    if len(body) > max_chars:
        body = body[:max_chars] + "\n[...]"
    lang = row.get("language") or "?"
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Message (language: {lang}):\n\n{body}"}]


@dataclass
class OpinionRun:
    """What one run did: messages ``answered`` and ``failed`` (their ids), and why it
    ``stopped`` early ('' when it went through its list)."""

    answered: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    stopped: str = ""


class SecondOpinions:
    """Asks ``client`` about the messages of ``store`` the model is unsure of."""

    def __init__(self, store: Store, client: LlmClient, settings: LlmSettings, *,
                 stop: threading.Event | None = None,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.client = client
        self.settings = settings
        self.stop = stop or threading.Event()
        self.timer = timer

    def run(self) -> OpinionRun:
        """Ask about up to ``max_per_run`` messages; return what happened. Never raises for
        one message or for the server; raises StoreError when the list cannot be read."""
        s = self.settings
        out = OpinionRun()
        rows = self.store.opinions.to_ask(s.max_per_run, languages=s.languages,
                                          max_attempts=s.max_attempts)
        for row in rows:
            if self.stop.is_set():
                out.stopped = "shutting down"
                break
            mid = int(row["id"])
            started = self.timer()
            try:
                answer = self.client.ask(prompt(row, s.max_chars))
                self.store.opinions.record_answer(mid, answer.label, answer.reason,
                                                  answer.model)
            except LlmUnavailable as exc:
                out.stopped = str(exc)
                log.warning("LLM second opinions: %s; stopped after %d message(s), the next "
                            "run asks again", exc, len(out.answered) + len(out.failed))
                break
            except LlmAnswerError as exc:
                out.failed.append(mid)
                log.warning("LLM second opinion on message %s: %s (field %s; attempt %d of "
                            "%d)", mid, exc, exc.field or "-", row["attempts"] + 1,
                            s.max_attempts)
                self._record_failure(mid, str(exc))
                continue
            except TriageError as exc:  # the store, mostly: contained to this message
                out.failed.append(mid)
                log.error("LLM second opinion on message %s failed: %s", mid, exc)
                continue
            except Exception:  # never let one message end the run
                out.failed.append(mid)
                log.exception("LLM second opinion on message %s: unexpected error", mid)
                continue
            out.answered.append(mid)
            log.info("LLM %s on message %s: %s (%.1fs)", answer.model, mid, answer.label,
                     self.timer() - started)
        if rows:
            log.info("LLM second opinions: %d answered, %d failed of %d asked",
                     len(out.answered), len(out.failed), len(rows))
        return out

    def _record_failure(self, message_id: int, error: str) -> None:
        try:
            self.store.opinions.record_failure(message_id, self.settings.model, error)
        except TriageError as exc:
            log.error("LLM second opinion on message %s: failure not recorded: %s",
                      message_id, exc)


def build_client(settings: LlmSettings, environ: Mapping[str, str],
                 stop: threading.Event | None = None, **kwargs: Any) -> LlmClient:
    """The client ``settings`` describe, its key from ``environ``; pauses between retries
    end early when ``stop`` is set. Raises MissingSecretError when the key's variable is
    unset."""
    key = api_key(settings.api_key_env, environ, "classifier.llm.api_key_env")
    return LlmClient(settings.base_url, settings.model, settings.timeout.total_seconds(),
                     key=key, json_mode=settings.json_mode, retries=settings.retries,
                     wait=(stop or threading.Event()).wait, **kwargs)


def second_opinion_job(store: Store, settings: LlmSettings, environ: Mapping[str, str],
                       stop: threading.Event) -> Callable[[], OpinionRun]:
    """The daemon's job: one :meth:`SecondOpinions.run` per call, with one client kept
    between runs (it remembers a server that refuses JSON mode)."""
    opinions = SecondOpinions(store, build_client(settings, environ, stop), settings,
                              stop=stop)
    return opinions.run
