"""Worker processes: the CPU-bound half of the pipeline on the machine's other cores.

With ``[scheduler] workers`` above 0 the daemon keeps polling (fetch, parse, store) in its own
process and starts that many worker processes that classify, plan deadlines, render and save
the stored messages (``Pipeline.process_pending``). Each worker builds its own collaborators
from the settings (its own :class:`triage.services.App`: engine, model, renderer) and takes
work through the store's claims, so no message is processed twice: a claim names its process,
and the claims of a worker that died are taken over within seconds on this machine (after
``ops.claim_ttl`` from another one; see ``triage.store.ownership.Claims``). A worker stops
on SIGTERM, or when its daemon is gone.

The same number of parse processes (:class:`ParsePool`) parse the emails the polling process
fetches: the poll hands each batch over in chunks and fetches the next batch meanwhile, then
stores the parsed batch itself, with its cursor and in the order fetched, so deduplication,
exactly-once and threading (a reply after its parent) stay where they were.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any

from triage.config import Settings
from triage.mail.batch import ParseJob, ParseOutcome, parse_batch
from triage.ops.memtrim import limit_arenas

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
               on_ready: Callable[[], object] | None = None, wake: Any = None,
               idle_wait: float = IDLE_WAIT) -> None:
    """Process waiting messages until ``stop`` is set or the process ``parent`` is gone.

    Runs in the worker process (the target of :class:`WorkerPool`'s processes); SIGTERM and
    SIGINT set ``stop``, and the batch in hand is finished or given back. ``on_ready`` is
    called once the collaborators are built (the model loaded). A worker that found nothing
    waits for ``wake`` (a multiprocessing Event the polling process sets when it stored
    messages, :meth:`WorkerPool.notify`) at most ``idle_wait`` seconds, so it starts on the
    first batch of a burst at once instead of up to ``idle_wait`` later (#19); after SIGTERM
    the pool sets ``wake`` too (:meth:`WorkerPool.stop`).
    """
    from triage.services import App

    stop = stop or threading.Event()
    # not wake.set() here: a handler that sets the Event this thread waits on deadlocks
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    app = App(settings, environ=environ, model_path=model_path, stop=stop)
    app.warm_up()  # the model loaded, the situation model trained, the heap settled (#19)
    pipeline = app.pipeline
    log.info("worker %d ready", os.getpid())
    if on_ready is not None:
        on_ready()
    while not stop.is_set() and os.getppid() == parent:
        if wake is not None:  # cleared before the claim: a batch stored after it wakes us
            wake.clear()
        try:
            stats = pipeline.process_pending()
        except Exception:  # the store may be briefly unreachable: try again after a pause
            log.exception("worker %d: processing failed; trying again", os.getpid())
            stats = None
        if stats is None or not (stats.processed or stats.failed):
            (wake if wake is not None and stats is not None else stop).wait(idle_wait)
    try:  # give back what is still claimed, so others need not wait for the claims to expire
        app.ops.claims.release()
    except Exception:
        log.warning("worker %d: could not give back its claims; they expire", os.getpid())
    app.store.engine.dispose()


def _main(settings: Settings, environ: Mapping[str, str], model_path: str | None,
          parent: int, level: int, wake: Any = None, idle_wait: float = IDLE_WAIT) -> None:
    logging.basicConfig(level=level, format="%(asctime)s worker %(process)d %(levelname)s "
                        "%(name)s: %(message)s")
    limit_arenas(settings.ops.malloc_arenas)
    run_worker(settings, environ, model_path, parent, wake=wake, idle_wait=idle_wait)


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
        self.wake = self.context.Event()
        """Set when the polling process stored messages: wakes the idle workers."""

    def _spawn(self) -> BaseProcess:
        p = self.context.Process(
            target=_main, name="triage-worker", daemon=True,
            args=(self.settings, self.environ, self.model_path, os.getpid(),
                  logging.getLogger().getEffectiveLevel(), self.wake))
        p.start()
        return p

    def notify(self) -> None:
        """Wake the idle workers: messages were stored (``Pipeline.after_store``)."""
        self.wake.set()

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
        self.wake.set()  # an idle worker sees the stop now, not after its wait
        for p in self.processes:
            p.join(timeout)
            if p.is_alive():
                log.error("worker %s did not stop in %ss; killing it", p.pid, timeout)
                p.kill()
                p.join(5)
        self.processes = []


PARSE_CHUNK = 50
"""Emails per task handed to a parse process (a poll batch is split so all of them work)."""


class ParsePool:
    """Processes that parse emails for the polling process (``Pipeline.parser``).

    :meth:`submit` splits a batch into chunks and returns the call that waits for them, in
    order. A parse process that dies breaks the pool: the waiting call raises (the pipeline
    then parses that batch itself) and the next :meth:`submit` starts a new pool.
    """

    def __init__(self, count: int, chunk: int = PARSE_CHUNK) -> None:
        self.count = count
        self.chunk = chunk
        self.cpu_seconds = 0.0
        """CPU seconds the parse processes spent parsing (for the benchmarks)."""
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None or getattr(self._executor, "_broken", False):
            if self._executor is not None:
                log.warning("a parse process died; starting new ones")
                self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = ProcessPoolExecutor(
                self.count, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    def start(self) -> None:
        """Start the parse processes now (each imports the parser), not at the first batch."""
        pool = self._pool()
        for f in [pool.submit(parse_batch, []) for _ in range(self.count)]:
            f.result()

    def submit(self, jobs: list[ParseJob],
               own_addresses: tuple[str, ...]) -> Callable[[], list[ParseOutcome]]:
        """Start parsing ``jobs``; return the call that waits and returns the outcomes in
        the order of ``jobs`` (it raises when a parse process failed)."""
        pool = self._pool()
        futures: list[Future[tuple[list[ParseOutcome], float]]] = [
            pool.submit(parse_batch, jobs[i:i + self.chunk], own_addresses)
            for i in range(0, len(jobs), self.chunk)]

        def wait() -> list[ParseOutcome]:
            out: list[ParseOutcome] = []
            for f in futures:
                outcomes, cpu = f.result()
                out.extend(outcomes)
                self.cpu_seconds += cpu
            return out

        return wait

    def pids(self) -> list[int]:
        """The process ids of the parse processes started so far."""
        procs = getattr(self._executor, "_processes", None) or {}
        return sorted(int(p) for p in procs)

    def stop(self) -> None:
        """Stop the parse processes (work not started is dropped)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
