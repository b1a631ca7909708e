"""Retraining from the admin page: bundled corpus plus agents' corrections -> a new, inactive
model version, in a background thread whose progress the page shows.

The classifier work may ship its own retraining in ``classifiers/``; this is the minimal
version the admin button needs. The new version is registered, not activated: an admin
activates it after looking at its metrics.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select

from classifiers.corpus_io import Example, load_corpus
from classifiers.model import file_sha256, train
from classifiers.modelfile import save_model
from triage.store import schema as s
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


def correction_examples(store: Store) -> list[Example]:
    """Return every stored reclassification as a labelled example."""
    co = s.corrections
    with store.engine.connect() as c:
        return [Example(text=r.text, label=r.new_category, lang=r.language or "",
                        channel=r.channel or "")
                for r in c.execute(select(co.c.text, co.c.new_category, co.c.language,
                                          co.c.channel).order_by(co.c.id))]


class Retrainer:
    """Runs one retraining at a time in a thread; ``status`` tells the page how it goes."""

    def __init__(self, store: Store, models_dir: Path,
                 corpus: Callable[[], Sequence[Example]] = load_corpus) -> None:
        self.store = store
        self.models_dir = models_dir
        self.corpus = corpus
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

    def _run(self, actor: str) -> None:
        try:
            self._step("reading the bundled corpus and the agents' corrections")
            fixes = correction_examples(self.store)
            examples = [*self.corpus(), *fixes]
            self._step(f"{len(examples)} examples ({len(fixes)} from corrections)")
            model = train(examples, progress=self._step)
            path = save_model(model, self.models_dir / f"{model.version}.skops")
            self._step(f"saved {path.name}")
            now = self.store.clock.now()
            with self.store.engine.begin() as c:
                c.execute(insert(s.model_versions).values(
                    version=model.version, path=str(path), sha256=file_sha256(path),
                    corpus_hash=model.meta.corpus_hash, metrics=model.meta.metrics or {},
                    created_at=now, active=False))
            self.store.audit(actor, "model_retrain", None, {"version": model.version,
                                                            "examples": len(examples)})
            self.status.version = model.version
            self.status.state = "done"
            self._step(f"registered {model.version}; activate it to use it")
        except Exception as exc:  # contained: the page shows the reason
            log.exception("retraining failed")
            self.status.error = f"{type(exc).__name__}: {exc}"
            self.status.state = "failed"
        finally:
            self.status.finished_at = self.store.clock.now()
