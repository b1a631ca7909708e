"""The ``triage`` command line. The only place that turns errors into messages and exit codes,
sets up logging handlers and reads ``.env``."""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from dotenv import load_dotenv

from triage.config import Settings, find_config_path, load_settings, masked_dump
from triage.errors import ConfigError, TriageError

log = logging.getLogger("triage")
F = TypeVar("F", bound=Callable[..., Any])


def _setup_logging(level: str = "INFO", json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        from triage.logjson import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "alembic", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def handle_errors(fn: F) -> F:
    """Turn TriageError into ``error: ...`` on stderr and exit code 2 (config) or 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except TriageError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _settings(config: str | None, *, required: bool = True) -> Settings:
    path = find_config_path(config)
    if not required and not path.exists():
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "triage"
        return Settings(data_dir=str(cache))
    return load_settings(path)


config_option = click.option("--config", "config", type=click.Path(dir_okay=False),
                             help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")


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
    from triage.deadlines import build_calendars

    settings = _settings(config)
    build_calendars(settings.deadlines, settings.resolve_path)  # holiday files must be readable
    click.echo(json.dumps(masked_dump(settings), indent=2, default=str))
    click.echo(f"configuration OK: {settings.config_path}", err=True)


def _install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: object) -> None:
        log.info("received %s; stopping after the current message", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@main.command()
@config_option
@handle_errors
def run(config: str | None) -> None:
    """Run the daemon: poll every source on its interval and sweep deadlines until stopped."""
    from triage.services import App

    settings = _settings(config)
    _setup_logging(settings.logging.level, settings.logging.json_lines)
    stop = threading.Event()
    _install_signal_handlers(stop)
    App(settings, stop=stop).run_daemon()


@main.command()
@config_option
@click.option("--once", is_flag=True, required=True, help="Poll every source once and exit.")
@handle_errors
def poll(config: str | None, once: bool) -> None:
    """Poll every source once, process what arrived, and exit."""
    from triage.services import App

    settings = _settings(config)
    _setup_logging(settings.logging.level, settings.logging.json_lines)
    stop = threading.Event()
    _install_signal_handlers(stop)
    results = App(settings, stop=stop).poll_all()
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
    """Import .eml files, an mbox file or a Maildir as a backfill (never auto-answered)."""
    from triage.services import App
    from triage.sources.importer import archive_items

    settings = _settings(config)
    _setup_logging(settings.logging.level)
    app = App(settings)
    stats = app.pipeline.import_items(source_name, archive_items(Path(path)))
    click.echo(f"imported: read {stats.fetched}, new {stats.stored}, quarantined "
               f"{stats.quarantined}, processed {stats.processed}")


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl",
              show_default=True, help="Output format.")
@handle_errors
def export(config: str | None, fmt: str) -> None:
    """Print every message with its category, deadline and draft, one JSON object a line."""
    from triage.export import export_record
    from triage.services import App

    app = App(_settings(config))
    now = app.clock.now()
    out = sys.stdout
    for row in app.store.export_rows():
        out.write(json.dumps(export_record(row, app.deadlines, now), ensure_ascii=False) + "\n")


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

    settings = _settings(config, required=False)
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
@handle_errors
def demo(workdir: str, once: bool) -> None:
    """Set up a demo inbox, process it, print what triage made of it, keep running."""
    from triage.demo import print_table, setup_demo
    from triage.services import App

    cfg = setup_demo(Path(workdir))
    settings = load_settings(cfg)
    _setup_logging("WARNING")
    stop = threading.Event()
    app = App(settings, stop=stop)
    click.echo(f"demo config: {cfg}")
    app.poll_all()
    print_table(app, click.echo)
    if once:
        return
    from triage.demo import ensure_demo_agent

    settings.web.enabled = True
    agent, password = ensure_demo_agent(app)
    click.echo(f"review page: http://{settings.web.host}:{settings.web.port}/  "
               f"sign in as {agent} / {password}")
    _setup_logging(settings.logging.level)
    _install_signal_handlers(stop)
    click.echo("demo daemon running; drop .eml files into "
               f"{Path(workdir) / 'inbox' / 'new'} and press Ctrl-C to stop")
    app.run_daemon()


from triage.cli_templates import templates as _templates  # noqa: E402

main.add_command(_templates)


from triage import cli_deadlines  # noqa: E402  (imports this module's helpers)

main.add_command(cli_deadlines.report)
main.add_command(cli_deadlines.deadlines)

from triage.cli_social import social  # noqa: E402

main.add_command(social)

from triage.cli_web import users, web  # noqa: E402

main.add_command(users)
main.add_command(web)

from triage.cli_imap import backfill as _imap_backfill  # noqa: E402

main.add_command(_imap_backfill)

from triage.cli_classifier import evaluate_cmd, explain_cmd, models_group, train_cmd  # noqa: E402

main.add_command(train_cmd)
main.add_command(evaluate_cmd)
main.add_command(explain_cmd)
main.add_command(models_group)

from triage.cli_ops import status as _ops_status  # noqa: E402

main.add_command(_ops_status)

from triage.cli_retention import retention as _retention  # noqa: E402

main.add_command(_retention)

from triage.cli_outbox import outbox as _outbox_group  # noqa: E402

main.add_command(_outbox_group)
