"""Commands of the deadline feature: ``triage report`` and ``triage deadlines sweep``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from triage.cli.common import cli_settings, config_option, handle_errors
from triage.config import parse_duration


def parse_when(value: str, now: datetime, option: str) -> datetime:
    """Parse ``2026-11-01``, ``2026-11-01T08:00`` (UTC unless an offset is given) or a
    duration back from now (``7d``, ``12h``); raises click.BadParameter with the forms."""
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?\s*(ms|s|m|min|h|d|w)", text):
        return now - parse_duration(text)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; write 2026-11-01, 2026-11-01T08:00, "
            "2026-11-01T08:00+07:00 or a span back from now like 7d", param_hint=option
        ) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@click.command()
@config_option
@click.option("--since", help="Start of the window (date, datetime or '7d' ago; default 7d).")
@click.option("--until", help="End of the window, exclusive (default: now).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--charts", "charts", type=click.Path(file_okay=False),
              help="Also write PNG charts (volume, first response, backlog) into this directory.")
@handle_errors
def report(config: str | None, since: str | None, until: str | None, fmt: str,
           charts: str | None) -> None:
    """Report response times, deadlines kept and breached, volume and backlog, and per
    template and language how much agents edit its drafts and how often they discard them."""
    from triage.deadlines.report import first_response_times, render, write_charts
    from triage.services import App

    app = App(cli_settings(config))
    now = app.clock.now()
    start = parse_when(since, now, "--since") if since else now - timedelta(days=7)
    end = parse_when(until, now, "--until") if until else now
    if end <= start:
        raise click.BadParameter("--until must be after --since", param_hint="--until")
    rows, rep = report_data(app, start, end)
    click.echo(render(rep, fmt), nl=False)
    if charts:
        paths = write_charts(rep, first_response_times(rows, start, end), Path(charts))
        click.echo("charts: " + ", ".join(str(p) for p in paths), err=True)


def report_data(app: Any, start: datetime, end: datetime
                ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return the report rows of ``[start, end)`` and the report built from them, with the
    conversations as of now (``now``: the counts the queue and dashboard show)."""
    from triage.deadlines.report import build_report
    from triage.deadlines.states import counts
    from triage.drafting.usage import usage_dict

    now = app.clock.now()
    rows = app.sweeper.dstore.report_rows(start, end)
    rep = build_report(rows, start, end, now)
    rep["now"] = counts(app.store, app.deadlines, now).as_dict()
    rep["templates"] = [usage_dict(r) for r in app.review.template_usage(start, end)]
    return rows, rep


@click.group()
def deadlines() -> None:
    """Deadline maintenance commands."""


def sweep_line(changed: dict[str, int]) -> str:
    """One line saying what a sweep changed (``changed``: deadlines by their new state)."""
    if not changed:
        return "deadline sweep: no deadline changed state"
    parts = [f"{n} {state.replace('_', ' ')}" for state, n in changed.items()]
    return f"deadline sweep: {sum(changed.values())} changed state ({', '.join(parts)})"


@deadlines.command("sweep")
@config_option
@click.option("--json", "as_json", is_flag=True,
              help='Print the changes as one JSON object (new state -> count; {} for none).')
@handle_errors
def sweep(config: str | None, as_json: bool) -> None:
    """Sweep deadlines once (replies seen, states, warnings, notices) and say what changed."""
    from triage.daemon import Daemon
    from triage.services import App

    app = App(cli_settings(config))
    changed = Daemon(app).sweep_deadlines()
    click.echo(json.dumps(changed) if as_json else sweep_line(changed))


@deadlines.command("resolve")
@config_option
@click.argument("message_id", type=int)
@click.option("--by", default="", help="Who resolved it (shown in the report).")
@handle_errors
def resolve(config: str | None, message_id: int, by: str) -> None:
    """Mark the thread of MESSAGE_ID resolved (meets its resolution deadline)."""
    from triage.services import App

    done = App(cli_settings(config)).review.resolve(message_id, by)  # as `triage review resolve`
    click.echo(f"thread of message {message_id}: "
               + ("resolved" if done.deadlines else "no open resolution deadline"))
