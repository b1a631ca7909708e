"""Throughput with one, two and three daemons sharing one PostgreSQL database.

Starts a private PostgreSQL cluster (as the tests do), K daemons (`triage run`, each with its
own instance name and /healthz port), waits until every daemon is healthy, then drops the
messages into the mailboxes at once and times until all are processed. Writes
'## Several daemons on PostgreSQL' in docs/benchmarks.md.

    .venv/bin/python bench/multi_daemon.py [--mailboxes 30] [--per-mailbox 200] [--model F]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, rss_mb, scratch_dir, seed_maildir, write_section
from tests.fixtures_ops import PgServer, free_port


def count(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as c:
        return int(c.execute("select count(*) from messages where status != 'new'")
                   .fetchone()[0])


def run(k: int, server: PgServer, model: str, boxes_n: int, per: int, work: Path) -> dict:
    url = server.create_db()
    d = work / f"k{k}"
    d.mkdir()
    boxes = []
    for i in range(boxes_n):
        b = d / f"box{i:02d}"
        for sub in ("cur", "new", "tmp"):
            (b / sub).mkdir(parents=True)
        boxes.append(b)
    procs: list[subprocess.Popen] = []
    ports: list[int] = []
    try:
        return _measure(k, url, model, boxes, per, d, procs, ports)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=120)
        shutil.rmtree(d, ignore_errors=True)


def _measure(k: int, url: str, model: str, boxes: list[Path], per: int, d: Path,
             procs: list[subprocess.Popen], ports: list[int]) -> dict:
    boxes_n = len(boxes)
    for n in range(k):
        port = free_port()
        ports.append(port)
        lines = [f"data_dir = 'data{n}'", f"[store]\nurl = '{url}'",
                 f"[classifier]\nmodel_path = '{model}'",
                 "[scheduler]\nbatch_size = 100\njitter = '0s'",
                 f"[ops]\ninstance = 'bench{n}'\nlisten = '127.0.0.1:{port}'"]
        lines += [f"[[sources]]\nname = '{b.name}'\ntype = 'maildir'\npath = '{b}'\n"
                  "poll_interval = '1s'" for b in boxes]
        cfg = d / f"d{n}.toml"
        cfg.write_text("\n".join(lines) + "\n")
        log = open(d / f"d{n}.log", "wb")  # noqa: SIM115
        procs.append(subprocess.Popen([sys.executable, "-c",
                                       "from triage.cli.main import main; main()", "run",
                                       "--config", str(cfg)], cwd=d, stdout=log, stderr=log))
    deadline = time.monotonic() + 300
    for port in ports:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    staging = d / "staging"
    staging.mkdir()
    for i, b in enumerate(boxes):
        seed_maildir(staging / b.name, per, f"k{k}b{i}")
    total = boxes_n * per
    start = time.monotonic()
    for b in boxes:  # the mail arrives at once: swap in a full new/ folder per mailbox
        os.rename(b / "new", b / "new.empty")
        os.rename(staging / b.name / "new", b / "new")
    peak = 0.0
    while count(url) < total and time.monotonic() - start < 1800:
        peak = max(peak, *(rss_mb(p.pid) for p in procs))
        time.sleep(0.5)
    elapsed = time.monotonic() - start
    done = count(url)
    return {"k": k, "total": total, "done": done, "elapsed": elapsed,
            "rate": done / elapsed, "peak_rss": peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mailboxes", type=int, default=30)
    ap.add_argument("--per-mailbox", type=int, default=200)
    ap.add_argument("--model", default="")
    ap.add_argument("--daemons", default="1,2,3")
    args = ap.parse_args()
    work = scratch_dir("triage-multi-")
    model = args.model
    if not model:
        from triage.modelstore import ensure_bundled_model

        model = str(ensure_bundled_model(work / "models"))
    server = PgServer()
    server.start()
    results = []
    try:
        for k in (int(x) for x in args.daemons.split(",")):
            r = run(k, server, model, args.mailboxes, args.per_mailbox, work)
            print(r, flush=True)
            results.append(r)
    finally:
        server.destroy()
    rows = ["| daemons | messages | processed | seconds | messages/s | peak RSS per daemon (MB) |",
            "|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rows.append(f"| {r['k']} | {r['total']:,} | {r['done']:,} | {r['elapsed']:.1f} | "
                    f"{r['rate']:.0f} | {r['peak_rss']:.0f} |")
    body = f"""
`bench/multi_daemon.py`: {args.mailboxes} Maildirs x {args.per_mailbox} messages, K daemons
(`triage run`, batch 100) sharing one PostgreSQL 15 database (private cluster, fsync off).
Timed from the moment the mail lands (all daemons already healthy on /healthz) until every
message is processed (that each is processed exactly once is checked by tests/test_faults.py,
not here). Run on
{time.strftime('%Y-%m-%d')}; machine: {machine()}; load average {os.getloadavg()[0]:.1f} when the
report was written. The daemons, PostgreSQL and the benchmark share those CPUs.

{chr(10).join(rows)}

Each daemon is one Python process, so on 2 CPUs a second and third daemon add what the
first leaves idle (waiting on PostgreSQL and the file system); the point of several daemons is
several machines (and taking over when one dies).
"""
    write_section("Several daemons on PostgreSQL", body)
    print(body)


if __name__ == "__main__":
    main()
