"""Outbox commands: ``triage outbox list | requeue | cancel``.

For the replies a crash left in doubt (see ``triage.send.recovery``) and the ones that failed:
list them, send one again, or cancel it. Every change is written to the audit log with the
operating-system user as the actor.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Any

import click

from triage.cli.web import config_option, handle_errors
from triage.models import OUTBOX_STATUSES as STATUSES


def _app(config: str | None) -> Any:
    from triage.cli.common import cli_settings
    from triage.services import App

    return App(cli_settings(config))


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (containers)
        return "cli"


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    from triage.store import aware

    out = {}
    for key in ("id", "status", "channel", "message_id", "draft_id", "attempts", "actor",
                "idempotency_key", "remote_id", "last_error", "claimed_by"):
        out[key] = row.get(key)
    out["to"] = (row.get("payload") or {}).get("to")
    out["subject"] = (row.get("payload") or {}).get("subject")
    for key in ("created_at", "claimed_at", "sent_at", "next_attempt_at"):
        value = row.get(key)
        out[key] = aware(value).isoformat(timespec="seconds") \
            if isinstance(value, datetime) else None
    return out


@click.group()
def outbox() -> None:
    """Approved replies waiting to go out: list them, requeue or cancel one."""


@outbox.command("list")
@config_option
@click.option("--status", type=click.Choice(STATUSES), help="Only rows with this status.")
@click.option("--limit", type=int, default=200, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead.")
@handle_errors
def list_cmd(config: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """List outbox rows, newest first (in doubt: a crash hit while sending; check them)."""
    from triage.send.outbox import Outbox

    # no senders needed to read the table (and no SMTP secret)
    rows = [_jsonable(r) for r in Outbox(_app(config).store, {}).rows(status, limit=limit)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no outbox rows" + (f" with status {status}" if status else ""))
    for r in rows:
        click.echo(f"{r['id']}\t{r['status']}\t{r['channel']}\tmessage {r['message_id']}\t"
                   f"to {r['to']}\tattempts {r['attempts']}\t{r['created_at']}")
        if r["status"] == "in_doubt" or r["last_error"]:
            click.echo(f"\t{(r['last_error'] or '')[:300]}")


@outbox.command("requeue")
@config_option
@click.argument("row_id", type=int)
@click.option("--yes", is_flag=True,
              help="Requeue an in-doubt reply although the customer may then get it twice.")
@handle_errors
def requeue_cmd(config: str | None, row_id: int, yes: bool) -> None:
    """Send outbox row ROW_ID again (it is in doubt or failed); the daemon sends it next."""
    from triage.send.recovery import requeue

    row = requeue(_app(config).store, row_id, _actor(), in_doubt_ok=yes)
    click.echo(f"outbox row {row_id} ({row['status']}) queued again; the daemon sends it "
               "at its next outbox drain")


@outbox.command("cancel")
@config_option
@click.argument("row_id", type=int)
@handle_errors
def cancel_cmd(config: str | None, row_id: int) -> None:
    """Never send outbox row ROW_ID (pending, in doubt or failed)."""
    from triage.send.recovery import cancel

    row = cancel(_app(config).store, row_id, _actor())
    click.echo(f"outbox row {row_id} ({row['status']}) cancelled; it will not be sent")
