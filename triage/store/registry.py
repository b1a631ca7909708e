"""The model registry's tables: ``model_versions`` (one of them active) and the agents'
``corrections`` read back as training examples.

Saving, loading and choosing model files is ``classifiers.registry``; this module stores them.

The model trained from the bundled corpus is the registry's first version without being a row
of its own: it is in use while no registered version is active. Only when an admin goes back
to it (activate or roll back) is a marker row named :data:`BUNDLED` written, so its activation
time is kept like the others'. :meth:`ModelVersions.versions` and :meth:`ModelVersions.active`
leave the marker out (no active registered version means the bundled model); a registry made
before the marker existed simply has none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from triage.store import schema as s
from triage.store.base import Aggregate, row_dict

BUNDLED = "bundled"
"""The reserved version name of the model trained from the bundled corpus."""


class ModelVersions(Aggregate):
    """Reads and writes ``model_versions``; reads ``corrections``."""

    def add(self, version: str, path: str, sha256: str, corpus_hash: str,
            metrics: dict[str, Any]) -> None:
        """Record a new, inactive model version."""
        with self.write(f"cannot register model version {version!r}") as c:
            c.execute(insert(s.model_versions).values(
                version=version, path=path, sha256=sha256, corpus_hash=corpus_hash,
                metrics=dict(metrics), created_at=self.clock.now(), active=False))

    def versions(self) -> list[dict[str, Any]]:
        """Return every registered version, oldest first (not the bundled model's marker)."""
        mv = s.model_versions
        with self.read("cannot read the model versions") as c:
            return [row_dict(r) for r in c.execute(
                select(mv).where(mv.c.version != BUNDLED).order_by(mv.c.id))]

    def active(self) -> dict[str, Any] | None:
        """Return the active registered version's row, or None (the bundled model is used)."""
        mv = s.model_versions
        with self.read("cannot read the model versions") as c:
            row = c.execute(select(mv).where(mv.c.active.is_(True), mv.c.version != BUNDLED)
                            .order_by(mv.c.id.desc()).limit(1)).first()
        return row_dict(row) if row else None

    def bundled_marker(self) -> dict[str, Any] | None:
        """Return the bundled model's marker row (its activation time), or None."""
        mv = s.model_versions
        with self.read("cannot read the model versions") as c:
            row = c.execute(select(mv).where(mv.c.version == BUNDLED)).first()
        return row_dict(row) if row else None

    def activate_bundled(self) -> None:
        """Go back to the bundled model: no registered version active, the marker row (written
        when missing) activated now, in one transaction."""
        mv = s.model_versions
        with self.write("cannot activate the bundled model") as c:
            if c.execute(select(mv.c.id).where(mv.c.version == BUNDLED)).first() is None:
                c.execute(insert(mv).values(version=BUNDLED, path="", sha256="", corpus_hash="",
                                            metrics={}, created_at=self.clock.now(),
                                            active=False))
            c.execute(update(mv).values(active=False))
            c.execute(update(mv).where(mv.c.version == BUNDLED)
                      .values(active=True, activated_at=self.clock.now()))

    def activate(self, version: str) -> None:
        """Make ``version`` the only active version, activated now (one transaction)."""
        mv = s.model_versions
        with self.write(f"cannot activate model version {version!r}") as c:
            c.execute(update(mv).values(active=False))
            c.execute(update(mv).where(mv.c.version == version)
                      .values(active=True, activated_at=self.clock.now()))

    def corrections(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Return the agents' reclassifications (after ``since`` when given), oldest first."""
        co = s.corrections
        q = select(co).order_by(co.c.id)
        if since is not None:
            q = q.where(co.c.created_at > since)
        with self.read("cannot read the corrections") as c:
            return [row_dict(r) for r in c.execute(q)]

    def count_corrections(self, since: datetime | None = None) -> int:
        """Return how many corrections were stored (after ``since`` when given)."""
        co = s.corrections
        q = select(func.count()).select_from(co)
        if since is not None:
            q = q.where(co.c.created_at > since)
        with self.read("cannot count the corrections") as c:
            return int(c.execute(q).scalar_one())
