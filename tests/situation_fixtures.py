"""Load the held-out situation fixtures (tests/situations/*.toml); render them as triage would."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from triage.drafting.render import DraftRequest
from triage.drafting.situations import ThreadFacts

FIXTURES = Path(__file__).parent / "situations"
SEA_ZONES = {"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta", "tl": "Asia/Manila"}
# Friday 4 December 2026, 13:19 in Singapore: the minute the bad draft promised
NOW = datetime(2026, 12, 4, 5, 19, tzinfo=UTC)
BREACHED = NOW - timedelta(hours=3)
"""A first-response deadline already past when the draft is written."""


def load_fixtures() -> list[dict[str, Any]]:
    """Return every fixture message, with its language (from the file name) added."""
    out = []
    for path in sorted(FIXTURES.glob("*.toml")):
        with path.open("rb") as fh:
            for m in tomllib.load(fh)["message"]:
                out.append({**m, "language": path.stem})
    return out


def thread_of(m: dict[str, Any]) -> ThreadFacts:
    """Return the thread facts a fixture declares."""
    return ThreadFacts(bool(m.get("replied_before", False)), int(m.get("unanswered", 1)))


def request_for(m: dict[str, Any], *, situation: str | None = None, thread_id: int = 42,
                now: datetime = NOW) -> DraftRequest:
    """Return the draft request the pipeline would make for fixture ``m`` (deadline breached)."""
    return DraftRequest(
        category=m["category"], channel=m["channel"], language=m["language"],
        subject=m.get("subject", ""), text=m["text"], sender="customer@example.com",
        sender_name=m.get("name", ""), thread_id=thread_id, due_at=BREACHED,
        attachment_types=tuple(m.get("attachments", [])), thread=thread_of(m),
        situation=situation, now=now)
