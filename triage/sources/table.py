"""The table of source types: which ``type`` in ``[[sources]]`` builds which Source.

An explicit table rather than self-registration, so that reading this file tells every type
there is and no source module has to be imported for its side effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from triage.errors import ConfigError
from triage.sources import facebook, imap, maildir, mastodon, telegram, whatsapp, x, zalo
from triage.sources.base import Source, SourceFactory

SOURCE_TYPES: dict[str, SourceFactory] = {
    "imap": imap.build,
    "maildir": maildir.build,
    "mastodon": mastodon.build,
    "x": x.build,
    "telegram": telegram.build,
    "facebook": facebook.build,
    "zalo": zalo.build,
    "whatsapp": whatsapp.build,
}


def build_source(settings: Any, environ: Mapping[str, str],
                 resolve: Callable[[str], Path] = Path) -> Source:
    """Build the Source described by one ``[[sources]]`` entry.

    ``resolve`` turns a path from the config into a real one (relative to the config file).
    Raises ConfigError naming the entry when its type is unknown.
    """
    try:
        factory = SOURCE_TYPES[settings.type]
    except KeyError:
        raise ConfigError(f"unknown source type {settings.type!r}",
                          key=f"sources.{settings.name}.type",
                          fix=f"use one of {', '.join(sorted(SOURCE_TYPES))}") from None
    return factory(settings, environ, resolve)
