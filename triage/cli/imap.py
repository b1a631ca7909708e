"""IMAP commands of the CLI (``triage backfill``), registered in ``triage/cli/main.py``."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from triage.cli.common import cli_settings, config_option, handle_errors, setup_logging
from triage.errors import ConfigError

if TYPE_CHECKING:
    from triage.pipeline import RunStats


def parse_since(value: str) -> date:
    """Return the date in ``value`` (YYYY-MM-DD); raises ConfigError naming the option."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--since {value!r} is not a date",
                          fix="write it as YYYY-MM-DD, e.g. --since 2026-01-01") from None


@click.command()
@config_option
@click.option("--source", "source_name", required=True, help="Name of an IMAP [[sources]] entry.")
@click.option("--since", "since", required=True, help="Import mail dated on or after this day "
              "(YYYY-MM-DD).")
@handle_errors
def backfill(config: str | None, source_name: str, since: str) -> None:
    """Import older mail of an IMAP source (stored as backfill: never answered automatically)."""
    from triage.daemon import Daemon
    from triage.services import App

    day = parse_since(since)
    settings = cli_settings(config)
    setup_logging(settings.logging.level, settings.logging.json_lines)

    def progress(stats: RunStats) -> None:
        click.echo(f"  stored {stats.stored} so far", err=True)

    stats = Daemon(App(settings)).backfill(source_name, day, progress)
    click.echo(f"backfill {source_name} since {day}: fetched {stats.fetched}, stored "
               f"{stats.stored}, quarantined {stats.quarantined}, processed {stats.processed}")
