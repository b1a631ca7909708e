"""Read back a ``triage export`` file (JSON lines) for ``triage import``: a restore, or a move
to another store.

Each line becomes one message as it was stored: Message-ID, channel, sender, subject, text,
time received, automatic-mail flag and thread (kept together by the exported thread id). The
raw bytes stored for it are the export line itself (the original RFC 5322 or API bytes are not
in an export). A message that was quarantined is imported quarantined with its reason. Lines
that are not export records make the import stop with the file and line number.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.errors import SourceError
from triage.models import LANGUAGES, ParsedMessage, RawItem

RECORD_KEYS = frozenset({"id", "source", "channel", "external_id", "message_id", "sender",
                         "subject", "text", "status", "received_at"})
"""Keys every export record has (``triage.ops.export.export_record``)."""


def is_export(head: bytes) -> bool:
    """True when ``head`` (the start of a file) looks like ``triage export`` output: JSON
    lines, one object each (no mail file starts with ``{``)."""
    return head.lstrip().startswith(b"{")


def export_items(path: Path) -> Iterator[RawItem]:
    """Yield one item per record of the export file ``path``.

    Raises SourceError naming the file and line when a line is not an export record.
    """
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or not record.keys() >= RECORD_KEYS:
                    raise ValueError("not an export record")
                item = record_item(record, line.rstrip(b"\r\n"))
            except (ValueError, TypeError, KeyError) as exc:
                raise SourceError(f"{path}:{number}: not a line of `triage export` "
                                  f"({type(exc).__name__}: {str(exc)[:200]})") from None
            yield item


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError("received_at is missing")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    return value if isinstance(value, str) else ""


def record_item(record: Mapping[str, Any], raw: bytes) -> RawItem:
    """The item of one export record (``raw`` is its line)."""
    source, external = str(record["source"]), str(record["external_id"])
    # unique across the sources of the exporting store, which all land in one import source
    ext = f"{source}/{external}"
    if len(ext) > 400:
        ext = f"{source[:100]}/sha256:{hashlib.sha256(external.encode()).hexdigest()}"
    received = _time(record.get("received_at"))
    channel = record["channel"] if record["channel"] in ("email", "social") else "email"
    meta: dict[str, Any] = {"channel": channel}
    if not record.get("message_id") and record.get("status") == "quarantined":
        meta["parse_error"] = _text(record, "error") or "quarantined when exported"
        return RawItem(ext, raw, received, meta=meta)
    language = record.get("language")
    thread = record.get("thread_id")
    meta["parsed"] = ParsedMessage(
        message_id=_text(record, "message_id") or f"<{hashlib.sha256(raw).hexdigest()[:32]}"
                                                  "@export.triage.invalid>",
        channel=channel, sender=_text(record, "sender"),
        sender_name=_text(record, "sender_name"), subject=_text(record, "subject"),
        text=_text(record, "text"), full_text=_text(record, "text"),
        received_at=received,
        is_auto=bool(record.get("is_auto")), auto_reason=record.get("auto_reason") or None,
        language_hint=language if language in LANGUAGES else None,
        thread_hint=f"import:{source}:{thread}" if thread is not None else None)
    if record.get("status") == "quarantined":
        meta["error"] = _text(record, "error") or "quarantined when exported"
    return RawItem(ext, raw, received, meta=meta)
