"""Benchmark: a burst of 10,000 realistic messages arriving at once, until all are drafted.

Starts a private Dovecot (the test fixture) and seeds it with ``bench/mailgen.py``'s realistic
mix by MULTIAPPEND. Each run is a fresh child process with a fresh store (SQLite in a temporary
directory, or a new database on a throwaway PostgreSQL server, ``tests/fixtures_ops.py``). The
run builds the daemon's collaborators and loads the model (start-up, not measured), then the
clock starts: ``Daemon.poll_source`` fetches, parses and stores every message, and processing
(classify, deadline, draft/render, save) runs in the polling process (``workers = 0``) or in
worker processes beside it (``workers = N``, the very function the daemon's workers run,
:func:`triage.workers.run_worker`); the clock stops when no message is waiting any more.

Per stage it reports CPU seconds (``time.process_time`` summed over the processes: the machine
is shared, so CPU time is steadier than wall time) and wall seconds, plus the plain-fetch
ratio (a bare IMAPClient fetch of the same messages), the load average and, on PostgreSQL,
the CPU seconds of the server's processes over the same span (the postmaster and its
children from /proc, ``bench/store_stages.py``'s ``cluster_cpu``: the server shares the two
cores, #19). Writes the ``## Burst`` section of docs/benchmarks.md.
With workers the parse processes beside them parse (``triage.workers.ParsePool``, as the
daemon starts them).
Usage: ``python bench/burst.py [--messages 10000] [--workers 0 auto] [--db sqlite postgresql]
[--save now.json] [--baseline before.json]``. Diagnostics (#19): the JSON also holds each
process's garbage-collection time, the polling process's CPU per thread and the glue between
the stages (claim, read, notify); ``BURST_TIMELINE=1`` prints the CPU of each group of
processes in every 0.5 s (stderr), ``BURST_PROFILE=dir`` writes a cProfile (CPU time) of the
polling process and of each worker to ``dir``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import scratch_dir, write_section
from bench.burst_report import Result, report
from bench.store_stages import cluster_cpu, postmaster_pid

USER = "bench@example.com"
SECTION = "Burst (`bench/burst.py`)"


class StageClock:
    """CPU and wall seconds spent in each stage of this process (stages never nest)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        """Replace ``owner.name`` by a version that counts its time into ``stage``."""
        fn: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            c, w = time.process_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[stage] += time.process_time() - c
                self.wall[stage] += time.perf_counter() - w

        setattr(owner, name, timed)

    def install(self) -> None:
        """Count every stage of the pipeline (patched on the classes, so every instance)."""
        import triage.pipeline as pl
        from triage.deadlines.policy import DeadlinePolicy
        from triage.drafting.render import Renderer
        from triage.sources.imap import ImapSource
        from triage.store.deadline_store import DeadlineStore
        from triage.store.store import Store

        self.wrap(ImapSource, "fetch", "fetch")
        self.wrap(pl, "parse_batch", "parse")  # parsing in this process (workers = 0)
        self.wrap(Store, "add_items", "store")
        self.wrap(pl.Pipeline, "_classify", "classify")
        self.wrap(DeadlineStore, "thread_contexts", "deadline")
        self.wrap(DeadlinePolicy, "plan", "deadline")
        self.wrap(Renderer, "render", "render")
        self.wrap(Store, "save_processing_many", "save")
        # the glue between the stages (in the JSON, not the table): claiming a batch, reading
        # its rows, the after-processing observers
        from triage.store.ownership import Claims

        self.wrap(Claims, "claim", "claim")
        self.wrap(Store, "messages_to_process" if hasattr(Store, "messages_to_process")
                  else "messages_by_ids", "read")  # the same script on a tree from before
        self.wrap(pl.Pipeline, "_notify", "notify")

    def as_dict(self) -> dict[str, Any]:
        """The counts, with the whole process's CPU seconds."""
        return {"cpu": dict(self.cpu), "wall": dict(self.wall),
                "process_cpu": time.process_time()}


class GcClock:
    """Seconds this process spent in the garbage collector, per generation (gc.callbacks)."""

    def __init__(self) -> None:
        import gc

        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.process_time()
        else:
            g = info["generation"]
            self.seconds[g] += time.process_time() - self._t
            self.count[g] += 1

    def reset(self) -> None:
        """Forget what start-up collected."""
        self.seconds, self.count = [0.0, 0.0, 0.0], [0, 0, 0]

    def as_dict(self) -> dict[str, Any]:
        """Seconds and collections per generation."""
        return {"seconds": [round(x, 3) for x in self.seconds], "count": list(self.count)}


class Profiler:
    """``BURST_PROFILE=dir``: a cProfile of this process's measured part, dumped to
    ``dir/<name>-<pid>.prof`` (read with ``python -m pstats``)."""

    def __init__(self, name: str) -> None:
        import cProfile

        self.dir = os.environ.get("BURST_PROFILE", "")
        self.name = name
        # CPU time, not wall time: the machine is shared, and waits are not this process's cost
        self.prof = cProfile.Profile(time.thread_time) if self.dir else None

    def start(self) -> None:
        """Start profiling (no-op without BURST_PROFILE)."""
        if self.prof is not None:
            self.prof.enable()

    def stop(self) -> None:
        """Stop and dump the profile."""
        if self.prof is not None:
            self.prof.disable()
            Path(self.dir).mkdir(parents=True, exist_ok=True)
            self.prof.dump_stats(f"{self.dir}/{self.name}-{os.getpid()}.prof")


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process by name (Linux /proc): the main thread, and
    e.g. the threads of the parse pool that pickle the jobs and unpickle the results."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = defaultdict(float)
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[names.get(int(task.name), "other")] += (int(fields[11]) + int(fields[12])) / tick
    return dict(out)


def settings_for(url: str, port: int, model: str, workers: str | int) -> Any:
    """The daemon's settings for one run."""
    from triage.config import settings_from_mapping

    return settings_from_mapping({
        "data_dir": str(scratch_dir("bench-burst-")),
        "store": {"url": url}, "classifier": {"model_path": model},
        "scheduler": {"batch_size": 200, "workers": workers},
        "sources": [{"name": "bench", "type": "imap", "host": "127.0.0.1", "port": port,
                     "tls": "none", "username": USER, "password_env": "IMAP_PW",
                     "backfill_since": "2000-01-01", "fetch_batch": 100, "idle": False}],
    })


def worker_main(settings: Any, environ: dict[str, str], stop: Any, ready: Any,
                out: Any, wake: Any) -> None:
    """One worker process: the daemon's worker loop with the stage clocks installed."""
    from triage.workers import run_worker

    clock = StageClock()
    clock.install()
    gcc, prof = GcClock(), Profiler("worker")
    event = threading.Event()
    threading.Thread(target=lambda: (stop.wait(), event.set(), wake.set()),
                     daemon=True).start()
    started: list[float] = []

    def on_ready() -> None:
        started.append(time.process_time())  # the model loading is start-up
        gcc.reset()
        prof.start()
        ready.set()

    run_worker(settings, environ, None, os.getppid(), stop=event, on_ready=on_ready,
               wake=wake)
    prof.stop()
    res = clock.as_dict()
    res["gc"] = gcc.as_dict()
    res["process_cpu"] -= started[0] if started else 0.0
    out.put(res)


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes ``pids`` have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class Timeline:
    """``BURST_TIMELINE=1``: CPU seconds of each group of processes (the polling one, the
    workers, the parse processes, Dovecot) in every 0.5 s of a run, printed to stderr at the
    end: where the two cores idle."""

    STEP = 0.5

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.rows: list[tuple[float, dict[str, float]]] = []
        self.done = threading.Event()
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _sample(self) -> dict[str, float]:
        self.groups["dovecot"] = [  # its imap process starts at the login
            int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()
            and _comm(d) in ("imap", "dovecot", "imap-login", "auth", "anvil", "log")]
        return {g: proc_cpu(p) for g, p in self.groups.items()}

    def _run(self) -> None:
        last = self._sample()
        while not self.done.wait(self.STEP):
            now = self._sample()
            self.rows.append((time.perf_counter() - self.t0,
                              {g: now[g] - last[g] for g in now}))
            last = now

    def stop(self, polled: float) -> None:
        """Stop sampling and print the table (``polled``: when the poll returned)."""
        self.done.set()
        self.thread.join()
        names = list(self.groups)
        print("t    " + " ".join(f"{n:>8}" for n in names) + "   total  (poll done at "
              f"{polled:.1f} s)", file=sys.stderr)
        for t, row in self.rows:
            print(f"{t:4.1f} " + " ".join(f"{row[n]:8.2f}" for n in names)
                  + f" {sum(row.values()):7.2f}", file=sys.stderr)


def _comm(d: Path) -> str:
    try:
        return (d / "comm").read_text().strip()
    except OSError:
        return ""


def waiting(store: Any) -> int:
    """Messages stored but not yet processed."""
    from sqlalchemy import func, select

    from triage.store import schema as s

    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(s.messages)
                             .where(s.messages.c.status == "new")).scalar() or 0)


def part_run(url: str, port: int, model: str, setting: str,
             server_pid: int = 0) -> dict[str, Any]:
    """One burst with ``[scheduler] workers = setting``: start-up, then the clock until every
    message is drafted. ``server_pid``: the postmaster of the PostgreSQL cluster of ``url``,
    whose CPU seconds in the measured part are reported as ``server_cpu`` (0: not measured,
    e.g. SQLite)."""
    from sqlalchemy import func, select

    from tests.fixtures_imap import PASSWORD
    from triage.daemon import Daemon
    from triage.services import App
    from triage.sources.table import build_source
    from triage.store import schema as s
    from triage.workers import worker_count

    environ = {**os.environ, "IMAP_PW": PASSWORD}
    workers = worker_count(setting if setting == "auto" else int(setting))
    settings = settings_for(url, port, model, setting if setting == "auto" else workers)
    clock = StageClock()
    clock.install()
    app = App(settings, environ=environ)
    app.warm_up()  # start-up as in Daemon.run: model, situation model, heap settled
    ctx = multiprocessing.get_context("spawn")
    stop, out, wake = ctx.Event(), ctx.Queue(), ctx.Event()
    procs = []
    for _i in range(workers):
        ready = ctx.Event()
        p = ctx.Process(target=worker_main, args=(settings, environ, stop, ready, out, wake))
        p.start()
        ready.wait(300)
        procs.append(p)
    parsers = None
    if workers:  # as Daemon.start_workers does
        from triage.workers import ParsePool

        app.pipeline.process_after_ingest = False
        app.pipeline.after_store = wake.set
        parsers = ParsePool(workers)
        app.pipeline.parser = parsers
        parsers.start()  # before the clock: start-up
    source = build_source(settings.sources[0], app.environ, settings.resolve_path)
    gcc, prof = GcClock(), Profiler("poller")
    threads0 = thread_cpu()
    parse0 = proc_cpu(parsers.pids()) if parsers is not None else 0.0  # their start-up
    prof.start()
    timeline = Timeline({"poller": [os.getpid()], "workers": [p.pid for p in procs],
                         "parsers": parsers.pids() if parsers is not None else [],
                         "dovecot": []}) if os.environ.get("BURST_TIMELINE") else None
    server0 = cluster_cpu(server_pid) if server_pid else 0.0
    cpu0 = time.process_time()
    started = time.perf_counter()
    daemon = Daemon(app)
    daemon.help_workers = bool(workers)  # as Daemon.start_workers sets it
    stats = daemon.poll_source(source)
    polled = time.perf_counter() - started
    while waiting(app.store):
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    # the workers' connections are still open: their backends are counted alive, the ones
    # that closed through the postmaster's reaped children
    server = cluster_cpu(server_pid) - server0 if server_pid else None
    prof.stop()
    if timeline is not None:
        timeline.stop(polled)
    poller_gc = gcc.as_dict()
    threads = {k: round(v - threads0.get(k, 0.0), 2) for k, v in thread_cpu().items()}
    parse_cpu = proc_cpu(parsers.pids()) - parse0 if parsers is not None else 0.0
    stop.set()
    worker_clocks = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    with app.store.engine.connect() as c:
        drafts = c.execute(select(func.count(func.distinct(s.drafts.c.message_id)))).scalar()
        processed = c.execute(select(func.count()).select_from(s.messages)
                              .where(s.messages.c.status == "processed")).scalar()
    main_clock = clock.as_dict()
    cpu: dict[str, float] = defaultdict(float)
    for d in [main_clock, *worker_clocks]:
        for k, v in d["cpu"].items():
            cpu[k] += v
    if parsers is not None:
        cpu["parse"] += parsers.cpu_seconds
        parsers.stop()
    return {"stored": stats.stored, "processed": int(processed or 0),
            "drafted": int(drafts or 0), "seconds": seconds, "poll_seconds": polled,
            "cpu": dict(cpu), "wall": main_clock["wall"],
            "poller_cpu": time.process_time() - cpu0,
            "worker_cpu": sum(d["process_cpu"] for d in worker_clocks),
            "parser_cpu": parse_cpu, "workers": workers, "server_cpu": server,
            "poller_threads": threads,
            "poller_stage_cpu": main_clock["cpu"],  # this process's own share of each stage
            "gc": {"poller": poller_gc, "workers": [d.get("gc") for d in worker_clocks]}}


def child(argv: list[str]) -> dict[str, Any]:
    """Run one part in a fresh interpreter and return its JSON result."""
    out = subprocess.run([sys.executable, __file__, *argv], check=True,  # stderr: the timeline
                         stdout=subprocess.PIPE, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


"""(store, workers setting, the part's result, load average before the run)."""


def main() -> None:
    """Run the benchmark (or one child part)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--workers", nargs="+", default=["0", "auto"],
                    help="[scheduler] workers settings to run: numbers or 'auto'.")
    ap.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--part", action="store_true")
    ap.add_argument("--url", default="")
    ap.add_argument("--port", type=int)
    ap.add_argument("--model", default="")
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--save", type=Path, help="Also write the results as JSON here.")
    ap.add_argument("--baseline", type=Path,
                    help="JSON of an earlier --save run (e.g. the commit before): 'before'.")
    ap.add_argument("--no-write", action="store_true", help="Print, do not update the docs.")
    args = ap.parse_args()
    if args.part:
        print(json.dumps(part_run(args.url, args.port, args.model, args.workers[0],
                                  args.server_pid)))
        return

    from bench.imap_ingest import seed
    from tests.fixtures_imap import Dovecot
    from tests.fixtures_ops import PgServer
    from triage.modelstore import ensure_bundled_model

    model = str(ensure_bundled_model(scratch_dir("bench-model-")))
    server = Dovecot((USER,))
    server.start()
    pg = PgServer() if "postgresql" in args.db else None
    if pg is not None:
        pg.start()
    results: list[Result] = []
    try:
        seeded = seed(server, args.messages, "realistic")
        print(f"seeded {args.messages} messages in {seeded:.1f}s", file=sys.stderr)
        port = str(server.port)
        plain = child_plain(port)
        for db in args.db:
            for workers in args.workers:
                url = (pg.create_db() if db == "postgresql" and pg is not None else
                       f"sqlite:///{scratch_dir('bench-burst-db-')}/triage.db")
                load = os.getloadavg()
                head = postmaster_pid(pg.data) if db == "postgresql" and pg is not None else 0
                res = child(["--part", "--url", url, "--port", port, "--model", model,
                             "--workers", str(workers), "--server-pid", str(head)])
                results.append((db, str(workers), res, load))
                print(f"{db} workers={workers}: {json.dumps(res)}", file=sys.stderr)
    finally:
        server.remove()
        if pg is not None:
            pg.destroy()
    if args.save:
        args.save.write_text(json.dumps({"plain": plain, "results": results,
                                         "commit": git_commit()}, indent=1),
                             encoding="utf-8")
    before = json.loads(args.baseline.read_text(encoding="utf-8")) if args.baseline else None
    text = report(args.messages, plain, results, before)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


def git_commit() -> str:
    """The checked-out commit (short), recorded with ``--save`` for a later ``--baseline``."""
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, cwd=ROOT)
    return out.stdout.strip() or "unknown"


def child_plain(port: str) -> dict[str, Any]:
    """The plain-fetch ceiling, measured by bench/imap_ingest.py's own part."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "imap_ingest.py"), "--part",
                          "plain", "--port", port, "--fetch-batch", "500"], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
