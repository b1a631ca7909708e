"""A local Maildir, read-only: files are read, never moved, renamed or flagged."""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.config import MaildirSettings
from triage.errors import SourceError
from triage.models import FetchResult, RawItem

log = logging.getLogger(__name__)


class MaildirSource:
    """Reads new messages from a Maildir. Cursor: ``{"seen": [keys already delivered]}``."""

    type = "maildir"
    channel = "email"

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path

    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """Return up to ``limit`` messages not yet seen, oldest file first."""
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise SourceError(f"source {self.name!r}: {self.path} is not a Maildir "
                              "(no cur/ or new/ folder); fix 'path' in the config")
        seen = set(cursor.get("seen", []))
        box = mailbox.Maildir(str(self.path), factory=None, create=False)
        try:
            keys = [k for k in box.iterkeys() if k not in seen]
        except OSError as exc:
            raise SourceError(f"source {self.name!r}: cannot list {self.path}: {exc}") from exc

        def mtime(key: str) -> float:
            try:
                return (self.path / box._lookup(key)).stat().st_mtime  # type: ignore[attr-defined]
            except (OSError, KeyError):
                return 0.0

        keys.sort(key=lambda k: (mtime(k), k))
        items: list[RawItem] = []
        for key in keys[:limit]:
            try:
                raw = box.get_bytes(key)
            except (OSError, KeyError) as exc:  # deleted between listing and reading
                log.warning("maildir %s: message %s vanished: %s", self.name, key, exc)
                continue
            items.append(RawItem(external_id=key, raw=raw,
                                 received_at=datetime.fromtimestamp(mtime(key), UTC)))
            seen.add(key)
        log.info("maildir %s: fetched %d of %d new", self.name, len(items), len(keys))
        return FetchResult(items=items, cursor={"seen": sorted(seen)})

    def close(self) -> None:
        """Nothing to release."""


def build(settings: MaildirSettings, environ: Mapping[str, str],
           resolve: Callable[[str], Path]) -> MaildirSource:
    """Build the maildir source of one ``[[sources]]`` entry (the source table calls this)."""
    return MaildirSource(settings.name, resolve(settings.path))
