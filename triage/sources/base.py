"""The Source seam: ``fetch(cursor, limit) -> FetchResult``, the only network/disk read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from triage.errors import ConfigError
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
_FACTORIES: dict[str, SourceFactory] = {}


def register(type_: str) -> Callable[[SourceFactory], SourceFactory]:
    """Register a factory building a Source of ``type_`` from its settings and environment."""

    def deco(fn: SourceFactory) -> SourceFactory:
        _FACTORIES[type_] = fn
        return fn

    return deco


def build_source(settings: Any, environ: Mapping[str, str],
                 resolve: Callable[[str], Path] = Path) -> Source:
    """Build the Source described by one ``[[sources]]`` entry.

    ``resolve`` turns a path from the config into a real one (relative to the config file).
    """
    _load_builtin()
    try:
        factory = _FACTORIES[settings.type]
    except KeyError:
        raise ConfigError(f"unknown source type {settings.type!r}",
                          key=f"sources.{settings.name}.type",
                          fix=f"use one of {', '.join(sorted(_FACTORIES))}") from None
    return factory(settings, environ, resolve)


def _load_builtin() -> None:
    # Imported here so that each source module registers itself without import cycles.
    from triage.sources import (
        imap,  # noqa: F401
        maildir,  # noqa: F401
        mastodon,  # noqa: F401
        x,  # noqa: F401
    )
