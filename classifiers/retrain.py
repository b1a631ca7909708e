"""Train a new model version and decide, by a gate, whether it becomes active.

The gate: the new model must score a macro-F1 on a held-back set that is at least the active
model's minus ``tolerance``. The held-back set is either the admin's ``gate_data`` CSV (then
every example trains the model) or a stable share of the examples chosen by a hash of the text
(then the new model never sees them; the active model may have, which only favours keeping it).
Used by ``triage train`` and by the daemon's scheduled retraining.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers.corpus_io import Example
from classifiers.model import TriageClassifier
from classifiers.modelfile import load_model
from classifiers.registry import ModelRegistry
from triage.errors import ClassifierError, TriageError

log = logging.getLogger(__name__)


def split_holdout(examples: Sequence[Example], share: float
                  ) -> tuple[list[Example], list[Example]]:
    """Split ``examples`` into (train, held back) by a stable hash of each text."""
    cut = int(share * 10_000)
    train_part: list[Example] = []
    held: list[Example] = []
    for e in examples:
        h = int.from_bytes(hashlib.sha256(e.text.encode()).digest()[:4], "big") % 10_000
        (held if h < cut else train_part).append(e)
    return train_part, held


@dataclass
class TrainOutcome:
    """What a training run produced and what the gate decided."""

    model: TriageClassifier
    path: Path
    n_train: int
    n_gate: int
    candidate_f1: float
    active_version: str | None
    active_f1: float | None
    activated: bool
    explanation: str


def _score(model: TriageClassifier, held: Sequence[Example]) -> float:
    from classifiers.evaluate import macro_f1  # scikit-learn: only when training

    return round(macro_f1([e.label for e in held], model.predict_labels([e.text for e in held])),
                 4)


def train_version(registry: ModelRegistry, examples: Sequence[Example], *,
                  gate_examples: Sequence[Example] | None = None, holdout_share: float = 0.15,
                  tolerance: float = 0.0, activate: bool = True, actor: str = "admin",
                  progress: Callable[[str], None] | None = None) -> TrainOutcome:
    """Train on ``examples``, register the version, and activate it if it passes the gate.

    Raises ClassifierError when there is nothing to gate on or the data lacks a category.
    """
    if gate_examples:
        train_part, held = list(examples), list(gate_examples)
        where = f"{len(held)} examples of the gate data file"
    else:
        train_part, held = split_holdout(examples, holdout_share)
        where = (f"{len(held)} examples held back ({holdout_share:.0%} of the training data, "
                 "chosen by a hash of the text)")
    if not held:
        raise ClassifierError("the held-back set is empty; raise classifier.gate_holdout_share "
                              "or set classifier.gate_data")
    from classifiers.training import train  # scikit-learn is imported here, not with the module

    try:
        model = train(train_part, progress=progress)
    except ValueError as exc:
        raise ClassifierError(f"cannot train: {exc}; add examples of it (--data CSV)") from exc
    if progress:
        progress(f"scoring the new model on {len(held)} held-back examples")
    cand = _score(model, held)
    active_row = registry.active_row()
    active_f1: float | None = None
    if active_row is not None:
        try:
            current = load_model(Path(active_row["path"]), expected_sha256=active_row["sha256"])
            active_f1 = _score(current, held)
        except TriageError as exc:
            log.warning("active model %s cannot be loaded (%s); the gate ignores it",
                        active_row["version"], exc)
    metrics = {"gate_macro_f1": cand, "gate_n": len(held), "n_train": len(train_part)}
    path = registry.register(model, metrics)
    if active_f1 is None:
        passed = True
        why = (f"new model {model.version}: macro-F1 {cand:.4f} on {where}; no active model "
               "could be compared, so it passes the gate")
    else:
        passed = cand >= active_f1 - tolerance
        verdict = "passes" if passed else "fails"
        why = (f"new model {model.version}: macro-F1 {cand:.4f} vs active "
               f"{active_row['version']}: {active_f1:.4f} on {where}; it {verdict} the gate "
               f"(must be >= active - tolerance {tolerance:.4f} = {active_f1 - tolerance:.4f})")
    activated = False
    if passed and activate:
        registry.activate(model.version, actor)
        activated = True
        why += "; activated"
    elif passed:
        why += f"; not activated (run 'triage models activate {model.version}')"
    else:
        why += (f"; kept the active model (activate anyway with 'triage models activate "
                f"{model.version}', or raise classifier.gate_tolerance)")
    return TrainOutcome(model, path, len(train_part), len(held), cand,
                        active_row["version"] if active_row else None, active_f1, activated, why)
