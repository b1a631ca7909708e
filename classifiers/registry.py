"""The model registry: versions in the ``model_versions`` table, one of them active.

The daemon loads the active version (``active()`` returns its path and checksum); ``triage
models activate`` / ``rollback`` switch versions; every switch is written to the audit log.
The agents' reclassifications (``corrections`` table) are read here as training examples.

The model trained from the bundled corpus is the first version of the history
(:meth:`ModelRegistry.history`, named :data:`BUNDLED`): it is in use while no registered
version is active (``active()`` is then None and the loader trains or loads it), an admin can
activate it or roll back to it, and its row shows what its metadata file records (data seen,
review thresholds, metrics) when the model has been trained in ``models_dir``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from classifiers.corpus_io import LABELS, Example
from classifiers.model import FORMAT_VERSION, TriageClassifier
from classifiers.modelfile import read_meta, save_model
from classifiers.runtime import file_sha256
from triage.errors import ModelFileError, ModelVersionError, ModelVersionNotFound
from triage.store import Store
from triage.store.registry import BUNDLED

__all__ = ["BUNDLED", "ModelRegistry"]


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
        if model.version == BUNDLED:
            raise ModelVersionError(f"{BUNDLED!r} names the bundled model; give the model "
                                    "another version")
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

    def bundled(self) -> dict[str, Any]:
        """Return the bundled model's row, shaped like a registered version's.

        ``path``, ``sha256``, ``created_at`` (when it was trained) and ``metrics`` (its
        metrics plus ``data`` and ``language_thresholds``, as :meth:`record` stores them) come
        from the newest bundled model's metadata file in ``models_dir``, when there is one;
        ``activated_at`` is when an admin last went back to it (None: never, it was in use
        before any registered version).
        """
        row: dict[str, Any] = {"version": BUNDLED, "path": "", "sha256": "", "corpus_hash": "",
                               "metrics": {}, "created_at": None, "bundled": True,
                               "active": self.store.registry.active() is None,
                               "activated_at": None}
        marker = self.store.registry.bundled_marker()
        if marker is not None:
            row["activated_at"] = marker["activated_at"]
        files = sorted(self.models_dir.glob(f"bundled-v{FORMAT_VERSION}r*.json"),
                       key=lambda f: f.stat().st_mtime) if self.models_dir.is_dir() else []
        files = [f for f in files if not f.name.endswith(".runtime.json")]
        if not files:
            return row
        try:
            meta = read_meta(files[-1])
            trained = datetime.fromisoformat(str(meta.get("trained_at")))
        except (ModelFileError, ValueError):
            return row
        metrics = dict(meta.get("metrics") or {})  # type: ignore[call-overload]
        metrics.setdefault("n_train", meta.get("n_examples"))
        row.update(path=str(files[-1].with_suffix(".skops")), sha256=meta.get("sha256", ""),
                   corpus_hash=meta.get("corpus_hash", ""), created_at=trained,
                   model_version=meta.get("version", ""),
                   metrics={**metrics, "data": dict(meta.get("data") or {}),  # type: ignore[call-overload]
                            "language_thresholds":
                                dict(meta.get("language_thresholds") or {})})  # type: ignore[call-overload]
        return row

    def history(self) -> list[dict[str, Any]]:
        """Return the bundled model's row, then every registered version, oldest first."""
        return [self.bundled(), *self.versions()]

    def get(self, version: str) -> dict[str, Any]:
        """Return one version's row (``bundled`` too); raises ModelVersionError when it is not
        registered."""
        for row in self.history():
            if row["version"] == version:
                return row
        known = ", ".join(r["version"] for r in self.history())
        raise ModelVersionNotFound(f"model version {version!r} is not registered (known: {known});"
                                " see 'triage models list'")

    def active_row(self) -> dict[str, Any] | None:
        """Return the active registered version's row, or None (the bundled model is used)."""
        return self.store.registry.active()

    def active(self) -> tuple[str, str] | None:
        """Return ``(path, sha256)`` of the active version for the loader, or None."""
        row = self.active_row()
        return (row["path"], row["sha256"]) if row else None

    def activate(self, version: str, actor: str = "admin") -> dict[str, Any]:
        """Make ``version`` (``bundled`` too) the active one; return its row.

        Raises ModelVersionError (unknown version, model file missing).
        """
        row = self.get(version)
        if version != BUNDLED and not Path(row["path"]).is_file():
            raise ModelVersionError(f"model file {row['path']} of {version} is missing; "
                                    "retrain or restore it before activating")
        previous = self.active_row()
        if version == BUNDLED:
            self.store.registry.activate_bundled()
        else:
            self.store.registry.activate(version)
        self.store.audit(actor, "model_activated", detail={
            "version": version, "previous": previous["version"] if previous else BUNDLED})
        return self.get(version)

    def rollback_target(self) -> tuple[dict[str, Any] | None, str]:
        """Return ``(row, "")`` of the version a rollback re-activates, or ``(None, reason)``.

        The target is the version activated most recently before the current one; the bundled
        model, in use before any activation, counts as the oldest.
        """
        history = self.history()
        current = next(r for r in history if r["active"])  # the bundled one when none is
        earlier = [r for r in history if r["version"] != current["version"]
                   and (r["activated_at"] is not None or r["version"] == BUNDLED)]
        if not earlier:
            return None, ("the bundled model is in use and no registered version was ever "
                          "activated")
        return max(earlier, key=lambda r: (r["activated_at"] is not None,
                                           r["activated_at"] or 0)), ""

    def rollback(self, actor: str = "admin") -> dict[str, Any]:
        """Re-activate the version that was active before the current one; return its row.

        Raises ModelVersionError when there is nothing to roll back to.
        """
        target, reason = self.rollback_target()
        if target is None:
            raise ModelVersionError(f"nothing to roll back to: {reason}")
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
