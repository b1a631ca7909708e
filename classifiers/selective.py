"""Abstaining honestly: selective-accuracy curves and per-language review thresholds.

A message is *flagged* (``needs_review``) when the model thinks it is no support need
(``other`` scores highest) or when the confidence of its best category is under a threshold.
Raising the threshold flags more messages and makes the unflagged ones more often right; the
*selective-accuracy curve* is that trade-off: for each threshold, the share of messages flagged
against the accuracy of the messages that are not flagged.

:func:`choose_threshold` picks one point of a curve: the lowest threshold at which the
unflagged messages are right at least ``target_accuracy`` of the time while at most
``max_flagged`` of the messages are flagged. When no threshold achieves both, it spends the
flag budget on accuracy: the threshold with the best unflagged accuracy among those flagging at
most ``max_flagged`` (or, when the ``other`` messages alone exceed the budget, threshold 0).
The model file stores one such threshold per language (:func:`language_thresholds`).

numpy only: the runtime model applies the thresholds; training and evaluation draw the curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

TARGET_ACCURACY = 0.92
"""Accuracy the unflagged messages should reach (issue #17)."""
MAX_FLAGGED = 0.20
"""Largest share of messages the thresholds may flag for review (issue #17)."""
MIN_EXAMPLES = 30
"""A language with fewer labelled examples gets no threshold of its own (too noisy)."""
CURVE_GRID = tuple(round(0.05 * i, 2) for i in range(20))
"""Thresholds at which a curve is stored and shown (0.00, 0.05, ..., 0.95)."""


@dataclass(frozen=True)
class CurvePoint:
    """One point of a selective-accuracy curve."""

    threshold: float
    flagged: float
    """Share of all messages flagged (``other`` or confidence under ``threshold``)."""
    accuracy: float
    """Share of the unflagged messages whose category is right (1.0 when none is unflagged)."""


@dataclass(frozen=True)
class ThresholdChoice:
    """The threshold chosen for one group of messages, and why."""

    threshold: float
    flagged: float
    accuracy: float
    n: int
    met: bool
    """True when both targets are met; False when the point is the best trade-off."""

    def as_dict(self) -> dict[str, float | int | bool]:
        """Return the choice as JSON-able data."""
        return asdict(self)


def _arrays(confidence: Sequence[float], forced: Sequence[bool], correct: Sequence[bool]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    conf = np.asarray(confidence, dtype=np.float64)
    forced_a = np.asarray(forced, dtype=bool)
    correct_a = np.asarray(correct, dtype=bool)
    if not conf.shape == forced_a.shape == correct_a.shape:
        raise ValueError("confidence, forced and correct must have the same length")
    return conf, forced_a, correct_a


def curve(confidence: Sequence[float], forced: Sequence[bool], correct: Sequence[bool],
          thresholds: Sequence[float] | None = None) -> list[CurvePoint]:
    """Return the selective-accuracy curve of a set of predictions.

    ``confidence`` is each message's best-category confidence, ``forced`` whether it is flagged
    whatever the threshold (``other`` scored highest), ``correct`` whether its category is the
    true label. ``thresholds`` default to every distinct confidence (plus 0), the exact curve.
    Raises ValueError when the sequences differ in length.
    """
    conf, forced_a, correct_a = _arrays(confidence, forced, correct)
    n = len(conf)
    if n == 0:
        return []
    ts = np.unique(np.concatenate([[0.0], conf])) if thresholds is None else np.asarray(
        thresholds, dtype=np.float64)
    free = ~forced_a
    order = np.argsort(conf[free], kind="stable")
    c_sorted = conf[free][order]
    ok_sorted = correct_a[free][order].astype(np.int64)
    ok_above = np.concatenate([np.cumsum(ok_sorted[::-1])[::-1], [0]])  # right among i..end
    k = np.searchsorted(c_sorted, ts, side="left")  # free messages under each threshold
    kept = len(c_sorted) - k
    flagged = (forced_a.sum() + k) / n
    right = ok_above[k]
    acc = np.divide(right, kept, out=np.ones(len(ts)), where=kept > 0)
    # thresholds stay exact: a rounded-up threshold would flag the message it stands on
    return [CurvePoint(float(t), round(float(f), 4), round(float(a), 4))
            for t, f, a in zip(ts, flagged, acc, strict=True)]


def choose_threshold(points: Sequence[CurvePoint], n: int,
                     target_accuracy: float = TARGET_ACCURACY,
                     max_flagged: float = MAX_FLAGGED) -> ThresholdChoice:
    """Pick a threshold from an exact curve (see the module docstring for the rule).

    Raises ValueError when ``points`` is empty.
    """
    if not points:
        raise ValueError("no curve to choose a threshold from")
    budget = [p for p in points if p.flagged <= max_flagged + 1e-12]
    good = [p for p in budget if p.accuracy >= target_accuracy]
    if good:
        best = min(good, key=lambda p: (p.flagged, p.threshold))
        return ThresholdChoice(best.threshold, best.flagged, best.accuracy, n, True)
    if budget:
        best = max(budget, key=lambda p: (p.accuracy, -p.flagged))
    else:
        best = min(points, key=lambda p: p.threshold)
    return ThresholdChoice(best.threshold, best.flagged, best.accuracy, n, False)


def language_thresholds(languages: Sequence[str], confidence: Sequence[float],
                        forced: Sequence[bool], correct: Sequence[bool], *,
                        target_accuracy: float = TARGET_ACCURACY,
                        max_flagged: float = MAX_FLAGGED, min_examples: int = MIN_EXAMPLES,
                        ) -> tuple[dict[str, ThresholdChoice], dict[str, list[CurvePoint]]]:
    """Return ``(choice per language, curve per language on CURVE_GRID)``.

    Languages with fewer than ``min_examples`` messages get a curve but no choice.
    """
    conf, forced_a, correct_a = _arrays(confidence, forced, correct)
    langs = np.asarray(list(languages), dtype=object)
    choices: dict[str, ThresholdChoice] = {}
    curves: dict[str, list[CurvePoint]] = {}
    for lang in sorted(set(langs.tolist())):
        ix = langs == lang
        curves[lang] = curve(conf[ix], forced_a[ix], correct_a[ix], CURVE_GRID)
        if int(ix.sum()) >= min_examples:
            choices[lang] = choose_threshold(curve(conf[ix], forced_a[ix], correct_a[ix]),
                                             int(ix.sum()), target_accuracy, max_flagged)
    return choices, curves


def outcome(confidence: Sequence[float], forced: Sequence[bool], correct: Sequence[bool],
            threshold: float) -> CurvePoint:
    """Return the flagged share and unflagged accuracy that ``threshold`` gives."""
    return curve(confidence, forced, correct, [threshold])[0]


@dataclass(frozen=True)
class AbstainTargets:
    """What the per-language thresholds aim for (see :func:`choose_threshold`)."""

    target_accuracy: float = TARGET_ACCURACY
    max_flagged: float = MAX_FLAGGED
    min_examples: int = MIN_EXAMPLES


def selective_inputs(probs: np.ndarray, labels: Sequence[str], truth: Sequence[str] | None,
                     categories: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(confidence, forced, correct)`` of probability rows (columns = ``labels``).

    ``confidence`` is the best category's probability, ``forced`` whether ``other`` scores
    highest (flagged whatever the threshold), ``correct`` whether the best category is the
    ``truth`` label (all False when ``truth`` is None: unlabelled messages).
    """
    probs = np.asarray(probs, dtype=np.float64)
    cat_idx = [list(labels).index(c) for c in categories]
    cat = probs[:, cat_idx]
    best = np.argmax(cat, axis=1)
    confidence = cat[np.arange(len(cat)), best]
    if "other" in labels:
        forced = probs[:, list(labels).index("other")] >= probs.max(axis=1)
    else:
        forced = np.zeros(len(probs), dtype=bool)
    if truth is None:
        correct = np.zeros(len(probs), dtype=bool)
    else:
        correct = np.asarray(categories, dtype=object)[best] == np.asarray(truth, dtype=object)
    return confidence, forced, correct.astype(bool)


def budget_threshold(confidence: Sequence[float], forced: Sequence[bool],
                     max_flagged: float = MAX_FLAGGED) -> float:
    """Return the highest threshold that flags at most ``max_flagged`` of these messages.

    Needs no labels, so it can be measured on the unlabelled inbox. Returns 0.0 when the
    ``forced`` messages alone exceed the budget.
    """
    conf, forced_a, _ = _arrays(confidence, forced, [False] * len(confidence))
    n = len(conf)
    allowed = int(np.floor(max_flagged * n + 1e-9)) - int(forced_a.sum())
    if n == 0 or allowed < 0:
        return 0.0
    free = np.sort(conf[~forced_a])
    if allowed >= len(free):
        return 1.0
    return float(free[allowed])


DEFAULT_TARGETS = AbstainTargets()
"""The targets of issue #17: right >= 92 % of the time with at most 20 % flagged."""
