"""The sentence encoder's background re-score of unsure messages (``[classifier.encoder]``).

Same seam as the LLM's second opinion (:mod:`classifiers.second_opinion`): the daemon's job
(:func:`rescore_job`, or ``triage encoder run``) picks the unsure messages no agent has
touched, here only in the configured languages and never re-scored before
(``store.rescores.to_rescore``), at most ``max_per_run`` per run, newest first. Unlike the
LLM's answer, the encoder's is applied: its probabilities (:class:`classifiers.encoder.
EncoderHead`) are blended with the fast model's stored scores, and when the blend's category
differs, the message gets that label (still flagged for review) with the draft and response
deadline processing would have written for it, unless an agent touched it meanwhile. Every
re-scored message is recorded, so none is re-scored twice.

The first label always comes from the fast model while processing; this job is off the hot
path (the encoder embeds a few messages per second per core). The daemon's job embeds in a
child process started for the run (:class:`classifiers.encoder_process.EncoderProcess`), so
the daemon never loads the encoder (about 115 MB); the store writes stay here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from classifiers.encoder import HEAD_PATH, blend
from classifiers.encoder_process import EncoderProcess
from classifiers.model import model_input
from classifiers.text import SEP
from triage.config import EncoderSettings
from triage.deadlines.policy import DeadlinePolicy
from triage.drafting.render import Renderer
from triage.errors import TriageError
from triage.models import CATEGORIES, Classification
from triage.pipeline import plan_and_draft
from triage.review.service import ReviewService
from triage.store import Store
from triage.store.deadline_store import DeadlineStore
from triage.store.rescores import Rescore

log = logging.getLogger(__name__)


class Scorer(Protocol):
    """The encoder's side of a re-score: :class:`classifiers.encoder.EncoderHead` in this
    process, or :class:`EncoderProcess` in a child process."""

    @property
    def version(self) -> str:
        """The head's version, recorded with every re-score."""
        ...

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return the label probabilities of ``texts`` (a prefix of them when stopped)."""
        ...


@dataclass
class RescoreRun:
    """What one run did: messages ``rescored`` and, among them, ``changed`` (their label and
    draft were replaced); ``failed`` ones are tried again at the next run."""

    rescored: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class EncoderRescorer:
    """Re-scores the unsure messages of ``store`` with ``head`` (see the module)."""

    def __init__(self, store: Store, head: Scorer, settings: EncoderSettings,
                 renderer: Renderer, deadlines: DeadlinePolicy, deadline_store: DeadlineStore,
                 *, stop: threading.Event | None = None) -> None:
        self.store = store
        self.head = head
        self.settings = settings
        self.renderer = renderer
        self.deadlines = deadlines
        self.deadline_store = deadline_store
        self.stop = stop or threading.Event()

    def run(self) -> RescoreRun:
        """Re-score up to ``max_per_run`` messages; return what happened. One message's
        failure is logged and contained; raises StoreError when the list cannot be read and
        ClassifierError when the encoder is not installed or its child process fails (nothing
        is recorded then: the next run tries those messages again)."""
        s = self.settings
        out = RescoreRun()
        rows = self.store.rescores.to_rescore(s.max_per_run, languages=s.languages)
        if not rows:
            return out
        # the encoder reads the text as before: the analyser's subject/body mark is not a
        # character a sentence encoder knows (classifiers.text.SEP)
        texts = [model_input(r["text"] or r["full_text"] or "", r["subject"] or "")
                 .replace(SEP, "") for r in rows]
        encoded = self.head.probabilities(texts)  # a prefix when stopped meanwhile
        for row, enc in zip(rows[:len(encoded)], encoded, strict=True):
            if self.stop.is_set():
                break
            mid = int(row["id"])
            try:
                if self._rescore(row, enc):
                    out.changed.append(mid)
                out.rescored.append(mid)
            except TriageError as exc:  # the store or a template: contained to this message
                out.failed.append(mid)
                log.error("encoder re-score of message %s failed: %s", mid, exc)
        log.info("encoder re-score (%s): %d re-scored, %d changed, %d failed",
                 self.head.version, len(out.rescored), len(out.changed), len(out.failed))
        return out

    def _rescore(self, row: dict[str, Any], enc: dict[str, float]) -> bool:
        scores = blend(row["scores"] or {}, enc, self.settings.weight)
        category = max(CATEGORIES, key=lambda c: scores.get(c, 0.0))
        old = str(row["category"])
        cl = Classification(category=category, confidence=round(scores.get(category, 0.0), 4),
                            language=row["language"],
                            model_version=f"{row['model_version']}+{self.head.version}"[:100],
                            needs_review=True,
                            scores={k: round(v, 4) for k, v in scores.items()})
        rescore = Rescore(message_id=int(row["id"]), old_category=old, classification=cl,
                          head=self.head.version, weight=self.settings.weight)
        if category != old:
            msg = self.store.message(rescore.message_id)
            [context] = self.deadline_store.thread_contexts([msg])
            result = plan_and_draft(msg, cl, context, self.deadlines, self.renderer)
            state = (self.deadlines.state(result.due_at, self.store.clock.now(),
                                          msg["channel"], source=msg["source"] or "").value
                     if result.due_at is not None else "ok")
            rescore = Rescore(message_id=rescore.message_id, old_category=old,
                              classification=cl, head=rescore.head, weight=rescore.weight,
                              draft=result.draft, due_at=result.due_at, policy=result.policy,
                              priority=result.priority, state=state)
        return self.store.rescores.record(rescore)


def head_path(settings: EncoderSettings, resolve: Callable[[str], Path] | None = None) -> Path:
    """Return the path of the head ``settings.head`` names (the shipped one when empty)."""
    if not settings.head:
        return HEAD_PATH
    return resolve(settings.head) if resolve else Path(settings.head)


def rescore_job(review: ReviewService, settings: EncoderSettings, stop: threading.Event,
                resolve: Callable[[str], Path] | None = None) -> Callable[[], RescoreRun]:
    """The daemon's job: one :meth:`EncoderRescorer.run` per call over ``review``'s store,
    renderer and deadline policy; a run with messages to re-score embeds them in a child
    process that ends with the run. Raises ModelFileError when the head cannot be read."""
    scorer = EncoderProcess(head_path(settings, resolve), stop=stop)
    rescorer = EncoderRescorer(review.store, scorer, settings,
                               review.renderer, review.deadlines, review.deadline_store,
                               stop=stop)
    return rescorer.run
