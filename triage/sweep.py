"""The deadline sweep (run by the daemon every ``scheduler.sweep_interval``).

One sweep: mark deadlines met whose thread got an agent's reply, move the others between
ok / due_soon / breached, record each warning threshold reached (once, in ``warnings_sent``),
queue one notice per new threshold and target, and deliver what is due. A failure on one
deadline is logged and the sweep goes on with the next.
"""

from __future__ import annotations

import logging
from typing import Any

from triage.clock import Clock
from triage.deadlines import DeadlinePolicy, State
from triage.notify import Notifier
from triage.store.deadline_store import DeadlineStore

log = logging.getLogger(__name__)


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class DeadlineSweeper:
    """Runs one sweep over every open deadline; collaborators are injected."""

    def __init__(self, policy: DeadlinePolicy, dstore: DeadlineStore, notifier: Notifier,
                 clock: Clock) -> None:
        self.policy = policy
        self.dstore = dstore
        self.notifier = notifier
        self.clock = clock

    def sweep(self) -> dict[str, int]:
        """Sweep once; return how many deadlines changed to each state (e.g. ``{"met": 1}``)."""
        now = self.clock.now()
        rows = self.dstore.open_deadlines()
        changed: dict[str, int] = {}
        met = self.dstore.mark_answered(rows)
        if met:
            changed[State.MET.value] = len(met)
            for r in met:
                log.info("message %s answered by %s at %s", r["message_id"],
                         r["met_by"] or "an agent", r["met_at"].isoformat())
        met_ids = {r["id"] for r in met}
        for row in rows:
            if row["id"] in met_ids:
                continue
            try:
                self._one(row, now, changed)
            except Exception:  # contained per deadline
                log.exception("deadline %s of message %s could not be swept", row["id"],
                              row["message_id"])
        try:
            self.notifier.deliver()
        except Exception:
            log.exception("delivering deadline notices failed; retried at the next sweep")
        return changed

    def _one(self, row: dict[str, Any], now: Any, changed: dict[str, int]) -> None:
        source = row.get("source") or ""
        state = self.policy.state(row["due_at"], now, row["channel"], source=source)
        if state.value != row["state"]:
            self.dstore.set_state(row["id"], state.value)
            changed[state.value] = changed.get(state.value, 0) + 1
            if state in (State.DUE_SOON, State.BREACHED):
                log.warning("message %s is %s (due %s)", row["message_id"], state.value,
                            row["due_at"].isoformat())
        reached = self.policy.warnings_reached(row["received_at"], row["due_at"], now,
                                               row["channel"], source=source)
        sent = set(row.get("warnings_sent") or [])
        new = [t for t in reached if t not in sent]
        if not new:
            return
        # Several thresholds passed at once (the daemon was down): record them all, but
        # notify only the most advanced one.
        notice = "breached" if "breached" in new else new[-1]
        payload = {
            "message_id": row["message_id"], "deadline_id": row["id"], "kind": row["kind"],
            "threshold": notice, "state": state.value, "due_at": _iso(row["due_at"]),
            "received_at": _iso(row["received_at"]), "channel": row["channel"],
            "source": source, "category": row.get("category"), "priority": row["priority"],
            "policy": row["policy"], "subject": row.get("subject") or "",
            "sender": row.get("sender") or "",
        }
        queued = self.dstore.record_warnings(row, new, notice, self.notifier.targets, payload)
        if queued:
            log.info("message %s: %s notice queued for %d target(s)", row["message_id"],
                     notice, queued)
