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
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
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


def fit_and_save(train_part: Sequence[Example], held: Sequence[Example],
                 active: tuple[str, str] | None, models_dir: Path, *,
                 progress: Callable[[str], None] | None = None
                 ) -> tuple[Path, float, float | None]:
    """Train on ``train_part``, score it and the ``active`` (path, sha256) model on ``held``,
    and save the new model under ``models_dir``; return (path, its macro-F1, active's or None).

    The part of :func:`train_version` that needs scikit-learn (it may run in a child process).
    Raises ClassifierError when the data lacks a category.
    """
    from classifiers.modelfile import save_model
    from classifiers.training import train  # scikit-learn is imported here, not with the module

    try:
        model = train(train_part, progress=progress)
    except ValueError as exc:
        raise ClassifierError(f"cannot train: {exc}; add examples of it (--data CSV)") from exc
    if progress:
        progress(f"scoring the new model on {len(held)} held-back examples")
    cand = _score(model, held)
    active_f1: float | None = None
    if active is not None:
        try:
            active_f1 = _score(load_model(Path(active[0]), expected_sha256=active[1]), held)
        except TriageError as exc:
            log.warning("active model %s cannot be loaded (%s); the gate ignores it",
                        active[0], exc)
    model.meta.metrics = {"gate_macro_f1": cand, "gate_n": len(held),
                          "n_train": len(train_part)}
    return save_model(model, models_dir / f"{model.version}.skops"), cand, active_f1


def train_version(registry: ModelRegistry, examples: Sequence[Example], *,
                  gate_examples: Sequence[Example] | None = None, holdout_share: float = 0.15,
                  tolerance: float = 0.0, activate: bool = True, actor: str = "admin",
                  progress: Callable[[str], None] | None = None,
                  in_child: bool = False) -> TrainOutcome:
    """Train on ``examples``, register the version, and activate it if it passes the gate.

    ``in_child`` trains and scores in a child process (the daemon's scheduled retraining), so
    this process never imports scikit-learn. Raises ClassifierError when there is nothing to
    gate on or the data lacks a category.
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
    active_row = registry.active_row()
    active = (active_row["path"], active_row["sha256"]) if active_row else None
    args = (train_part, held, active, registry.models_dir)
    if in_child:
        # scikit-learn and the fitted pipeline cost the daemon ~90 MB it would never give back
        if progress:
            progress(f"training and scoring on {len(train_part)} examples in a child process")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            path, cand, active_f1 = pool.submit(fit_and_save, *args).result()
    else:
        path, cand, active_f1 = fit_and_save(*args, progress=progress)
    model = load_model(path)
    registry.record(model, path)
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
