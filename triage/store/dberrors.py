"""Turn database driver errors into StoreError messages that say what to do."""

from __future__ import annotations

from triage.errors import StoreError

_HINTS = (
    (("disk is full", "disk i/o error", "no space left", "file too large"),
     "free space on the disk holding the store (or raise its size limit), then restart; "
     "nothing stored so far is lost"),
    (("connection refused", "could not connect", "server closed the connection",
      "terminating connection", "connection is closed", "consuming input failed"),
     "check that the database server is running and reachable; triage retries by itself"),
    (("database is locked",),
     "another program holds the SQLite store; use PostgreSQL for several daemons"),
    (("readonly database", "permission denied"),
     "make the store writable by the user running triage"),
)


def store_error(action: str, exc: BaseException) -> StoreError:
    """Return a StoreError for ``action`` failing with ``exc``, with a fix when one is known."""
    text = str(exc).split("\n(Background")[0].strip()
    low = text.lower()
    for needles, fix in _HINTS:
        if any(n in low for n in needles):
            return StoreError(f"{action}: {text} (fix: {fix})")
    return StoreError(f"{action}: {text}")
