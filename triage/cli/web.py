"""CLI commands of the review page: ``triage users ...`` and ``triage web``."""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

# triage.cli.main imports this module at its end; its helpers are imported when a command runs, so
# `python -m triage.cli.main` (where the CLI module is __main__) does not import it twice.
config_option = click.option("--config", "config", type=click.Path(dir_okay=False),
                             help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The CLI's error handling (``triage.cli.main.handle_errors``), resolved at call time."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from triage.cli.common import handle_errors as handle

        return handle(fn)(*args, **kwargs)

    return wrapper


@click.group()
def users() -> None:
    """Manage the accounts of the review page."""


@users.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice(["agent", "admin"]), default="agent",
              show_default=True, help="agent: review and send; admin: also the admin pages.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of prompting.")
@handle_errors
def users_add(config: str | None, name: str, role: str, password_stdin: bool) -> None:
    """Create user NAME (or reset its password and role)."""
    from triage.cli.common import cli_settings
    from triage.services import App
    from triage.web.accounts import add_user

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = App(cli_settings(config))
    user = add_user(app.store, name, password, role)
    click.echo(f"user {user.name} ({user.role}) saved")


@users.command("list")
@config_option
@handle_errors
def users_list(config: str | None) -> None:
    """List the users and their roles."""
    from triage.cli.common import cli_settings
    from triage.services import App
    from triage.web.accounts import list_users

    for u in list_users(App(cli_settings(config)).store):
        click.echo(f"{u.name}\t{u.role}")


@click.command("web")
@config_option
@click.option("--host", help="Override web.host.")
@click.option("--port", type=int, help="Override web.port.")
@handle_errors
def web(config: str | None, host: str | None, port: int | None) -> None:
    """Serve the review page (and drain the outbox) until stopped."""
    from triage.cli.common import cli_settings, install_signal_handlers, setup_logging
    from triage.daemon import Daemon
    from triage.services import App

    settings = cli_settings(config)
    if host:
        settings.web.host = host
    if port:
        settings.web.port = port
    setup_logging(settings.logging.level, settings.logging.json_lines)
    stop = threading.Event()
    install_signal_handlers(stop)
    app = App(settings, stop=stop)
    server = Daemon(app).start_web()
    click.echo(f"review page: {server.url}/  (Ctrl-C to stop)", err=True)
    Daemon(app).run_outbox_only()
    server.stop()
