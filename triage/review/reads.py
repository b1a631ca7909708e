"""What the review service reads for an agent, beside the actions of
:mod:`triage.review.service`: the "help the model" list, template usage, the situations to
pick from, why the model chose a category, the draft's promise said anew, a local LLM's
second opinion (``[classifier.llm]``) and the sentence encoder's re-score
(``[classifier.encoder]``). Nothing here changes a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from classifiers.uncertainty import Unsure, pick
from triage.clock import Clock
from triage.drafting.promises import Refreshed
from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.request import request_for
from triage.drafting.situations import situation_choices
from triage.drafting.usage import TemplateUsage, outcomes_from_rows, usage_report
from triage.errors import TriageError
from triage.store.deadline_store import DeadlineStore
from triage.store.drafts import Drafts
from triage.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Explanation:
    """Why a message got its category: the stored scores (highest first) and the terms of the
    message that pushed hardest towards it (empty when the model cannot say)."""

    scores: list[tuple[str, float]] = field(default_factory=list)
    """The model's scores (kept when an agent reclassifies: they stay the model's)."""
    terms: list[tuple[str, float]] = field(default_factory=list)
    """Whole words and two-word phrases of the message, strongest first."""
    model_category: str = ""
    """What the model chose (its top score); differs from the current label after an agent
    reclassified the message."""
    by_agent: str = ""
    """The agent whose label is current ('' when it is the model's)."""


@dataclass(frozen=True)
class SecondOpinion:
    """A local LLM's answer about a message, shown beside the model's label (never applied).

    ``status`` is ``answered`` (``label`` and ``reason`` set) or ``failed`` (``error`` says
    why; it is asked again until ``[classifier.llm] max_attempts``)."""

    status: str
    model: str
    asked_at: datetime
    label: str = ""
    reason: str = ""
    error: str = ""
    attempts: int = 1

    @property
    def answered(self) -> bool:
        """Whether the LLM gave a label."""
        return self.status == "answered" and bool(self.label)

    def __str__(self) -> str:
        if self.answered:
            return f"Local LLM ({self.model}) says: {self.label} \u2014 {self.reason}"
        return f"Local LLM ({self.model}) gave no usable answer ({self.attempts}x): {self.error}"


@dataclass(frozen=True)
class EncoderRescore:
    """The sentence encoder's re-score of a message (``[classifier.encoder]``), shown beside
    its label: the fast model's category before, the blend's category and its confidence (None
    on re-scores stored before migration 0023), the head's version and the blend weight."""

    old_category: str
    new_category: str
    head: str
    weight: float
    applied: bool
    rescored_at: datetime
    confidence: float | None = None

    @property
    def changed(self) -> bool:
        """Whether the blend's label replaced the model's (and a new draft was written)."""
        return self.applied

    def __str__(self) -> str:
        conf = f" ({self.confidence:.0%})" if self.confidence is not None else ""
        return (f"Sentence encoder (head {self.head}, weight {self.weight:.1f}): the model said "
                f"{self.old_category}, the blend {self.new_category}{conf}; {self.outcome}")

    @property
    def badge(self) -> str:
        """The outcome in two words: ``label changed``, ``label kept`` or ``not applied``
        (the blend disagreed, but an agent had touched the message)."""
        if self.applied:
            return "label changed"
        return "label kept" if self.new_category == self.old_category else "not applied"

    @property
    def outcome(self) -> str:
        """The re-score's outcome in words."""
        badge = self.badge
        if self.applied:
            return f"{badge}: {self.old_category} \u2192 {self.new_category}"
        if badge == "label kept":
            return f"{badge}: the blend agrees on {self.old_category}"
        return (f"{badge}: the blend said {self.new_category}, but an agent had "
                "touched the message")


class ReviewReads:
    """The reads of :class:`triage.review.service.ReviewService` (a mixin: the service sets
    ``store``, ``drafts``, ``renderer``, ``deadline_store``, ``clock`` and ``_classifier``)."""

    store: Store
    drafts: Drafts
    renderer: Renderer
    deadline_store: DeadlineStore
    clock: Clock
    _classifier: Callable[[], Any]

    def draft_request(self, message: dict[str, Any], *, category: str, language: str,
                      due_at: datetime | None = None, needs_review: bool = False,
                      situation: str | None = None) -> DraftRequest:
        """Return :func:`~triage.drafting.request.request_for` stored ``message`` with what
        its thread says, read as processing reads it (``thread_contexts``): a canned template,
        the template preview and the display-time promise check draft as the pipeline did
        (nothing an earlier message gave is asked again; a repeat after our reply is
        ``still_open``). Raises StoreError."""
        [context] = self.deadline_store.thread_contexts([message])
        return request_for(message, category=category, language=language, due_at=due_at,
                           needs_review=needs_review, situation=situation,
                           thread=context)

    def second_opinion(self, message_id: int) -> SecondOpinion | None:
        """Return the local LLM's answer about ``message_id`` ([classifier.llm]), or None
        when it was never asked. Raises StoreError."""
        row = self.store.opinions.of_message(message_id)
        if row is None:
            return None
        return SecondOpinion(status=row["status"], model=row["model"] or "?",
                             asked_at=row["asked_at"], label=row["label"] or "",
                             reason=row["reason"] or "", error=row["error"] or "",
                             attempts=int(row["attempts"] or 1))

    def encoder_rescore(self, message_id: int) -> EncoderRescore | None:
        """Return the sentence encoder's re-score of ``message_id`` ([classifier.encoder]),
        or None when it was never re-scored. Raises StoreError."""
        row = self.store.rescores.of_message(message_id)
        if row is None:
            return None
        conf = row.get("confidence")
        return EncoderRescore(old_category=row["old_category"],
                              new_category=row["new_category"], head=row["head"],
                              weight=float(row["weight"]), applied=bool(row["applied"]),
                              rescored_at=row["rescored_at"],
                              confidence=None if conf is None else float(conf))

    def help_the_model(self, k: int = 5, scan: int = 1000) -> list[Unsure]:
        """Return up to ``k`` untouched messages whose label would teach the model most:
        the smallest margin between the two highest probabilities among the newest ``scan``
        candidates, languages taking turns (``classifiers.uncertainty``). Raises StoreError.
        """
        return pick(self.store.learning.unsure_candidates(scan), k) if k > 0 else []

    def template_usage(self, since: datetime | None = None,
                       until: datetime | None = None) -> list[TemplateUsage]:
        """Learn from use: per template and language, how much agents changed the drafts
        they sent (edit ratio) and how often they discarded them, worst first, for drafts
        created in ``[since, until)``; the dashboard and ``triage report`` both show it."""
        return usage_report(outcomes_from_rows(self.drafts.outcomes(since, until)))

    @staticmethod
    def situations() -> list[tuple[str, str]]:
        """The situations an agent may pick, ``(name, label)``, ``general`` first (the
        holding reply is only ever picked, never detected)."""
        return situation_choices()

    def explain(self, message: dict[str, Any],
                classification: dict[str, Any] | None) -> Explanation:
        """Return what explains the message's category (``classifiers.explain``); never
        raises: without a model or a classification the terms are empty."""
        scores = sorted(((k, float(v)) for k, v in ((classification or {}).get("scores")
                                                    or {}).items()), key=lambda kv: -kv[1])
        if classification is None:
            return Explanation(scores)
        version = str(classification.get("model_version") or "")
        agent = version.split(":", 1)[1] if version.startswith("agent:") else ""
        model_category = scores[0][0] if scores else str(classification.get("category") or "")
        base = Explanation(scores, [], model_category, agent)
        try:
            clf = self._classifier()
        except TriageError:
            return base
        from classifiers.explain import explain_words
        from classifiers.model import model_input

        try:
            terms = explain_words(clf, model_input(message["text"] or message["full_text"],
                                                   message["subject"]),
                                  category=model_category or None, top=10,
                                  lang=str(classification.get("language") or "") or None)
        except Exception:  # an explanation is a nicety; the page must still open
            log.debug("no explanation for message %s", message.get("id"), exc_info=True)
            return base
        return Explanation(scores, [(t.term, round(t.weight, 3)) for t in terms],
                           model_category, agent)

    def fresh_promise(self, message: dict[str, Any], draft: dict[str, Any] | None,
                      text: str | None = None) -> Refreshed | None:
        """The display-time (and approve-time) recomputation of the draft's promise: the
        draft's text (or ``text``) with its day-part promise said anew as of now, and
        warnings for any time it states that has already passed
        (``triage.drafting.promises``). None when there is no draft."""
        if draft is None:
            return None
        body = text if text is not None else draft.get("text") or ""
        cl = self.drafts.classification(message["id"]) or {}
        customer = cl.get("language") or message.get("language_hint") or "en"
        category = cl.get("category") or "request"
        situation = str(draft.get("situation") or "")
        if not situation:  # a draft stored before drafts kept their situation: detect it
            situation, _topic = self.renderer.situation_for(self.draft_request(
                message, category=category, language=customer,
                needs_review=bool(cl.get("needs_review"))))
        deadline = self.store.queue.deadline(message["id"])
        due_at = deadline["due_at"] if deadline and not deadline.get("met_at") else None
        return self.renderer.refresh(body, situation=situation,
                                     language=draft.get("language") or customer,
                                     channel=message["channel"], now=self.clock.now(),
                                     category=category,
                                     needs_review=bool(cl.get("needs_review")),
                                     due_at=due_at)
