"""The situation model learns from the agents: the situations they switched drafts to.

An agent who disagrees with the detected situation switches it on the message page
(``ReviewService.switch_situation``; the audit log keeps the choice). Those choices are labels
written by the people who answer the customers, on the customers' own phrasing: exactly what
the team's corpus lacks. :func:`learned_model` trains the situation model on the packaged
corpus plus each switched message (the newest choice per message); :class:`SituationLearner`
keeps it in each process and learns again every ``drafting.relearn_situations_every`` (the
composition root, ``triage.services.App``, builds it; ``drafting.learn_situations = false``
turns learning off). A situation only agents pick (the
holding reply) is not learnt: detection never proposes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from triage.clock import Clock
from triage.drafting.situation_model import SituationModel, load_corpus, packaged_model, train
from triage.drafting.situations import GENERAL, SITUATIONS
from triage.errors import StoreError

log = logging.getLogger(__name__)

LEARNABLE: frozenset[str] = frozenset(
    {name for name, s in SITUATIONS.items() if s.detected} | {GENERAL})
"""The situations detection may return, so the ones an agent's switch can teach."""


def agent_examples(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the agents' choices (rows of ``store.learning.situation_choices``) as corpus
    messages: ``text``, ``subject``, ``situation``, ``language`` and the attachments' MIME
    types. Choices the model cannot learn (the holding reply, names no longer known) and
    empty messages are left out."""
    out = []
    for r in rows:
        if r.get("situation") not in LEARNABLE or not (r.get("text") or "").strip():
            continue
        out.append({"id": f"agent-{r.get('message_id', '')}", "situation": r["situation"],
                    "text": r["text"], "subject": r.get("subject") or "",
                    "language": r.get("language") or "",
                    "attachments": [str(a.get("content_type", ""))
                                    for a in r.get("attachments") or []
                                    if isinstance(a, Mapping)]})
    return out


def learned_model(rows: Iterable[Mapping[str, Any]]) -> SituationModel:
    """Return the situation model trained on the packaged corpus and the agents' choices in
    ``rows``; the packaged model itself when there are none."""
    examples = agent_examples(rows)
    if not examples:
        return packaged_model()
    return train(load_corpus() + examples)


class SituationLearner:
    """The situation model of a long-running process, learnt again from the agents' choices
    every ``every`` (``drafting.relearn_situations_every``): a daemon that runs for weeks picks
    up today's switches tomorrow instead of at its next restart. Each process (the daemon, its
    workers, the review page) keeps its own; the first :meth:`model` call trains it, a call
    after ``every`` has passed trains it again (the drafts of that moment wait for it: about a
    quarter of a second with the packaged corpus). When the store cannot be read the previous
    model is kept (the packaged one at first) and the next call after ``every`` tries again.
    ``choices`` returns the rows of ``store.learning.situation_choices``."""

    def __init__(self, choices: Callable[[], Iterable[Mapping[str, Any]]], clock: Clock,
                 every: timedelta) -> None:
        self._choices = choices
        self._clock = clock
        self._every = every
        self._lock = threading.Lock()
        self._model: SituationModel | None = None
        self._learnt_at: datetime | None = None

    def model(self) -> SituationModel:
        """The current model, trained again first when ``every`` has passed since the last
        training (or attempt)."""
        now = self._clock.now()
        with self._lock:
            if self._model is None or self._learnt_at is None or \
                    now - self._learnt_at >= self._every:
                self._learnt_at = now
                try:
                    self._model = learned_model(self._choices())
                except StoreError as e:
                    log.warning("situation model: agents' choices not read (%s); keeping the "
                                "%s model", e, "current" if self._model else "packaged")
                    if self._model is None:
                        self._model = packaged_model()
            return self._model
