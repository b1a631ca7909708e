"""Capped exponential backoff, shared by the scheduler (failing sources), the deadline notices
and the outbox (failed sends)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta


def no_jitter() -> float:
    """A ``rand`` for :func:`backoff_delay` that adds no jitter (stored retry times)."""
    return 0.0


def backoff_delay(failures: int, base: timedelta, cap: timedelta,
                  rand: Callable[[], float] = random.random) -> timedelta:
    """Return the delay before retry number ``failures`` (1-based): base * 2^(n-1), capped,
    with up to 20 % jitter (``rand`` in [0, 1))."""
    if failures <= 0:
        return timedelta(0)
    raw = min(cap.total_seconds(), base.total_seconds() * (2 ** (failures - 1)))
    return timedelta(seconds=raw * (1 + 0.2 * rand()))
