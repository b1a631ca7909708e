"""Model versions for the admin pages: list, activate, roll back.

Thin wrappers over :class:`classifiers.registry.ModelRegistry`, the one registry the CLI,
the daemon and the page share. The daemon's classifier (``triage.modelstore.LiveClassifier``)
asks the registry which version is active before each batch, so an activation from the page
takes effect from the next message on, without a restart. The model trained from the bundled
corpus is the oldest version of the list (``bundled``), and can be activated or rolled back to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifiers.registry import ModelRegistry
from triage.store.store import Store

_NO_DIR = Path("/nonexistent/triage-models")


def _registry(store: Store, models_dir: Path | None) -> ModelRegistry:
    # Only ``register`` writes files; the models directory is read for the bundled model's
    # metadata (without it, its row shows no metrics).
    return ModelRegistry(store, models_dir or _NO_DIR)


def versions(store: Store, models_dir: Path | None = None) -> list[dict[str, Any]]:
    """Return every model version, newest first, the bundled model last."""
    return list(reversed(_registry(store, models_dir).history()))


def active(store: Store) -> dict[str, Any] | None:
    """Return the active registered version's row, or None (the bundled model is used)."""
    return _registry(store, None).active_row()


def rollback_target(store: Store, models_dir: Path | None = None
                    ) -> tuple[dict[str, Any] | None, str]:
    """Return the row a rollback would re-activate, or ``(None, why there is none)``."""
    return _registry(store, models_dir).rollback_target()


def activate(store: Store, version: str, actor: str) -> None:
    """Make ``version`` the active model; raises ModelVersionError (unknown, file missing)."""
    _registry(store, None).activate(version, actor)


def rollback(store: Store, actor: str) -> str:
    """Re-activate the version that was active before the current one; return its name.

    Raises ModelVersionError when there is nothing to roll back to.
    """
    return str(_registry(store, None).rollback(actor)["version"])
