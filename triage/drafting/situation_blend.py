"""How the keyword rules and the situation model decide together (the blend).

:func:`triage.drafting.situations.detect_situation` asks the rules
(:func:`~triage.drafting.situations.detect_by_rules`) and the model
(:mod:`triage.drafting.situation_model`) and hands both answers to :func:`blend`, a pure
function of them and of :class:`BlendWeights`, so the weights can be chosen by
cross-validation (``bench/situations_cv.py``, leave one fixture round out) without running
either again.

The model gives a probability per situation; each situation the rules scored gets
``weight * min(score, cap) / cap`` on top, where the weight depends on how sure the rules are:
a situation named by an exact phrase (a single rule of weight :data:`EXACT_AT` or more, such as
"hoàn tiền", "belum sampai", "hindi maka-login") weighs :attr:`BlendWeights.exact`, one named
only by broad keywords ("error", "kurir", "tracking") :attr:`BlendWeights.broad`; and a rule the
model strongly disagrees with (it gives that situation less than
:attr:`BlendWeights.doubt_below`) counts only :attr:`BlendWeights.doubt_factor` of that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

GENERAL = "general"
EXACT_AT = 3.0
"""A rule of at least this weight is an exact phrase; below it, a broad keyword."""


class RuledDetection(Protocol):
    """What :func:`blend` reads of the rules' answer (a ``Detection``)."""

    situation: str
    scores: dict[str, float]
    strongest: dict[str, float]


@dataclass(frozen=True)
class BlendWeights:
    """The blend's settings (see the module docstring); the defaults are the ones chosen by
    leave-one-round-out cross-validation (docs/benchmarks.md, "Situation accuracy")."""

    exact: float = 0.2
    """What a situation named by an exact phrase adds at a full score (``cap``)."""
    broad: float = 0.2
    """What a situation named only by broad keywords adds at a full score."""
    cap: float = 4.0
    """The rule score at which a situation's rule evidence is full."""
    general: float = 0.05
    """What ``general`` gets when no rule names a situation."""
    doubt_below: float = 0.0
    """A model probability under which the rules' evidence for that situation is in doubt."""
    doubt_factor: float = 1.0
    """The share of its weight that evidence in doubt keeps."""
    chase_exact: float = 3.5
    """A follow-up rule score from which the rules decide alone (a chasing phrase such as "any
    update?", "lần thứ 3", "belum ada balasan", "wala pa ring sagot")."""
    closing_alone: float = 0.5
    """The model probability from which ``closing`` may win without a closing phrase (above 1:
    never; a short reply in a thread is not "it's solved" by itself)."""


DEFAULT_WEIGHTS = BlendWeights()


def rules_decide(ruled: RuledDetection, weights: BlendWeights = DEFAULT_WEIGHTS) -> bool:
    """Return whether the rules' answer is exact enough to stand without the model (a chasing
    phrase)."""
    return ruled.situation == "follow_up" and \
        ruled.scores.get("follow_up", 0.0) >= weights.chase_exact


def blend(ruled: RuledDetection, probs: dict[str, float],
          weights: BlendWeights = DEFAULT_WEIGHTS) -> dict[str, float]:
    """Return the blended score of each situation: the model's probabilities ``probs`` plus the
    rules' evidence in ``ruled``. The caller takes the highest; ``closing`` is left out unless
    a closing phrase fired or the model is sure enough (:attr:`BlendWeights.closing_alone`),
    and a suggestion's highest is ``general`` unless it is thanks."""
    total = dict(probs)
    for name, score in ruled.scores.items():
        if name not in total:
            continue
        weight = weights.exact if ruled.strongest.get(name, 0.0) >= EXACT_AT else weights.broad
        if probs.get(name, 0.0) < weights.doubt_below:
            weight *= weights.doubt_factor
        total[name] += weight * min(score, weights.cap) / weights.cap
    if ruled.situation == GENERAL:
        total[GENERAL] = total.get(GENERAL, 0.0) + weights.general
    if not ruled.scores.get("closing") and probs.get("closing", 0.0) < weights.closing_alone:
        total.pop("closing", None)
    return total


def choose(total: dict[str, float], category: str = "") -> str:
    """Return the situation with the highest blended score; ``general`` (the suggestion reply)
    for a suggestion unless it is thanks."""
    best = max(total, key=lambda k: total[k])
    if category == "suggestion" and best != "thanks":
        return GENERAL
    return best
