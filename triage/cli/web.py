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
    ended = _web_sessions(app).end_user(user.name, "password")  # a new password ends them
    click.echo(f"user {user.name} ({user.role}) saved"
               + (f"; {ended} session(s) ended" if ended else ""))


def _web_sessions(app: Any) -> Any:
    return app.store.web_sessions


@users.command("disable")
@config_option
@click.argument("name")
@handle_errors
def users_disable(config: str | None, name: str) -> None:
    """Disable user NAME (it can no longer sign in) and end its sessions at once."""
    from triage.cli.common import cli_settings
    from triage.errors import NotFound
    from triage.services import App
    app = App(cli_settings(config))
    if not app.store.accounts.disable(name):
        raise NotFound(f"user {name!r} does not exist or is already disabled; "
                       "see `triage users list`")
    ended = _web_sessions(app).end_user(name, "disabled")
    app.store.audit("cli", "user_disabled", None, {"user": name, "sessions": ended})
    click.echo(f"user {name} disabled; {ended} session(s) ended")


@users.command("totp")
@config_option
@click.argument("name")
@click.option("--off", is_flag=True, help="Remove the second factor.")
@handle_errors
def users_totp(config: str | None, name: str, off: bool) -> None:
    """Give user NAME a TOTP second factor (meant for admins), or remove it with --off.

    Prints the secret and its otpauth:// URI once: add it to an authenticator app. The
    user's sessions end, so the next sign-in asks for a code.
    """
    from triage.cli.common import cli_settings
    from triage.errors import NotFound
    from triage.services import App
    from triage.web import totp

    app = App(cli_settings(config))
    secret = None if off else totp.new_secret()
    if not app.store.accounts.set_totp_secret(name, secret):
        raise NotFound(f"user {name!r} does not exist; see `triage users list`")
    ended = _web_sessions(app).end_user(name, "second_factor")
    app.store.audit("cli", "user_totp_off" if off else "user_totp_on", None,
                    {"user": name, "sessions": ended})
    if secret is None:
        click.echo(f"user {name}: second factor removed")
        return
    click.echo(f"user {name}: second factor on; add this to an authenticator app:")
    click.echo(f"  secret: {secret}")
    click.echo(f"  uri:    {totp.provisioning_uri(secret, name)}")


@users.command("sign-out")
@config_option
@click.argument("name", required=False)
@click.option("--all", "everyone", is_flag=True, help="End the sessions of every user.")
@handle_errors
def users_sign_out(config: str | None, name: str | None, everyone: bool) -> None:
    """End every session of user NAME (or of everyone with --all) at once."""
    from triage.cli.common import cli_settings
    from triage.errors import ConfigError
    from triage.services import App

    if bool(name) == everyone:
        raise ConfigError("give a user NAME or --all, not both", key="NAME",
                          fix="triage users sign-out ann, or triage users sign-out --all")
    app = App(cli_settings(config))
    sessions = _web_sessions(app)
    ended = sessions.end_all("signed_out") if everyone else sessions.end_user(
        str(name), "signed_out")
    app.store.audit("cli", "sign_out_everyone" if everyone else "sign_out_everywhere", None,
                    {"sessions": ended, **({} if everyone else {"user": name})})
    click.echo(f"{ended} session(s) ended")


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
