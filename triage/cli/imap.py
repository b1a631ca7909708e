"""IMAP commands of the CLI (``triage backfill``), registered at the bottom of ``cli.py``."""

from __future__ import annotations

import click

from triage.cli.common import cli_settings, config_option, handle_errors, setup_logging


@click.command()
@config_option
@click.option("--source", "source_name", required=True, help="Name of an IMAP [[sources]] entry.")
@click.option("--since", "since", required=True, help="Import mail dated on or after this day "
              "(YYYY-MM-DD).")
@handle_errors
def backfill(config: str | None, source_name: str, since: str) -> None:
    """Import older mail of an IMAP source (stored as backfill: never answered automatically)."""
    from triage.services import App
    from triage.sources.base import build_source
    from triage.sources.imap_backfill import backfill as run_backfill
    from triage.sources.imap_backfill import parse_since

    day = parse_since(since)
    settings = cli_settings(config)
    setup_logging(settings.logging.level, settings.logging.json_lines)
    cfg = settings.source(source_name)
    app = App(settings)
    source = build_source(cfg, app.environ, settings.resolve_path)

    def progress(stats: object) -> None:
        click.echo(f"  stored {getattr(stats, 'stored', 0)} so far", err=True)

    stats = run_backfill(app.pipeline, source, day, progress)
    click.echo(f"backfill {source_name} since {day}: fetched {stats.fetched}, stored "
               f"{stats.stored}, quarantined {stats.quarantined}, processed {stats.processed}")
