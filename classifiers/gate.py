"""The activation gate: a new model version must not lose where it counts.

Two held-out sets judge every model, and neither is ever trained on:

- the **held-out corrections**: a stable share of the agents' reclassifications (chosen by a
  hash of the text), scored by accuracy: how many of the agents' labels the model gives;
- the **test set**: a stable share of the bundled corpus (and ``--data`` files), the *shipped
  test set*, scored by macro-F1 of the four categories; or the admin's ``gate_data`` CSV of
  real messages instead.

A model passes against another when it is not worse on either set by more than the set's
tolerance. The corrections and ``gate_data`` are real messages (``gate_tolerance``, default
0); the shipped test set is written by the team, and learning the customers' own words from
the inbox costs it about 0.005 macro-F1 while real messages gain 0.03 (docs/benchmarks.md), so
it has its own tolerance (``gate_corpus_tolerance``). An empty set (no corrections yet) does
not judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from classifiers.corpus_io import Example
from classifiers.model import TriageClassifier


@dataclass(frozen=True)
class GateScores:
    """A model's scores on the two held-out sets."""

    test_f1: float
    n_test: int
    corrections_accuracy: float | None
    """None when no correction is held out."""
    n_corrections: int

    def as_dict(self) -> dict[str, float | int | None]:
        """Return the scores as JSON-able data."""
        return asdict(self)

    def describe(self) -> str:
        """Return the scores as a short phrase."""
        out = f"macro-F1 {self.test_f1:.4f} on the test set"
        if self.corrections_accuracy is not None:
            out += (f", accuracy {self.corrections_accuracy:.4f} on {self.n_corrections} "
                    "held-out corrections")
        return out


@dataclass(frozen=True)
class Tolerances:
    """How much worse than the model it replaces a new model may score on each set."""

    real: float = 0.0
    """Held-out corrections, and the test set when it is the admin's ``gate_data``."""
    corpus: float = 0.01
    """The shipped test set (part of the team-written corpus)."""


def score(model: TriageClassifier, test: Sequence[Example],
          held_corrections: Sequence[Example]) -> GateScores:
    """Score ``model`` on the test set and the held-out corrections."""
    from classifiers.evaluate import macro_f1  # scikit-learn: only when training

    f1 = macro_f1([e.label for e in test], model.predict_labels([e.text for e in test]))
    acc = None
    if held_corrections:
        got = model.predict_labels([e.text for e in held_corrections])
        acc = sum(g == e.label for g, e in zip(got, held_corrections, strict=True)) / len(got)
        acc = round(acc, 4)
    return GateScores(round(f1, 4), len(test), acc, len(held_corrections))


def passes(new: GateScores, old: GateScores, tol: Tolerances, *, test_is_real: bool
           ) -> tuple[bool, str]:
    """Return whether ``new`` does not lose against ``old``, and the rule applied, in words."""
    t_test = tol.real if test_is_real else tol.corpus
    ok = new.test_f1 >= old.test_f1 - t_test
    rule = (f"test macro-F1 {new.test_f1:.4f} must be >= {old.test_f1:.4f} - {t_test:.4f}")
    if new.corrections_accuracy is not None and old.corrections_accuracy is not None:
        ok = ok and new.corrections_accuracy >= old.corrections_accuracy - tol.real
        rule += (f"; held-out corrections accuracy {new.corrections_accuracy:.4f} must be >= "
                 f"{old.corrections_accuracy:.4f} - {tol.real:.4f}")
    return ok, rule
