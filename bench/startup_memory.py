"""Start-up memory: resident memory after each step of a daemon's start-up, in one process,
in the order ``triage run`` takes them (imports, store, classifier, situation model, the other
collaborators), then after a first poll of realistic mail. Prints a Markdown table (#19).

    .venv/bin/python bench/startup_memory.py [--messages 2000]

Run it against another checkout with ``PYTHONPATH=/path/to/checkout`` to compare.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import rss_mb, scratch_dir, seed_maildir

PREPARE = """
from pathlib import Path
from triage.config import load_settings
from triage.modelstore import ensure_bundled_model
from triage.services import App
model = ensure_bundled_model(Path("models").resolve())
Path("triage.toml").write_text(
    f"data_dir = 'data'\\n[classifier]\\nmodel_path = '{model}'\\n[scheduler]\\n"
    "batch_size = 200\\njitter = '0s'\\n[[sources]]\\nname = 'box'\\ntype = 'maildir'\\n"
    "path = 'box'\\n")
App(load_settings("triage.toml")).store
"""
"""Run in the work directory before measuring: the model file, the config, the schema."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=2000)
    args = ap.parse_args()
    work = scratch_dir("triage-startmem-")
    seed_maildir(work / "box", args.messages, "s")
    # the model file and the schema are made in another process, so this one starts with
    # nothing imported, as a daemon restarted on its store does
    subprocess.run([sys.executable, "-c", PREPARE], cwd=work, check=True)
    logging.basicConfig(level=logging.WARNING)
    rows: list[tuple[str, float]] = []
    last = rss_mb(os.getpid())
    rows.append(("interpreter (and the bench helpers)", last))

    def step(name: str) -> None:
        nonlocal last
        now = rss_mb(os.getpid())
        rows.append((name, now - last))
        last = now

    import triage.config
    step("import triage.config (pydantic)")
    import triage.store
    step("import triage.store (SQLAlchemy)")
    import triage.pipeline
    step("import triage.pipeline (mail parsing, Jinja2)")
    import triage.cli.main
    import triage.daemon
    import triage.services  # noqa: F401
    step("import daemon, services, CLI (sources, senders)")
    from triage.config import load_settings
    from triage.daemon import Daemon
    from triage.ops.config_audit import record_config_changes
    from triage.services import App

    os.chdir(work)
    app = App(load_settings("triage.toml"))
    _ = app.store
    step("open the store (migrations)")
    _ = app.classifier
    step("classifier (runtime model)")
    _ = app.situation_model
    step("situation model (trained)")
    _ = app.pipeline, app.outbox
    record_config_changes(app.store, app.settings)
    step("pipeline, outbox, ops, config audit")
    from triage.ops.memtrim import release_free_heap

    release_free_heap()
    step("malloc_trim")
    start = last
    t0 = time.monotonic()
    Daemon(app).poll_all()
    gc.collect()
    step(f"first poll: {args.messages:,} messages processed")
    print("| step | MB | RSS after (MB) |\n|---|---:|---:|")
    total = 0.0
    for name, mb in rows:
        total += mb
        print(f"| {name} | {mb:+.1f} | {total:.1f} |")
    print(f"\nidle start-up {start:.1f} MB; after the first poll {last:.1f} MB "
          f"({time.monotonic() - t0:.0f} s); modules loaded: {len(sys.modules)}; "
          f"alembic loaded: {'alembic' in sys.modules}")


if __name__ == "__main__":
    main()
