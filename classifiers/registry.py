"""The model registry: versions in the ``model_versions`` table, one of them active.

The daemon loads the active version (``active()`` returns its path and checksum); ``triage
models activate`` / ``rollback`` switch versions; every switch is written to the audit log.
The agents' reclassifications (``corrections`` table) are read here as training examples.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from classifiers.corpus_io import LABELS, Example
from classifiers.model import TriageClassifier
from classifiers.modelfile import save_model
from classifiers.runtime import file_sha256
from triage.errors import ModelVersionError, ModelVersionNotFound
from triage.store import Store


class ModelRegistry:
    """Registered model versions, backed by the store."""

    def __init__(self, store: Store, models_dir: Path) -> None:
        self.store = store
        self.models_dir = models_dir

    def register(self, model: TriageClassifier, metrics: dict[str, Any]) -> Path:
        """Save ``model`` under ``models_dir`` and record it (inactive); return its path."""
        model.meta.metrics = dict(metrics)
        path = save_model(model, self.models_dir / f"{model.version}.skops")
        self.record(model, path)
        return path

    def record(self, model: TriageClassifier, path: Path) -> None:
        """Record ``model``, already saved at ``path``, as a new (inactive) version."""
        # which data the version saw (corpus hash, corrections, pseudo-labels and their
        # dates) rides in the metrics JSON, so the table needs no new column
        # and the per-language review thresholds it flags with (chosen at training)
        self.store.registry.add(model.version, str(path), file_sha256(path),
                                model.meta.corpus_hash,
                                {**model.meta.metrics, "data": dict(model.meta.data),
                                 "language_thresholds": dict(model.meta.language_thresholds)})

    def versions(self) -> list[dict[str, Any]]:
        """Return every registered version, oldest first."""
        return self.store.registry.versions()

    def get(self, version: str) -> dict[str, Any]:
        """Return one version's row; raises ModelVersionError when it is not registered."""
        for row in self.versions():
            if row["version"] == version:
                return row
        known = ", ".join(r["version"] for r in self.versions()) or "none yet"
        raise ModelVersionNotFound(f"model version {version!r} is not registered (known: {known});"
                                " see 'triage models list'")

    def active_row(self) -> dict[str, Any] | None:
        """Return the active version's row, or None."""
        return next((r for r in self.versions() if r["active"]), None)

    def active(self) -> tuple[str, str] | None:
        """Return ``(path, sha256)`` of the active version for the loader, or None."""
        row = self.active_row()
        return (row["path"], row["sha256"]) if row else None

    def activate(self, version: str, actor: str = "admin") -> dict[str, Any]:
        """Make ``version`` the active one; return its row. Raises ModelVersionError."""
        row = self.get(version)
        if not Path(row["path"]).is_file():
            raise ModelVersionError(f"model file {row['path']} of {version} is missing; "
                                    "retrain or restore it before activating")
        previous = self.active_row()
        self.store.registry.activate(version)
        self.store.audit(actor, "model_activated", detail={
            "version": version, "previous": previous["version"] if previous else None})
        return self.get(version)

    def rollback(self, actor: str = "admin") -> dict[str, Any]:
        """Re-activate the version that was active before the current one; return its row.

        Raises ModelVersionError when there is no earlier activated version.
        """
        current = self.active_row()
        earlier = [r for r in self.versions() if r["activated_at"] is not None
                   and (current is None or r["version"] != current["version"])]
        if not earlier:
            raise ModelVersionError("no earlier activated model version to roll back to")
        target = max(earlier, key=lambda r: r["activated_at"])
        return self.activate(target["version"], actor)

    def corrections(self, since: datetime | None = None) -> list[Example]:
        """Return the agents' corrections as training examples (newest label wins)."""
        rows = self.store.registry.corrections(since)
        latest: dict[str, Example] = {}
        for r in rows:
            if r["new_category"] not in LABELS:
                continue
            latest[r["text"]] = Example(r["text"], r["new_category"], r["language"] or "",
                                        r["channel"] or "", "corrections")
        return list(latest.values())

    def count_corrections(self, since: datetime | None = None) -> int:
        """Return how many corrections were stored (after ``since`` when given)."""
        return self.store.registry.count_corrections(since)
