"""Worker processes: the CPU-bound half of the pipeline on the machine's other cores.

With ``[scheduler] workers`` above 0 the daemon keeps polling (fetch, parse, store) in its own
process and starts that many worker processes that classify, plan deadlines, render and save
the stored messages (``Pipeline.process_pending``). Each worker builds its own collaborators
from the settings (its own :class:`triage.services.App`: engine, model, renderer) and takes
work through the store's claims, so no message is processed twice: a claim names its process,
and the claims of a worker that died are taken over at once on this machine (after
``ops.claim_ttl`` from another one). A worker stops on SIGTERM, or when its daemon is gone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Mapping
from multiprocessing.process import BaseProcess

from triage.config import Settings

log = logging.getLogger(__name__)

IDLE_WAIT = 0.5
"""Seconds a worker that found nothing to do waits before it looks again."""


def worker_count(setting: str | int, cpus: int | None = None) -> int:
    """Return how many worker processes ``workers = setting`` means on this machine."""
    if setting == "auto":
        return max(0, (cpus or os.cpu_count() or 1) - 1)
    return int(setting)


def run_worker(settings: Settings, environ: Mapping[str, str], model_path: str | None,
               parent: int, stop: threading.Event | None = None,
               on_ready: Callable[[], object] | None = None) -> None:
    """Process waiting messages until ``stop`` is set or the process ``parent`` is gone.

    Runs in the worker process (the target of :class:`WorkerPool`'s processes); SIGTERM and
    SIGINT set ``stop``, and the batch in hand is finished or given back. ``on_ready`` is
    called once the collaborators are built (the model loaded).
    """
    from triage.services import App

    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    app = App(settings, environ=environ, model_path=model_path, stop=stop)
    pipeline = app.pipeline
    log.info("worker %d ready", os.getpid())
    if on_ready is not None:
        on_ready()
    while not stop.is_set() and os.getppid() == parent:
        try:
            stats = pipeline.process_pending()
        except Exception:  # the store may be briefly unreachable: try again after a pause
            log.exception("worker %d: processing failed; trying again", os.getpid())
            stats = None
        if stats is None or not (stats.processed or stats.failed):
            stop.wait(IDLE_WAIT)
    try:  # give back what is still claimed, so others need not wait for the claims to expire
        app.ops.claims.release()
    except Exception:
        log.warning("worker %d: could not give back its claims; they expire", os.getpid())
    app.store.engine.dispose()


def _main(settings: Settings, environ: Mapping[str, str], model_path: str | None,
          parent: int, level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s worker %(process)d %(levelname)s "
                        "%(name)s: %(message)s")
    run_worker(settings, environ, model_path, parent)


class WorkerPool:
    """The daemon's worker processes: started, replaced when one dies, stopped with it."""

    def __init__(self, settings: Settings, environ: Mapping[str, str],
                 model_path: str | None, count: int) -> None:
        self.settings = settings
        self.environ = dict(environ)
        self.model_path = model_path
        self.count = count
        self.processes: list[BaseProcess] = []
        # a fresh interpreter per worker: no engine, lock or thread inherited from the daemon
        self.context = multiprocessing.get_context("spawn")

    def _spawn(self) -> BaseProcess:
        p = self.context.Process(
            target=_main, name="triage-worker", daemon=True,
            args=(self.settings, self.environ, self.model_path, os.getpid(),
                  logging.getLogger().getEffectiveLevel()))
        p.start()
        return p

    def start(self) -> None:
        """Start the workers."""
        self.processes = [self._spawn() for _ in range(self.count)]
        log.info("started %d worker process(es): %s", self.count,
                 ", ".join(str(p.pid) for p in self.processes))

    def replace_dead(self) -> int:
        """Start a new worker for each one that exited; return how many were replaced (their
        claims are taken over by whoever claims next)."""
        replaced = 0
        for i, p in enumerate(self.processes):
            if not p.is_alive():
                log.warning("worker %s exited (code %s); starting another", p.pid, p.exitcode)
                p.join(0)
                self.processes[i] = self._spawn()
                replaced += 1
        return replaced

    def pids(self) -> list[int]:
        """The process ids of the running workers."""
        return [p.pid for p in self.processes if p.pid is not None and p.is_alive()]

    def stop(self, timeout: float = 30.0) -> None:
        """Send SIGTERM to every worker and wait for them; kill one that does not stop."""
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        for p in self.processes:
            p.join(timeout)
            if p.is_alive():
                log.error("worker %s did not stop in %ss; killing it", p.pid, timeout)
                p.kill()
                p.join(5)
        self.processes = []
