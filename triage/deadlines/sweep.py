"""The deadline sweep (run by the daemon every ``scheduler.sweep_interval``).

One sweep: mark deadlines met whose thread got an agent's reply, move the others between
ok / due_soon / breached, record each warning threshold reached (once, in ``warnings_sent``),
queue one notice per new threshold and target, and deliver what is due. A failure on one
deadline is logged and the sweep goes on with the next.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from triage.clock import Clock
from triage.deadlines.notify import Notifier
from triage.deadlines.policy import DeadlinePolicy, State, waiting_on_customer
from triage.store.deadline_store import DeadlineStore

log = logging.getLogger(__name__)


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class DeadlineSweeper:
    """Runs one sweep over every open deadline; collaborators are injected."""

    def __init__(self, policy: DeadlinePolicy, dstore: DeadlineStore, notifier: Notifier,
                 clock: Clock, stop: threading.Event | None = None,
                 after_sweep: Callable[[], object] | None = None) -> None:
        self.policy = policy
        # called after each sweep; the daemon hands in ops.memtrim.release_free_heap so the
        # pages' memory goes back to the system
        self.after_sweep = after_sweep
        self.dstore = dstore
        self.notifier = notifier
        self.clock = clock
        self.stop = stop  # set on shutdown: the sweep ends after the current page
        self._planned = False  # the first sweep looks at every deadline (policy may differ)
        self.page = 2000  # open deadlines read per query; bounds the sweep's memory

    def sweep(self) -> dict[str, int]:
        """Sweep once; return how many deadlines changed to each state (e.g. ``{"met": 1}``)."""
        now = self.clock.now()
        if not self._planned:
            self.dstore.recheck_all()
            self._planned = True
        changed: dict[str, int] = {}
        met = self.dstore.mark_answered()
        if met:
            changed[State.MET.value] = len(met)
            for r in met:
                log.info("message %s answered by %s at %s", r["message_id"],
                         r["met_by"] or "an agent", r["met_at"].isoformat())
        met_ids = {r["id"] for r in met}
        try:
            settings = self.policy.settings
            wanted = settings.resolution or any(r.kind == "resolution" for r in settings.rules)
            if wanted:
                self._start_resolutions()
        except Exception:
            log.exception("resolution deadlines could not be started; retried next sweep")
        # only the deadlines whose state or warnings may have changed since the last look,
        # a page at a time (the first sweep after a start looks at every open deadline)
        after = 0
        while True:
            rows = self.dstore.open_deadlines(due_by=now, after_id=after, limit=self.page)
            self._page(rows, now, met_ids, changed)
            if len(rows) < self.page:
                break
            if self.stop is not None and self.stop.is_set():
                break  # shutting down: the rest is looked at by the next sweep
            after = rows[-1]["id"]
        if changed.get(State.BREACHED.value) or changed.get(State.DUE_SOON.value):
            log.warning("deadlines: %d newly breached, %d now due soon",
                        changed.get(State.BREACHED.value, 0),
                        changed.get(State.DUE_SOON.value, 0))
        try:
            self.notifier.deliver()
        except Exception:
            log.exception("delivering deadline notices failed; retried at the next sweep")
        del rows
        if self.after_sweep is not None:
            self.after_sweep()
        return changed

    def _page(self, rows: list[dict[str, Any]], now: Any, met_ids: set[int],
              changed: dict[str, int]) -> None:
        """Sweep one page of open deadlines and save when to look at each next."""
        checks: dict[int, Any] = {}
        states: dict[int, str] = {}
        waiting = self._update_resolutions([r for r in rows if r["kind"] == "resolution"],
                                           now)
        for row in rows:
            if row["id"] in waiting:
                continue  # the clock is paused: no state change, no warning
            if row["id"] in met_ids:
                continue
            try:
                self._one(row, now, changed, states)
                if row["kind"] != "resolution":
                    checks[row["id"]] = self.policy.next_change(
                        row["received_at"], row["due_at"], now, row["channel"],
                        source=row.get("source") or "")
            except Exception:  # contained per deadline (looked at again next sweep)
                log.exception("deadline %s of message %s could not be swept", row["id"],
                              row["message_id"])
        try:
            self.dstore.set_states(states)
            self.dstore.set_next_checks(checks)
        except Exception:
            log.exception("the next checks of %d deadlines could not be saved; they are "
                          "looked at again next sweep", len(checks))

    def _start_resolutions(self) -> int:
        """Give each new thread its resolution deadline (when the policy has one)."""
        made = 0
        cands = self.dstore.resolution_candidates()
        events = self.dstore.thread_events([r["thread_id"] for r in cands])
        now = self.clock.now()
        for r in cands:
            category = r.get("category") or ""
            if not self.policy.has_resolution(r["channel"], category, r["priority"]):
                continue
            replies, customer = events[r["thread_id"]]
            pauses, _ = waiting_on_customer(replies, customer, now)
            due, policy = self.policy.resolution_due(r["received_at"], r["channel"], category,
                                                     r["priority"], pauses,
                                                     source=r.get("source") or "")
            made += self.dstore.add_deadline(r["id"], "resolution", policy, due, r["priority"])
        return made

    def _update_resolutions(self, rows: list[dict[str, Any]], now: Any) -> set[int]:
        """Recompute open resolution deadlines from the thread's waiting periods; return the
        ids of those whose clock is paused now (we are waiting on the customer)."""
        paused: set[int] = set()
        events = self.dstore.thread_events(sorted({r["thread_id"] for r in rows
                                                   if r.get("thread_id")}))
        for row in rows:
            try:
                replies, customer = events.get(row["thread_id"], ([], []))
                pauses, waiting = waiting_on_customer(replies, customer, now)
                due, _ = self.policy.resolution_due(
                    row["received_at"], row["channel"], row.get("category") or "",
                    row["priority"], pauses, source=row.get("source") or "")
                if due != row["due_at"]:
                    self.dstore.set_due(row["id"], due)
                    row["due_at"] = due
                if waiting:
                    paused.add(row["id"])
            except Exception:
                log.exception("resolution deadline %s could not be updated", row["id"])
        return paused

    def _one(self, row: dict[str, Any], now: Any, changed: dict[str, int],
             states: dict[int, str]) -> None:
        source = row.get("source") or ""
        state = self.policy.state(row["due_at"], now, row["channel"], source=source)
        if state.value != row["state"]:
            states[row["id"]] = state.value
            changed[state.value] = changed.get(state.value, 0) + 1
            if state in (State.DUE_SOON, State.BREACHED):
                log.info("message %s is %s (due %s)", row["message_id"], state.value,
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
