"""The export format (``triage export --format jsonl``): one JSON object per message."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from triage.deadlines.policy import DeadlinePolicy

# Characters that str.splitlines() and JavaScript treat as line breaks but JSON leaves raw
# when ensure_ascii is off: escaped so one record stays one line for every line reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_line(obj: Any) -> str:
    """Return ``obj`` as one line of JSON (UTF-8 kept readable, every line break escaped),
    without the trailing newline."""
    return json.dumps(obj, ensure_ascii=False).translate(_LINE_BREAKS)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def export_record(row: dict[str, Any], policy: DeadlinePolicy | None = None,
                  now: datetime | None = None) -> dict[str, Any]:
    """Turn a joined store row into the documented export object.

    ``deadline_state`` is what the message page shows: ``met`` once answered, ``closed`` when
    its draft was discarded (stored, nothing is owed), else the live state at ``now`` from
    :meth:`DeadlinePolicy.state` (the stored one without a policy)."""
    state = row.get("state")
    live = state not in ("met", "closed")  # both final: stored when they happened
    if policy is not None and now is not None and row.get("due_at") and live:
        state = policy.state(row["due_at"], now, row["channel"], row.get("met_at"),
                             source=row.get("source") or "").value
    return {
        "id": row["id"],
        "source": row["source"],
        "channel": row["channel"],
        "external_id": row["external_id"],
        "message_id": row.get("message_id") or None,
        "thread_id": row["thread_id"],
        "received_at": _iso(row["received_at"]),
        "sender": row["sender"],
        "sender_name": row.get("sender_name") or "",
        "subject": row["subject"],
        "text": row["text"],
        "language": row.get("language"),
        "category": row.get("category"),
        "confidence": row.get("confidence"),
        "needs_review": bool(row.get("needs_review")) if row.get("category") else None,
        "is_auto": bool(row["is_auto"]),
        "auto_reason": row.get("auto_reason"),
        "status": row["status"],
        "error": row.get("error"),
        "model_version": row.get("model_version"),
        "due_at": _iso(row.get("due_at")),
        "deadline_state": state,
        "deadline_kind": row.get("deadline_kind"),
        "priority": row.get("priority"),
        "met_at": _iso(row.get("met_at")),
        "draft_status": row.get("draft_status"),
        "draft": row.get("draft"),
    }
