"""``triage social``: the state of the social sources (rate-limit pauses, errors, cursors)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from triage.errors import NotFound

# triage.cli.main imports this module at its end, so its helpers are imported when a command runs.
config_option = click.option("--config", "config", type=click.Path(dir_okay=False),
                             help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")


def _guarded(fn: Callable[..., None], *args: Any) -> None:
    from triage.cli.common import handle_errors

    handle_errors(fn)(*args)


def cli_settings(config: str | None) -> Any:
    from triage.cli.common import cli_settings as settings

    return settings(config)


@click.group()
def social() -> None:
    """Social and chat sources (X, Mastodon, Telegram, Facebook, Zalo, WhatsApp): status and
    pauses."""


def _ago(until: datetime | None, now: datetime) -> str:
    if until is None or until <= now:
        return "-"
    return f"until {until.isoformat(timespec='seconds')} ({int((until - now).total_seconds())}s)"


@social.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
def status(config: str | None, as_json: bool) -> None:
    """Show each source's pause (rate limit), failures, last error and cursor."""
    _guarded(_status, config, as_json)


def _status(config: str | None, as_json: bool) -> None:
    from triage.services import App

    app = App(cli_settings(config))
    now = app.clock.now()
    rows = {r["name"]: r for r in app.store.source_rows()}
    for cfg in app.settings.sources:
        row = rows.get(cfg.name, {})
        until = row.get("paused_until")
        paused = until is not None and until > now
        if as_json:
            click.echo(json.dumps({
                "name": cfg.name, "type": cfg.type, "enabled": cfg.enabled, "paused": paused,
                "paused_until": until.isoformat() if paused and until else None,
                "failures": int(row.get("failures") or 0),
                "last_error": row.get("last_error"), "cursor": row.get("cursor") or {},
                "last_success_at": row["last_success_at"].isoformat()
                if row.get("last_success_at") else None}, ensure_ascii=False))
            continue
        click.echo(f"{cfg.name} ({cfg.type}{'' if cfg.enabled else ', disabled'}): "
                   f"paused {_ago(until, now)}; failures {int(row.get('failures') or 0)}; "
                   f"cursor {json.dumps(row.get('cursor') or {})}")
        if row.get("last_error") and row.get("failures"):
            click.echo(f"  last error: {row['last_error']}")


@social.command()
@config_option
@click.argument("name")
def unpause(config: str | None, name: str) -> None:
    """Lift the rate-limit pause of source NAME now (it is polled at its next interval)."""
    _guarded(_unpause, config, name)


def _unpause(config: str | None, name: str) -> None:
    from triage.services import App

    app = App(cli_settings(config))
    app.settings.source(name)  # ConfigError for an unknown name
    if name not in {r["name"] for r in app.store.source_rows()}:
        raise NotFound(f"source {name!r} has never been polled, so it is not paused")
    app.store.pause_source(name, None)
    click.echo(f"{name}: pause lifted")
