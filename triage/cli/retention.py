"""``triage retention``: apply the ``[retention]`` rules now (the daemon does it on its own
every ``retention.every``)."""

from __future__ import annotations

import click


@click.command("retention")
@click.option("--config", "config", type=click.Path(dir_okay=False),
              help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")
@click.option("--dry-run", is_flag=True, help="Only count what would be dropped.")
def retention(config: str | None, dry_run: bool) -> None:
    """Drop the raw bytes of messages older than retention.raw_after (processed ones only)."""
    from triage.cli.common import cli_settings, handle_errors
    from triage.daemon import Daemon
    from triage.services import App

    @handle_errors
    def run() -> None:
        app = App(cli_settings(config))
        keep = app.settings.retention.raw_after
        if keep.total_seconds() <= 0:
            click.echo("retention.raw_after is 0s: raw messages are kept forever; "
                       "nothing to do")
            return
        n = Daemon(app).apply_retention(dry_run=dry_run)["raw_dropped"]
        verb = "would drop" if dry_run else "dropped"
        click.echo(f"{verb} the raw bytes of {n} message(s) ingested more than {keep} ago")

    run()
