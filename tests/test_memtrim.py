"""Returning freed heap to the OS after the sweep (glibc malloc_trim), and settling the heap
(the garbage collector's thresholds) after start-up in the daemon and its workers (#19)."""

from __future__ import annotations

import gc
import json
import os
import platform
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest

from triage.ops.memtrim import GC_YOUNG, release_free_heap
from triage.services import App


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_release_free_heap_calls_glibc_malloc_trim() -> None:
    big = [bytes(4096) for _ in range(20_000)]  # ~80 MB of small blocks, then freed
    del big
    assert release_free_heap() is True


def test_settle_heap_collects_and_raises_only_the_young_threshold() -> None:
    # in a fresh interpreter: the thresholds are the process's
    code = textwrap.dedent("""
        import gc, json, weakref
        from triage.ops.memtrim import GC_YOUNG, settle_heap
        gc.disable()  # so only settle_heap can collect the cycle
        class Node: pass
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        before = gc.get_threshold()
        settle_heap()
        print(json.dumps({"collected": ref() is None, "before": before,
                          "after": gc.get_threshold(), "young": GC_YOUNG}))
    """)
    out = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                    capture_output=True, text=True).stdout)
    assert out["collected"] is True
    assert out["young"] > out["before"][0]  # Python's default: 700
    assert out["after"] == [out["young"], *out["before"][1:]]


@pytest.fixture
def gc_thresholds() -> Iterator[None]:
    """Put this process's collector thresholds back after a test that settles the heap."""
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_warm_up_builds_what_processing_needs_and_settles_the_heap(
        app: App, gc_thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    assert "situations" not in app.__dict__ and "pipeline" not in app.__dict__
    app.warm_up()
    # the situation model trained before the first message, not during the first batch
    assert {"store", "classifier", "pipeline", "situations"} <= set(app.__dict__)
    assert app.situations.model() is not None
    assert gc.get_threshold() == (GC_YOUNG, 10, 10)


def test_a_worker_warms_up_before_it_reports_ready(
        app: App, monkeypatch: pytest.MonkeyPatch, gc_thresholds: None) -> None:
    import triage.services
    from triage.workers import run_worker

    calls: list[str] = []
    warm_up = triage.services.App.warm_up

    def recorded(self: App) -> None:
        calls.append("warm_up")
        warm_up(self)

    monkeypatch.setattr(triage.services.App, "warm_up", recorded)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    stop = threading.Event()
    stop.set()  # build, report ready, give back and leave
    try:
        run_worker(app.settings, {}, None, os.getppid(), stop=stop,
                   on_ready=lambda: calls.append("ready"))
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert calls == ["warm_up", "ready"]
    assert gc.get_threshold()[0] == GC_YOUNG
