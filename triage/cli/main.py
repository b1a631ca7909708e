"""The ``triage`` command line: the group and the daemon's own commands (``run``, ``poll``,
``import``, ``export``, ``classify``, ``check-config``, ``demo``). Every other area's commands
live in a module of this package and are registered at the end of this file; what they share is
in :mod:`triage.cli.common`."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import click
from dotenv import load_dotenv

from triage.cli import classifier as classifier_cli
from triage.cli import deadlines as deadlines_cli
from triage.cli import imap as imap_cli
from triage.cli import llm as llm_cli
from triage.cli import ops as ops_cli
from triage.cli import outbox as outbox_cli
from triage.cli import retention as retention_cli
from triage.cli import review as review_cli
from triage.cli import social as social_cli
from triage.cli import templates as templates_cli
from triage.cli import web as web_cli
from triage.cli.common import (
    cli_settings,
    config_option,
    handle_errors,
    install_signal_handlers,
    setup_logging,
)
from triage.config import load_settings, masked_dump


@click.group()
@click.version_option(package_name="inbox-triage")
def main() -> None:
    """triage: keeps customer support inboxes under control."""
    load_dotenv(Path.cwd() / ".env", override=False)


@main.command("check-config")
@config_option
@handle_errors
def check_config(config: str | None) -> None:
    """Validate the configuration and print it resolved, with secrets masked."""
    from triage.deadlines.policy import build_calendars

    settings = cli_settings(config)
    build_calendars(settings.deadlines, settings.resolve_path)  # holiday files must be readable
    from triage.cli.templates import renderer_for
    from triage.drafting.acks import checked_rules

    # the enabled acknowledgement rules must compile and render, as at start-up
    checked_rules(settings.acknowledgements, renderer_for(settings), settings.drafting.team_name)
    click.echo(json.dumps(masked_dump(settings), indent=2, default=str))
    click.echo(f"configuration OK: {settings.config_path}", err=True)


@main.command()
@config_option
@handle_errors
def run(config: str | None) -> None:
    """Run the daemon: poll every source on its interval and sweep deadlines until stopped."""
    from triage.daemon import Daemon
    from triage.services import App

    settings = cli_settings(config)
    setup_logging(settings.logging.level, settings.logging.json_lines)
    stop = threading.Event()
    install_signal_handlers(stop)
    Daemon(App(settings, stop=stop)).run()


@main.command()
@config_option
@click.option("--once", is_flag=True, required=True, help="Poll every source once and exit.")
@handle_errors
def poll(config: str | None, once: bool) -> None:
    """Poll every source once, process what arrived, and exit."""
    from triage.daemon import Daemon
    from triage.services import App

    settings = cli_settings(config)
    setup_logging(settings.logging.level, settings.logging.json_lines)
    stop = threading.Event()
    install_signal_handlers(stop)
    results = Daemon(App(settings, stop=stop)).poll_all()
    failed = False
    for name, res in results.items():
        if isinstance(res, str):
            failed = True
            click.echo(f"{name}: {res}", err=True)
        else:
            click.echo(f"{name}: fetched {res.fetched}, stored {res.stored}, quarantined "
                       f"{res.quarantined}, processed {res.processed}", err=True)
    if failed:
        sys.exit(1)


@main.command("import")
@config_option
@click.argument("path", type=click.Path(exists=True))
@click.option("--source", "source_name", default="import", show_default=True,
              help="Source name the imported messages are stored under.")
@handle_errors
def import_(config: str | None, path: str, source_name: str) -> None:
    """Import message files, mbox files, Maildirs or a folder of them as a backfill (never
    auto-answered). A message whose Message-ID is already stored is reported as a duplicate
    and not stored again."""
    from triage.services import App
    from triage.sources.importer import ArchiveScan, archive_items

    settings = cli_settings(config)
    setup_logging(settings.logging.level)
    app = App(settings)
    scan = ArchiveScan()
    stats = app.pipeline.import_items(source_name, archive_items(Path(path), scan))
    for skipped in scan.skipped[:20]:
        click.echo(f"skipped {skipped}: not a message or mbox file", err=True)
    if len(scan.skipped) > 20:
        click.echo(f"skipped {len(scan.skipped) - 20} more files that are not mail", err=True)
    click.echo(f"imported: read {stats.fetched}, new {stats.stored}, duplicates "
               f"{stats.duplicates}, quarantined {stats.quarantined}, processed "
               f"{stats.processed}, skipped {len(scan.skipped)}")
    if stats.fetched == 0:
        click.echo(f"error: no messages found in {path}; give a message file, an mbox file, "
                   "a Maildir or a folder holding them", err=True)
        sys.exit(1)


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl",
              show_default=True, help="Output format.")
@handle_errors
def export(config: str | None, fmt: str) -> None:
    """Print every message with its category, deadline and draft, one JSON object a line."""
    from triage.ops.export import export_record, json_line
    from triage.services import App

    app = App(cli_settings(config))
    now = app.clock.now()
    out = sys.stdout
    for row in app.store.iter_export_rows():  # a chunk at a time: memory stays flat
        out.write(json_line(export_record(row, app.deadlines, now)) + "\n")


@main.command()
@config_option
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Model file to use instead of the configured one.")
@click.option("--batch", default=2000, show_default=True, help="Messages per model call.")
@handle_errors
def classify(config: str | None, model_path: str | None, batch: int) -> None:
    """Classify JSON lines from stdin ({"text": ..., "subject": ...}); one JSON line out each."""
    from classifiers.model import model_input
    from triage.modelstore import load_classifier

    settings = cli_settings(config, required=False)
    active = None
    if settings.config_path is not None and not model_path:
        # with a config, use the registry's active version like the daemon does
        from triage.clock import SystemClock
        from triage.modelstore import active_model
        from triage.store.store import Store

        store = Store.open(settings.database_url(), SystemClock())
        try:
            active = active_model(settings, store)
        finally:
            store.close()
    model = load_classifier(settings, model_path, active=active)
    out = sys.stdout
    pending: list[tuple[int, str]] = []
    errors = 0

    def flush() -> None:
        if not pending:
            return
        results = model.predict([t for _, t in pending])
        for (_, _), r in zip(pending, results, strict=True):
            out.write(json.dumps({"category": r.category, "confidence": r.confidence,
                                  "language": r.language, "needs_review": r.needs_review},
                                 ensure_ascii=False) + "\n")
        pending.clear()

    for n, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError('expected an object with a string "text"')
            text = model_input(obj["text"], str(obj.get("subject") or ""))
        except ValueError as exc:
            flush()
            errors += 1
            out.write(json.dumps({"line": n, "error": f"stdin line {n}: {exc}; send "
                                  '{"text": "...", "subject": "..."}'}) + "\n")
            continue
        pending.append((n, text))
        if len(pending) >= batch:
            flush()
    flush()
    if errors:
        click.echo(f"{errors} line(s) could not be read; see the error objects in the output",
                   err=True)
        sys.exit(1)


@main.command()
@click.option("--workdir", type=click.Path(file_okay=False), default="demo", show_default=True,
              help="Directory for the demo config, inbox and data.")
@click.option("--once", is_flag=True, help="Process the demo inbox, print the table and exit.")
@click.option("--host", help="Serve the review page on this address (default: web.host of the "
              "demo config, 127.0.0.1).")
@click.option("--port", type=int, help="Serve the review page on this port (default: web.port "
              "of the demo config, 8080).")
@handle_errors
def demo(workdir: str, once: bool, host: str | None, port: int | None) -> None:
    """Set up a demo inbox, process it, print what triage made of it, keep running.

    The review page is served on web.host and web.port of the demo config; --host and --port
    override them for this run (the config file is not changed).
    """
    from triage.cli.demo import print_table, setup_demo
    from triage.daemon import Daemon
    from triage.services import App

    cfg = setup_demo(Path(workdir))
    settings = load_settings(cfg)
    if host:
        settings.web.host = host
    if port:
        settings.web.port = port
    setup_logging("WARNING")
    stop = threading.Event()
    app = App(settings, stop=stop)
    click.echo(f"demo config: {cfg}")
    Daemon(app).poll_all()
    print_table(app, click.echo)
    if once:
        return
    from triage.cli.demo import ensure_demo_agent

    settings.web.enabled = True
    agent, password = ensure_demo_agent(app)
    click.echo(f"review page: http://{settings.web.host}:{settings.web.port}/  "
               f"sign in as {agent} / {password}")
    setup_logging(settings.logging.level)
    install_signal_handlers(stop)
    click.echo("demo daemon running; drop .eml files into "
               f"{Path(workdir) / 'inbox' / 'new'} and press Ctrl-C to stop")
    Daemon(app).run()


for _command in (templates_cli.templates, deadlines_cli.report, deadlines_cli.deadlines,
                 social_cli.social, web_cli.users, web_cli.web, imap_cli.backfill,
                 classifier_cli.train_cmd, classifier_cli.evaluate_cmd, classifier_cli.explain_cmd,
                 classifier_cli.models_group, ops_cli.status, ops_cli.queue_summary,
                 retention_cli.retention, outbox_cli.outbox, review_cli.review, llm_cli.llm,
                 llm_cli.encoder):
    main.add_command(_command)
