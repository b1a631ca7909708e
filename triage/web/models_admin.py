"""Model versions for the admin pages: list, activate, roll back.

Thin wrappers over :class:`classifiers.registry.ModelRegistry`, the one registry the CLI,
the daemon and the page share. The daemon's classifier (``triage.modelstore.LiveClassifier``)
asks the registry which version is active before each batch, so an activation from the page
takes effect from the next message on, without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifiers.registry import ModelRegistry
from triage.store.store import Store


def _registry(store: Store) -> ModelRegistry:
    # Only ``register`` writes files; listing and (de)activating need no models directory.
    return ModelRegistry(store, Path())


def versions(store: Store) -> list[dict[str, Any]]:
    """Return every registered model version, newest first."""
    return list(reversed(_registry(store).versions()))


def active(store: Store) -> dict[str, Any] | None:
    """Return the active version row, if any."""
    return _registry(store).active_row()


def activate(store: Store, version: str, actor: str) -> None:
    """Make ``version`` the active model; raises ModelVersionError (unknown, file missing)."""
    _registry(store).activate(version, actor)


def rollback(store: Store, actor: str) -> str:
    """Re-activate the version that was active before the current one; return its name.

    Raises ModelVersionError when no earlier activated version exists.
    """
    return str(_registry(store).rollback(actor)["version"])
