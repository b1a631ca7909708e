"""Give freed heap memory back to the operating system after a large, short-lived job, and
keep glibc from spreading the heap over one arena per thread.

The deadline sweep reads many deadlines at once (every open one on its first run); glibc keeps
the freed pages in its heap, so the daemon's resident memory stayed at the sweep's peak
(measured: a sweep over 20,000 open deadlines left +48 MB; ``malloc_trim`` returned ~15 MB of
it and kept repeated sweeps flat; docs/operations.md). Elsewhere than glibc (musl, macOS) this
does nothing.

The daemon's jobs run in a pool of threads, and glibc gives a thread that finds the main arena
busy an arena of its own (up to 8 per core), each keeping its freed pages: the 100,000-message
soak crept by ~1 MB per 10,000 messages with the default and stayed flat with two arenas
(docs/benchmarks.md). :func:`limit_arenas` sets that maximum (``ops.malloc_arenas``).

After start-up, :func:`settle_heap` also tunes Python's garbage collector for the daemon's
processes: a batch allocates and frees hundreds of thousands of objects, and with Python's
default (a young collection every 700 net allocations) the daemon and a worker spent ~2 % of a
burst's CPU collecting, a full collection walking the whole start-up heap (model, templates,
caches) ~50-70 ms each time. Collecting the young generation every :data:`GC_YOUNG` net
allocations cut that by ~90 % with the same peak memory (docs/benchmarks.md, #19).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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


M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter number for the most arenas (malloc.h)."""


@cache
def _mallopt() -> Callable[[int, int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).mallopt  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


def limit_arenas(count: int) -> bool:
    """Let glibc's malloc use at most ``count`` arenas in this process (0: leave its default).

    Call it before the process starts threads. Returns whether the limit was set (False: 0
    asked, not glibc, or refused)."""
    opt = _mallopt()
    if count <= 0 or opt is None:
        return False
    ok = bool(opt(M_ARENA_MAX, count))
    if ok:
        log.debug("malloc: at most %d arena(s)", count)
    return ok


def release_free_heap() -> bool:
    """Ask glibc to return free heap pages to the OS; return False where that is unavailable."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


GC_YOUNG = 20_000
"""Net allocations of objects between two young-generation collections in the daemon's
processes (Python's default: 700); the older generations keep their thresholds."""


def settle_heap(young: int = GC_YOUNG) -> None:
    """After start-up: collect what loading and training left, collect the young generation
    every ``young`` net allocations from now on, and give the free heap back to the OS."""
    gc.collect()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)
    release_free_heap()
