"""Returning freed heap to the OS after the sweep (glibc malloc_trim)."""

from __future__ import annotations

import platform

import pytest

from triage.ops.memtrim import release_free_heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_release_free_heap_calls_glibc_malloc_trim() -> None:
    big = [bytes(4096) for _ in range(20_000)]  # ~80 MB of small blocks, then freed
    del big
    assert release_free_heap() is True
