"""Sources deliver raw items; each implements :class:`Source`."""

from triage.sources.base import Source, build_source

__all__ = ["Source", "build_source"]
