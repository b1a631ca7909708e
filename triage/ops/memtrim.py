"""Give freed heap memory back to the operating system after a large, short-lived job.

The deadline sweep reads many deadlines at once (every open one on its first run); glibc keeps
the freed pages in its heap, so the daemon's resident memory stayed at the sweep's peak
(measured: a sweep over 20,000 open deadlines left +48 MB; ``malloc_trim`` returned ~15 MB of
it and kept repeated sweeps flat; docs/operations.md). Elsewhere than glibc (musl, macOS) this
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from functools import cache

log = logging.getLogger(__name__)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


def release_free_heap() -> bool:
    """Ask glibc to return free heap pages to the OS; return False where that is unavailable."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
