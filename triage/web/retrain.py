"""Retraining from the admin page: bundled corpus plus agents' corrections (and, when
``classifier.self_training_days`` is set, self-training on the unlabelled inbox of those days)
-> a new, inactive model version, in a background thread whose progress the page shows.

It runs the same training and gate as ``triage train`` (``classifiers.retrain``), with the
``[classifier]`` gate settings and ``gate_data`` when the page is handed the settings. The new
version is registered, not activated: an admin activates it after reading the gate's verdict.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from classifiers.corpus_io import Example, load_corpus, read_examples
from classifiers.registry import ModelRegistry
from classifiers.retrain import TrainingData, gate_options, train_version
from classifiers.selftrain import load_inbox
from triage.config import Settings
from triage.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class RetrainStatus:
    """Where the latest retraining is."""

    state: str = "idle"
    """idle, running, done or failed."""
    steps: list[str] = field(default_factory=list)
    version: str | None = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Retrainer:
    """Runs one retraining at a time in a thread; ``status`` tells the page how it goes."""

    def __init__(self, store: Store, models_dir: Path,
                 corpus: Callable[[], Sequence[Example]] = load_corpus,
                 settings: Settings | None = None) -> None:
        self.store = store
        self.models_dir = models_dir
        self.corpus = corpus
        self.settings = settings
        """``[classifier]`` self-training, gate and threshold settings (None: defaults, no
        self-training)."""
        self.status = RetrainStatus()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, actor: str) -> bool:
        """Start retraining; return False when one is already running."""
        with self._lock:
            if self.status.state == "running":
                return False
            self.status = RetrainStatus(state="running", started_at=self.store.clock.now())
            self._thread = threading.Thread(target=self._run, args=(actor,), name="retrain",
                                            daemon=True)
            self._thread.start()
        return True

    def join(self, timeout: float) -> None:
        """Wait for the running retraining (tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _step(self, text: str) -> None:
        self.status.steps.append(text)
        log.info("retrain: %s", text)

    def _data(self, corpus: list[Example], fixes: list[Example]
              ) -> tuple[TrainingData, dict[str, Any]]:
        """Return the training data (inbox and gate data as the settings ask) and the
        :func:`train_version` options of the settings."""
        if self.settings is None:
            return TrainingData(corpus, fixes), {}
        c = self.settings.classifier
        days = c.self_training_days
        inbox = (load_inbox(self.store, days, c.self_training_max_messages,
                            self.store.clock.now()) if days else [])
        gate = read_examples(self.settings.resolve_path(c.gate_data)) if c.gate_data else None
        return TrainingData(corpus, fixes, inbox, days, gate), gate_options(c)

    def _run(self, actor: str) -> None:
        try:
            self._step("reading the bundled corpus and the agents' corrections")
            registry = ModelRegistry(self.store, self.models_dir)
            fixes = registry.corrections()
            corpus = list(self.corpus())
            examples = [*corpus, *fixes]
            self._step(f"{len(examples)} examples ({len(fixes)} from corrections)")
            data, options = self._data(corpus, fixes)
            if data.inbox:
                self._step(f"self-training on {len(data.inbox)} unlabelled messages of the "
                           f"last {data.inbox_days} days")
            # The same training and gate as 'triage train', but never activated from here:
            # an admin reads the gate's verdict and activates on the models page.
            # in a child process: the web page shares the daemon's memory (docs/operations.md)
            outcome = train_version(registry, data, activate=False, actor=actor,
                                    progress=self._step, in_child=True, **options)
            self.store.audit(actor, "model_retrain", None, {
                "version": outcome.model.version, "examples": len(examples),
                "gate": outcome.explanation})
            self.status.version = outcome.model.version
            self.status.state = "done"
            self._step(outcome.explanation)
            self._step(f"registered {outcome.model.version}; activate it to use it")
        except Exception as exc:  # contained: the page shows the reason
            log.exception("retraining failed")
            self.status.error = f"{type(exc).__name__}: {exc}"
            self.status.state = "failed"
        finally:
            self.status.finished_at = self.store.clock.now()
