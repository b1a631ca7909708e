"""The situation model learns from the agents: the situations they switched drafts to.

An agent who disagrees with the detected situation switches it on the message page
(``ReviewService.switch_situation``; the audit log keeps the choice). Those choices are labels
written by the people who answer the customers, on the customers' own phrasing: exactly what
the team's corpus lacks. :func:`learned_model` trains the situation model on the packaged
corpus plus each switched message (the newest choice per message), once per process (the
composition root, ``triage.services.App``, asks the store when the first draft is detected;
``drafting.learn_situations = false`` turns it off). A situation only agents pick (the
holding reply) is not learnt: detection never proposes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from triage.drafting.situation_model import SituationModel, load_corpus, packaged_model, train
from triage.drafting.situations import GENERAL, SITUATIONS

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
