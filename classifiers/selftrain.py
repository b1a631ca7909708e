"""Self-training: learning the customers' own words from the unlabelled inbox.

The model labels the stored messages no agent has labelled; for each category it keeps the
most confident half of the messages it gave that category (never ``other``: a guess of "no
support need" teaches nothing) and trains again on the labelled data plus these
pseudo-labels; two rounds. On the real dev data this gained 0.02-0.03 macro-F1 at the same
speed (docs/benchmarks.md), because the model learns spellings and language mixes the corpus
lacks.

Agents' labels always win: a message an agent reclassified is never pseudo-labelled (the store
leaves it out, and any text equal to a labelled example is skipped here), and whether the
pseudo-labels are kept at all is decided by the held-out corrections and the shipped test set
(:mod:`classifiers.retrain`).

Importing this module does not import scikit-learn (the daemon reads its inbox with it);
:func:`self_train` imports the training code when it runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from classifiers.corpus_io import Example
from classifiers.model import TriageClassifier, model_input

if TYPE_CHECKING:
    from triage.store.store import Store

ROUNDS = 2
"""Rounds of pseudo-labelling and retraining."""
KEEP_SHARE = 0.5
"""Share of each category's pseudo-labelled messages kept: the most confident ones."""
PSEUDO_SOURCE = "pseudo"
"""``Example.source`` of a pseudo-labelled example."""


@dataclass(frozen=True)
class Unlabelled:
    """A message without a label: the text the model classifies, its language if known, and
    when it was received (recorded as the date range of the pseudo-labels)."""

    text: str
    language: str = ""
    received_at: datetime | None = None


@dataclass
class SelfTraining:
    """The models and pseudo-labels of one self-training run."""

    base: TriageClassifier
    """The model trained on the labelled examples alone (round 0)."""
    model: TriageClassifier
    """The model of the last round."""
    pseudo: list[Example] = field(default_factory=list)
    """The last round's pseudo-labelled examples."""
    used: list[Unlabelled] = field(default_factory=list)
    """The messages those pseudo-labels came from."""


def load_inbox(store: Store, days: int, max_messages: int, now: datetime) -> list[Unlabelled]:
    """Return the store's unlabelled messages of the last ``days`` days (newest first, at most
    ``max_messages``), as the model reads them."""
    from triage.store.inbox_sample import unlabelled_messages

    rows = unlabelled_messages(store, now - timedelta(days=days), max_messages)
    return [Unlabelled(model_input(r.text, r.subject), r.language, r.received_at) for r in rows]


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def pseudo_label(model: TriageClassifier, items: Sequence[Unlabelled], *,
                 keep_share: float = KEEP_SHARE, exclude: Iterable[str] = ()
                 ) -> list[tuple[Example, Unlabelled]]:
    """Label ``items`` with ``model``; keep each category's most confident ``keep_share``.

    Messages the model thinks are ``other``, duplicates and texts in ``exclude`` (labelled
    examples: their label wins) are never pseudo-labelled. Returns (example, item) pairs.
    """
    skip = {_key(t) for t in exclude}
    todo: list[Unlabelled] = []
    for item in items:
        k = _key(item.text)
        if k and k not in skip:
            skip.add(k)
            todo.append(item)
    if not todo:
        return []
    probs = model.probabilities([i.text for i in todo])
    best = np.argmax(probs, axis=1)
    conf = probs[np.arange(len(todo)), best]
    langs = [i.language for i in todo]
    missing = [n for n, lang in enumerate(langs) if not lang]
    if missing:
        for n, lang in zip(missing, model.detect_languages([todo[n].text for n in missing]),
                           strict=True):
            langs[n] = lang
    by_label: dict[str, list[int]] = defaultdict(list)
    for n, b in enumerate(best.tolist()):
        label = model.meta.labels[b]
        if label != "other":
            by_label[label].append(n)
    out: list[tuple[Example, Unlabelled]] = []
    for label, rows in sorted(by_label.items()):
        rows.sort(key=lambda n: -conf[n])
        for n in rows[:int(len(rows) * keep_share)]:
            out.append((Example(todo[n].text, label, langs[n], "", PSEUDO_SOURCE), todo[n]))
    return out


def self_train(labelled: Sequence[Example], items: Sequence[Unlabelled], *,
               rounds: int = ROUNDS, keep_share: float = KEEP_SHARE,
               exclude: Iterable[str] = (), base: TriageClassifier | None = None,
               progress: Callable[[str], None] | None = None,
               version: str | None = None,
               weights: Sequence[float] | None = None) -> SelfTraining:
    """Train on ``labelled``, then ``rounds`` times pseudo-label ``items`` and retrain.

    ``base`` is the round-0 model when the caller has it. Every round starts from the labelled
    examples again (pseudo-labels are not carried over), so a bad round cannot compound.
    ``weights`` are the labelled examples' sample weights in every fit (pseudo-labels weigh
    1; :mod:`classifiers.inbox_weights`). The returned models carry no review thresholds yet.
    Raises ValueError when ``labelled`` lacks a category.
    """
    from classifiers.training import fit  # scikit-learn: only when training

    labelled = list(labelled)
    skip = [*exclude, *(e.text for e in labelled)]
    if base is None:
        base = fit(labelled, progress=progress, version=version, weights=weights)
    result = SelfTraining(base, base)
    for r in range(1, rounds + 1):
        pairs = pseudo_label(result.model, items, keep_share=keep_share, exclude=skip)
        if not pairs:
            break
        if progress:
            progress(f"self-training round {r}: {len(pairs)} pseudo-labels from "
                     f"{len(items)} unlabelled messages")
        pseudo = [e for e, _ in pairs]
        model = fit(labelled, pseudo=pseudo, version=version, weights=weights)
        result = SelfTraining(base, model, pseudo, [i for _, i in pairs])
    return result


def date_range(items: Sequence[Unlabelled]) -> dict[str, Any]:
    """Return ``{"from": iso, "to": iso}`` of the items' received dates (None when unknown)."""
    dates = sorted(i.received_at for i in items if i.received_at is not None)
    return {"from": dates[0].isoformat() if dates else None,
            "to": dates[-1].isoformat() if dates else None}
