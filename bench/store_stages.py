"""Benchmark of the store's part of a burst: CPU seconds of each store call the pipeline makes.

The burst benchmark (``bench/burst.py``) times the store inside a full run, next to the model,
the renderer and Dovecot, on a shared machine. This one isolates the store: ``--messages``
realistic mails (``bench/mailgen.py``) are parsed once before the clock starts, then stored
and "processed" batch by batch exactly as the pipeline calls the store (``add_items``, a
claim, the read of the claimed rows (``messages_to_process``, on a tree without it
``messages_by_ids``), ``thread_contexts``, ``save_processing_many``), with fixed
classifications and drafts of realistic size instead of the model and the renderer. Each call
is timed with ``time.process_time`` in this process; on PostgreSQL the server's own CPU
seconds (its processes from /proc, the exited ones through the postmaster's reaped children)
are reported beside them, since the server shares the two cores. Prints a table; writes no
docs.

``--lead K`` stores K batches ahead of the processing, as the polling process runs ahead of
the workers in a burst (the claim then walks a backlog); ``--statements N`` prints the N
statements of most server time of the last PostgreSQL run (``pg_stat_statements``).

Usage: ``python bench/store_stages.py [--messages 3000] [--db sqlite postgresql] [--repeat 3]
[--lead 0] [--statements 0]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import scratch_dir

BATCH = 200
STAGES = ("add_items", "claim", "read", "thread_contexts", "save")
CATEGORIES = ("complaint", "request", "suggestion", "technical_issue")
DRAFT_TEXT = ("Dear customer,\n\nThank you for writing to us. We are sorry about the trouble "
              "with your order and we are looking into it now. ") * 5


def parsed_items(n: int) -> list[Any]:
    """``n`` realistic mails, parsed (before any clock starts)."""
    from bench.mailgen import generate
    from triage.mail.batch import parse_batch
    from triage.store import Ingest

    now = datetime.now(UTC)
    raws = generate(n)
    jobs = [(f"1:{i + 1}", raw, now) for i, raw in enumerate(raws)]
    outcomes, _ = parse_batch(jobs)
    return [Ingest(ext, raw, None, error=o, received_at=now) if isinstance(o, str)
            else Ingest(ext, raw, o, received_at=now) for (ext, raw, _), o in zip(jobs, outcomes,
                                                                                  strict=True)]


def processed(row: dict[str, Any], n: int) -> Any:
    """What processing would save for stored message ``row`` (no model, no renderer)."""
    from triage.models import Classification, Draft
    from triage.store import Processed

    if row["is_auto"]:
        return Processed(row["id"], None, None, "", None)
    cat = CATEGORIES[n % 4]
    cl = Classification(cat, 0.81, "en", "bench", n % 5 == 0,
                        {c: 0.81 if c == cat else 0.06 for c in CATEGORIES})
    return Processed(row["id"], cl, row["received_at"] + timedelta(hours=4), "standard",
                     Draft(f"Re: {row['subject']}"[:200], DRAFT_TEXT, f"en/{cat}.j2", "en"))


def server_cpu(pg: Any) -> float:
    """CPU seconds used so far by every process of the PostgreSQL cluster ``pg`` (0 without
    one)."""
    if pg is None:
        return 0.0
    return cluster_cpu(postmaster_pid(pg.data))


def postmaster_pid(data: Path) -> int:
    """The process id of the postmaster of the cluster in data directory ``data``."""
    return int((data / "postmaster.pid").read_text().split()[0])


def cluster_cpu(head: int, proc_root: Path = Path("/proc")) -> float:
    """CPU seconds (user + system, Linux /proc) used so far by the PostgreSQL cluster whose
    postmaster is ``head``: the postmaster, its live children (backends, autovacuum, the
    checkpointer, ...) and the children that already exited (a backend of a closed
    connection, an autovacuum worker: counted in the postmaster's ``cutime``/``cstime`` once
    it reaped them). The difference of two readings is the cluster's CPU in between.
    ``proc_root``: the /proc to read (a test's fake one)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in proc_root.iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(proc.name) == head:
            total += sum(int(x) for x in fields[11:15]) / tick
        elif int(fields[1]) == head:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def start_pg(statements: bool) -> Any:
    """A throwaway PostgreSQL server (the tests' fixture); with ``statements``, with
    ``pg_stat_statements`` loaded (planning counted too) and its view in database postgres."""
    from tests.fixtures_ops import PgServer

    pg = PgServer()
    if statements:
        with open(pg.data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("shared_preload_libraries = 'pg_stat_statements'\n"
                     "pg_stat_statements.track_planning = on\n")
    pg.start()
    if statements:
        statement_stats(pg, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return pg


def statement_stats(pg: Any, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` in database postgres of ``pg``; return its rows (none for a command)."""
    import psycopg

    with psycopg.connect(pg.url().replace("+psycopg", ""), autocommit=True) as c:
        cur = c.execute(sql)
        return cur.fetchall() if cur.description else []


def print_statements(pg: Any, top: int) -> None:
    """Print the ``top`` statements of the last run by server time (execution + planning)."""
    rows = statement_stats(pg, (
        "SELECT calls, rows, total_exec_time, total_plan_time, "
        "regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
        "WHERE dbid <> (SELECT oid FROM pg_database WHERE datname = 'postgres') "
        "ORDER BY total_exec_time + total_plan_time DESC"))
    total = sum(r[2] + r[3] for r in rows)
    print(f"\npg_stat_statements of the last run: {total / 1000:.2f} s in all "
          "(execution + planning)")
    print("| calls | rows | exec ms | plan ms | statement |")
    for calls, n, ex, pl, q in rows[:top]:
        print(f"| {calls} | {n} | {ex:.0f} | {pl:.0f} | {q[:160]} |")


def run(url: str, items: list[Any], pg: Any, lead: int = 0) -> dict[str, float]:
    """Store and save ``items`` batch by batch, storing ``lead`` batches ahead of the
    processing (as a polling process does in a burst); return CPU seconds per stage."""
    from triage.clock import SystemClock
    from triage.mail.threads import assign_threads
    from triage.store import Store
    from triage.store.deadline_store import DeadlineStore
    from triage.store.ownership import Owner

    store = Store.open(url, SystemClock())
    claims = store.claims(Owner.for_this_process("bench"), timedelta(minutes=5))
    contexts = DeadlineStore(store, ("support@example.com",))
    store.ensure_source("bench", "imap")
    # the pipeline's read (#19); the same script measures a tree from before it
    read = getattr(store, "messages_to_process", store.messages_by_ids)
    cpu: dict[str, float] = defaultdict(float)

    def timed(stage: str, fn: Callable[[], Any]) -> Any:
        server = server_cpu(pg)
        started = time.process_time()
        try:
            return fn()
        finally:
            cpu[stage] += time.process_time() - started
            if pg is not None:
                cpu[f"server {stage}"] += server_cpu(pg) - server

    def process() -> bool:
        ids = timed("claim", lambda: claims.claim(BATCH))
        rows = timed("read", lambda ids=ids: read(ids))
        todo = [r for r in rows if not r["is_auto"]]
        timed("thread_contexts", lambda todo=todo: contexts.thread_contexts(todo))
        results = [processed(r, n) for n, r in enumerate(rows)]
        timed("save", lambda results=results: store.save_processing_many(results))
        return bool(ids)

    for n, i in enumerate(range(0, len(items), BATCH)):
        batch = items[i:i + BATCH]
        timed("add_items", lambda b=batch, i=i: store.add_items(
            "bench", b, {"uid": i + len(b)}, threader=assign_threads))
        if n >= lead:
            process()
    while process():
        pass
    cpu["server"] = sum(v for k, v in cpu.items() if k.startswith("server "))
    assert not store.summary.drift(), "the summary differs from its recomputation"
    store.close()
    return dict(cpu)


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--db", nargs="+", choices=["sqlite", "postgresql"],
                    default=["sqlite", "postgresql"])
    ap.add_argument("--repeat", type=int, default=3, help="Fresh stores per database.")
    ap.add_argument("--lead", type=int, default=0,
                    help="Batches stored ahead of the processing (a burst's backlog).")
    ap.add_argument("--statements", type=int, default=0, metavar="N",
                    help="PostgreSQL: print the N statements of most server time "
                         "(pg_stat_statements) of the last run.")
    args = ap.parse_args()
    items = parsed_items(args.messages)
    pg = None
    if "postgresql" in args.db:
        pg = start_pg(args.statements > 0)
    try:
        print(f"{args.messages} messages, batches of {BATCH}, {args.lead} stored ahead; "
              f"CPU s, median of {args.repeat} (min-max)")
        print("| store | " + " | ".join((*STAGES, "total", "server")) + " |")
        for db in args.db:
            runs = []
            for _ in range(args.repeat):
                url = (pg.create_db() if db == "postgresql" else
                       f"sqlite:///{scratch_dir('bench-store-')}/triage.db")
                if db == "postgresql" and args.statements:
                    statement_stats(pg, "SELECT pg_stat_statements_reset()")
                runs.append(run(url, items, pg if db == "postgresql" else None, args.lead))
            for r in runs:
                r["total"] = sum(r[s] for s in STAGES)
            cells = []
            for stage in (*STAGES, "total", "server"):
                vals = [r.get(stage, 0.0) for r in runs]
                cells.append(f"{statistics.median(vals):.2f} ({min(vals):.2f}-{max(vals):.2f})")
            print(f"| {db} | " + " | ".join(cells) + " |", flush=True)
            if db == "postgresql":
                print("| server | " + " | ".join(
                    f"{statistics.median(r.get(f'server {s}', 0.0) for r in runs):.2f}"
                    for s in STAGES) + " | | |", flush=True)
                if args.statements:
                    print_statements(pg, args.statements)
    finally:
        if pg is not None:
            pg.destroy()


if __name__ == "__main__":
    main()
