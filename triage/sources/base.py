"""The Source seam: ``fetch(cursor, limit) -> FetchResult``, the only network/disk read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from triage.models import FetchResult


class Source(Protocol):
    """A place messages come from (a Maildir, an IMAP folder, an X account)."""

    name: str
    type: str
    channel: str

    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """Return up to ``limit`` items newer than ``cursor`` and the cursor after them.

        Raises SourceError (retried with backoff) or SourceAuthError.
        """
        ...

    def close(self) -> None:
        """Release connections; the source may be fetched from again later."""
        ...


SourceFactory = Callable[[Any, Mapping[str, str], Callable[[str], Path]], Source]
"""Builds a Source from its ``[[sources]]`` settings, the environment and a path resolver."""
