"""Active learning: which unsure messages an agent's label would teach the model most.

Uncertainty sampling by margin: the smaller the gap between the two highest calibrated
probabilities of a message (``other`` included: "is this a support need at all?" is a
question too), the closer it sits to the model's decision boundary, and the more its label
moves that boundary. The picks are spread over languages (round robin, each language's most
unsure first), so a busy English inbox does not crowd out the Tagalog messages the model is
weakest on, and a text is asked about once however often it arrives.

Pure functions on stored scores: no model is loaded, nothing is imported from scikit-learn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_MARGIN = 0.5
"""A message whose best label leads the second by more than this is not unsure: it is never
asked about (a small inbox would otherwise spend the agents' clicks on sure messages)."""


@dataclass(frozen=True)
class Unsure:
    """A message proposed to the agents, with the question the model has."""

    message_id: int
    language: str
    margin: float
    """Top probability minus the second (0: a coin toss between the two)."""
    top: tuple[tuple[str, float], ...]
    """The two most probable labels with their probabilities, most probable first."""
    category: str
    """The model's category (what "confirm" records)."""
    row: Mapping[str, Any]
    """The stored row it came from (subject, text, sender, ...)."""


def margin(scores: Mapping[str, float]) -> tuple[float, tuple[tuple[str, float], ...]]:
    """Return ``(top - second, the two best (label, probability))`` of a score mapping.

    Raises ValueError when fewer than two labels are scored.
    """
    best = sorted(((str(k), float(v)) for k, v in scores.items()), key=lambda kv: -kv[1])[:2]
    if len(best) < 2:
        raise ValueError("a margin needs at least two scored labels")
    return round(best[0][1] - best[1][1], 4), tuple(best)


def _key(row: Mapping[str, Any]) -> str:
    return " ".join(f"{row.get('subject') or ''} {row.get('text') or ''}".split()).casefold()


def pick(rows: Sequence[Mapping[str, Any]], k: int,
         max_margin: float = MAX_MARGIN) -> list[Unsure]:
    """Return up to ``k`` rows to ask about: smallest margin first, one language at a time.

    ``rows`` carry ``id``, ``language``, ``category`` and ``scores`` (label -> probability);
    rows without two scores, with a margin over ``max_margin``, or whose text an earlier row
    had are skipped. Languages take turns in the order of their most unsure message.
    """
    if k <= 0:
        return []
    seen: set[str] = set()
    by_lang: dict[str, list[Unsure]] = defaultdict(list)
    for row in rows:
        scores = row.get("scores") or {}
        key = _key(row)
        if len(scores) < 2 or key in seen:
            continue
        seen.add(key)
        gap, top = margin(scores)
        if gap > max_margin:
            continue
        lang = str(row.get("language") or "")
        by_lang[lang].append(Unsure(int(row["id"]), lang, gap, top, str(row["category"]), row))
    queues = [sorted(items, key=lambda u: (u.margin, -u.message_id))
              for items in by_lang.values()]
    queues.sort(key=lambda q: (q[0].margin, q[0].language))
    out: list[Unsure] = []
    while len(out) < k and any(queues):
        for q in queues:
            if q and len(out) < k:
                out.append(q.pop(0))
    return out
