"""Model versions for the admin pages: list, activate, roll back (store level).

The classifier work may ship a fuller registry in ``classifiers/``; until then these small
functions flip the ``active`` flag of the ``model_versions`` table. The daemon loads the active
model at start, so an activation takes effect on the next restart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from triage.errors import NotFound
from triage.store import schema as s
from triage.store.store import Store


def versions(store: Store) -> list[dict[str, Any]]:
    """Return every registered model version, newest first."""
    mv = s.model_versions
    with store.engine.connect() as c:
        return [Store._dict(r) for r in c.execute(select(mv).order_by(mv.c.created_at.desc(),
                                                                       mv.c.id.desc()))]


def active(store: Store) -> dict[str, Any] | None:
    """Return the active version row, if any."""
    return next((v for v in versions(store) if v["active"]), None)


def activate(store: Store, version: str, actor: str) -> None:
    """Make ``version`` the active model; raises NotFound."""
    mv = s.model_versions
    now = store.clock.now()
    with store.engine.begin() as c:
        if c.execute(select(mv.c.id).where(mv.c.version == version)).first() is None:
            raise NotFound(f"model version {version!r} is not registered")
        c.execute(update(mv).values(active=False))
        c.execute(update(mv).where(mv.c.version == version).values(active=True,
                                                                     activated_at=now))
    store.audit(actor, "model_activate", None, {"version": version})


def rollback(store: Store, actor: str) -> str:
    """Re-activate the version that was active before the current one; return its name.

    Raises NotFound when no earlier activated version exists.
    """
    rows = [v for v in versions(store) if v["activated_at"] is not None]
    rows.sort(key=lambda v: v["activated_at"], reverse=True)
    current = next((v for v in rows if v["active"]), None)
    earlier = [v for v in rows if current is None or v["version"] != current["version"]]
    if not earlier:
        raise NotFound("no earlier activated model version to roll back to")
    activate(store, earlier[0]["version"], actor)
    return str(earlier[0]["version"])
