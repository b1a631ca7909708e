"""The markdown section that ``bench/burst.py`` writes to docs/benchmarks.md: the burst table,
the before/after table against a saved run, the verdict on #19's target and what the stages
mean (moved out of burst.py, which had grown past 600 lines)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench._common import machine

STAGES = ("fetch", "parse", "store", "classify", "deadline", "render", "save")
"""The pipeline's stages, in the order the tables show them."""

Result = tuple[str, str, dict[str, Any], tuple[float, ...]]
"""One run: store, workers setting, the run's measurements, the load average before it."""


def _label(setting: str, res: dict[str, Any]) -> str:
    n = res.get("workers", setting)
    return f"auto ({n})" if setting == "auto" else str(setting)


def _server(res: dict[str, Any]) -> str:
    """The PostgreSQL server's CPU seconds of a run ("-" on SQLite or when not measured)."""
    v = res.get("server_cpu")
    return "-" if v is None else f"{v:.2f}"


def _cpu_total(res: dict[str, Any]) -> float:
    return float(res["poller_cpu"] + res["worker_cpu"] + res.get("parser_cpu", 0.0))


def report(n: int, plain: dict[str, Any], results: list[Result],
           before: dict[str, Any] | None = None) -> str:
    """The markdown body of the section (``before``: an earlier run's saved JSON)."""
    plain_rate = plain["messages"] / plain["seconds"]
    lines = [
        f"{n:,} realistic customer emails (`bench/mailgen.py`) in a private Dovecot on "
        "127.0.0.1, all there when the daemon starts; measured from the first poll (model "
        "loading, migrations and process start excluded) until no message waits, i.e. every "
        "one is stored, classified, given its deadline and a drafted reply. Each run is a "
        f"fresh process and a fresh store. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on "
        f"{machine()}; the machine is shared with other jobs (load average before each run "
        "given), so wall times are inflated and the per-stage figures are CPU seconds "
        "(`time.process_time`, summed over the processes), which other jobs disturb less.",
        "",
        f"Plain fetch (bare IMAPClient, `UID FETCH BODY.PEEK[]` 500 per command): "
        f"{plain['seconds']:.2f} s, {plain_rate:,.0f} messages/s.",
        "",
        "| store | workers | load avg | seconds | messages/s | ratio to plain fetch | "
        "drafted | CPU s: " + " | ".join(STAGES) + " | CPU s poller / workers / parsers | "
        "CPU s PostgreSQL server |",
        "|---|---|---|---|---|---|---|" + "---|" * len(STAGES) + "---|---|",
    ]
    for db, setting, res, load in results:
        rate = res["processed"] / res["seconds"]
        cpu = " | ".join(f"{res['cpu'].get(s, 0.0):.2f}" for s in STAGES)
        lines.append(
            f"| {db} | {_label(setting, res)} | {load[0]:.1f} | {res['seconds']:.1f} | "
            f"{rate:,.0f} | {rate / plain_rate:.2f} | {res['drafted']:,} | {cpu} | "
            f"{res['poller_cpu']:.1f} / {res['worker_cpu']:.1f} / "
            f"{res.get('parser_cpu', 0.0):.1f} | {_server(res)} |")
    if before:
        old = {(r[0], str(r[1])): r for r in before["results"]}
        lines += ["", "Before (the same benchmark on the commit before, "
                  f"{before.get('commit', 'not recorded')}, run with `--save` on the same "
                  "machine) and after, CPU seconds per stage "
                  "(summed over the processes) and wall seconds:", "",
                  "| store | workers | " + " | ".join(STAGES) +
                  " | CPU s total | poller CPU s | server CPU s | wall s (load) |",
                  "|---|---|" + "---|" * len(STAGES) + "---|---|---|---|"]
        for db, setting, res, load in results:
            was = old.get((db, setting)) or old.get((db, "1" if setting == "auto" else setting))
            if was is None:
                continue
            b = was[2]
            stages = " | ".join(f"{b['cpu'].get(s, 0.0):.1f} -> {res['cpu'].get(s, 0.0):.1f}"
                                for s in STAGES)
            lines.append(
                f"| {db} | {_label(setting, res)} | {stages} | "
                f"{_cpu_total(b):.1f} -> {_cpu_total(res):.1f} | "
                f"{b['poller_cpu']:.1f} -> {res['poller_cpu']:.1f} | "
                f"{_server(b)} -> {_server(res)} | "
                f"{b['seconds']:.1f} ({was[3][0]:.1f}) -> {res['seconds']:.1f} "
                f"({load[0]:.1f}) |")
    per_db = {}
    for db in dict.fromkeys(r[0] for r in results):
        runs = [r for r in results if r[0] == db]
        per_db[db] = min(runs, key=lambda r: r[2]["seconds"])
    verdicts = "; ".join(
        f"{db}: fastest {r[2]['seconds']:.1f} s (workers={_label(r[1], r[2])}, load "
        f"{r[3][0]:.1f}), " + ("not measured" if n != 10_000 else
                               "met" if r[2]["seconds"] <= 10 else "**not met**")
        for db, r in per_db.items())
    split = [r for r in results if r[2].get("workers")] or results
    lean = min(split, key=lambda r: _cpu_total(r[2]))
    lr = lean[2]
    lines += [
        "",
        f"Target (#19: 10,000 messages in at most 10 s on this 2-core machine, with SQLite "
        f"and on PostgreSQL): {verdicts}. What bounds a run on two cores is the CPU: with "
        f"workers ({lean[0]}, workers={_label(lean[1], lr)}) all processes together spent "
        f"{_cpu_total(lr):.1f} CPU s (the polling one {lr['poller_cpu']:.1f}, the workers "
        f"{lr['worker_cpu']:.1f}, the parse processes {lr.get('parser_cpu', 0.0):.1f}), so "
        f"two cores need at least {_cpu_total(lr) / 2:.1f} s even if never idle, and Dovecot "
        "and PostgreSQL's server share the same two cores (the server's CPU from the first "
        "poll until the last draft, every process of its cluster from /proc, is the last "
        "column; it is not in the client's figures). Parse and render are now two thirds of "
        "the client's CPU.",
        "",
        "Where the work runs with workers (#19): the polling process fetches and stores "
        "(threading, dedupe and the cursor in one transaction per batch, batches in the order "
        "fetched); the parse processes parse each batch while the next one is fetched; the "
        "workers classify, plan deadlines, render and save over claimed batches (woken by the "
        "polling process as soon as it stores a batch), and after its poll the polling process "
        "does the same beside them through the same claims (`Daemon.poll_source`), so both "
        "cores work until the last draft.",
        "",
        "What made the CPU figures drop in the session of 2026-12-05 (20.2 -> 14.0 CPU s on that "
        "session's machine; branches fetch7, store7, "
        "parse7, render7, pipe7, pg7): imaplib's debug trace is off unless DEBUG logging asks "
        "for it (IMAPClient turns it on and imaplib built the `repr` of every message body, a "
        "third of the fetch CPU), one FETCH per batch for sizes, dates and bodies (over-size "
        "mail found by one `UID SEARCH LARGER`), a regular-expression reader for the common "
        "FETCH answer with imapclient's parser as the fallback "
        "(`triage/clients/imap_fetch.py`); raw bytes in their own table `message_raw` "
        "(migration 0021; lz4 on PostgreSQL), so claiming and saving no longer rewrite 20 KiB "
        "per row on SQLite, the summary rows of the conversations a batch opens derived from "
        "the batch's own values, IN lists sent as one array parameter (run unprepared on "
        "PostgreSQL, so each is planned for the table it meets), bulk inserts without a "
        "multi-row RETURNING; base64 attachments sized from their letters instead of decoded, "
        "plain header fields split directly; partials compiled into the templates that include "
        "them (one Jinja2 context per draft instead of four), the situation model's term "
        "counting in numpy; the young generation of the garbage collector raised to 20,000 "
        "after start-up (GC 0.3-0.5 -> 0.04 CPU s per burst), dead claim holders looked for "
        "every 5 s instead of on every claim, a cheaper accent fold in the priority rules. "
        "Earlier rounds: parsing moved out of the polling process, lazy draft context values "
        "(`triage/drafting/lazy.py`), keyword rules indexed by their required strings, the "
        "feedparser fed through a cursor (`triage/mail/mime.py`). Results are identical "
        "(tests/test_draft_fastpath.py, tests/test_situation_fastpath.py, "
        "tests/test_parse_fastpath.py, tests/test_parse_pool.py, tests/test_imap_fetch.py and "
        "tests/test_store_summary.py compare with the plain evaluation; 13,000 drafts and "
        "11,000 parsed mails were also compared with the code before). The three messages of "
        "the 10,000 without a draft are automatic replies (stored, never answered; the same "
        "three on the code before).",
        "",
        "fetch = the IMAP source's fetch (client side; waiting for Dovecot is wall time, not "
        "CPU); parse = MIME parsing (in the parse processes with workers); store = "
        "`add_items` (threading, dedupe, the insert); classify = the model's batch call; "
        "deadline = thread contexts and the policy; render = the draft (situation detection "
        "and the Jinja2 template); save = `save_processing_many` (one transaction per batch).",
    ]
    return "\n".join(lines)
