"""Scheduled retraining inside the daemon (``classifier.retrain_interval``).

The job retrains from the bundled corpus, the agents' corrections and, when
``classifier.self_training_days`` is set, the unlabelled inbox of those days, when enough new
corrections arrived since the active model was registered; it gates the new version like
``triage train`` and, when it is activated, swaps it into the running pipeline. Training runs
in a child process, so the daemon keeps its lean footprint (no scikit-learn) afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from classifiers.modelfile import load_model
from classifiers.registry import ModelRegistry
from classifiers.retrain import TrainOutcome, gate_options, train_version, training_data

log = logging.getLogger(__name__)


def retrain_once(app: Any) -> TrainOutcome | None:
    """Retrain for ``app`` (a :class:`triage.services.App`) if enough corrections are new.

    Returns the outcome, or None when skipped. Raises TriageError subclasses on failure.
    """
    c = app.settings.classifier
    registry = ModelRegistry(app.store, app.settings.data_path / "models")
    active = registry.active_row()
    since = active["created_at"] if active else None
    new = registry.count_corrections(since)
    if new < c.retrain_min_corrections:
        log.info("scheduled retraining skipped: %d new corrections (< %d)", new,
                 c.retrain_min_corrections)
        return None
    data = training_data(app.settings, registry, app.store.clock.now())
    outcome = train_version(registry, data, actor="scheduler", in_child=True, **gate_options(c))
    log.info("scheduled retraining: %s", outcome.explanation)
    if outcome.activated:
        model = load_model(outcome.path, review_threshold=c.review_threshold,
                           category_thresholds=c.category_thresholds,
                           lingua_margin=c.lingua_margin,
                           language_thresholds=c.language_thresholds)
        app.pipeline.classifier = model
    return outcome


def retrain_job(app: Any) -> Callable[[], object]:
    """Return the daemon job that calls :func:`retrain_once` for ``app``."""
    return lambda: retrain_once(app)
