"""Operations commands: ``triage status`` and ``triage queue-summary``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click


def status_report(app: Any) -> dict[str, Any]:
    """Return what ``triage status`` shows: sources, queue sizes, deadlines, outbox counts
    (``in_doubt`` always present), active model."""
    store = app.store
    sources = []
    for row in store.source_rows():
        cursor = row.get("cursor") or {}
        if isinstance(cursor.get("seen"), list):  # a Maildir's cursor is a long list of keys
            cursor = {**cursor, "seen": f"{len(cursor['seen'])} keys"}
        sources.append({
            "name": row["name"], "type": row["type"],
            "last_success_at": _iso(row["last_success_at"]),
            "last_error": row["last_error"], "last_error_at": _iso(row["last_error_at"]),
            "failures": int(row["failures"] or 0), "cursor": cursor,
            "paused_until": _iso(row["paused_until"]),
            "lease_owner": row["lease_owner"], "lease_until": _iso(row["lease_until"]),
        })
    from triage.deadlines.states import counts as conversation_counts

    deadlines = conversation_counts(store, app.deadlines, app.clock.now()).as_dict()
    active = store.registry.active()
    jobs = [{"name": r["name"], "owner": r["owner"], "until": _iso(r["until"]),
             "last_run_at": _iso(r["last_run_at"])} for r in store.status.job_leases()]
    if app.settings.classifier.model_path:
        model = {"source": "classifier.model_path",
                 "path": str(app.settings.resolve_path(app.settings.classifier.model_path))}
    elif active is not None:
        model = {"source": "registered", "version": active["version"], "path": active["path"]}
    else:
        model = {"source": "bundled corpus", "path": str(app.settings.data_path / "models")}
    from triage.send.recovery import counts

    outbox = counts(store)
    return {"sources": sources, "queue": store.counts(), "deadlines": deadlines,
            "jobs": jobs, "model": model,
            "outbox": {k: v for k, v in outbox.items() if v or k == "in_doubt"}}


def _iso(value: datetime | None) -> str | None:
    # imported here: the CLI module is imported by every process spawned from the ``triage``
    # script (worker, parse), and the store (SQLAlchemy) is ~17 MB a parse process never uses
    from triage.store import aware

    return aware(value).isoformat(timespec="seconds") if value is not None else None


def _print(report: dict[str, Any]) -> None:
    echo = click.echo
    echo("sources:")
    if not report["sources"]:
        echo("  (none polled yet)")
    for src in report["sources"]:
        echo(f"  {src['name']} ({src['type']})")
        echo(f"    last success: {src['last_success_at'] or 'never'}")
        if src["last_error"]:
            echo(f"    last error:   {src['last_error_at']} ({src['failures']} in a row): "
                 f"{src['last_error'][:200]}")
        echo(f"    cursor:       {json.dumps(src['cursor'], default=str)[:200]}")
        echo(f"    paused until: {src['paused_until'] or '-'}")
        owner = src["lease_owner"]
        echo(f"    lease:        {owner + ' until ' + str(src['lease_until']) if owner else '-'}")
    queue = report["queue"]
    echo("queue: " + (", ".join(f"{k} {v}" for k, v in sorted(queue.items())) or "empty"))
    dl = report["deadlines"]
    echo("conversations: " + ", ".join(f"{k} {dl[k]}" for k in
                                       ("open", "waiting", "ok", "due_soon", "breached"))
         + f"; replies met {dl['met']}")
    ob = report["outbox"]
    echo("outbox: " + ", ".join(f"{k} {v}" for k, v in sorted(ob.items())))
    if ob.get("in_doubt"):
        echo(f"  {ob['in_doubt']} repl{'y' if ob['in_doubt'] == 1 else 'ies'} in doubt (a crash "
             "hit while sending): `triage outbox list --status in_doubt`")
    for job in report["jobs"]:
        echo(f"job {job['name']}: held by {job['owner'] or '-'}, last run "
             f"{job['last_run_at'] or 'never'}")
    model = report["model"]
    echo(f"model: {model.get('version', '')} {model['source']} ({model['path']})".replace(
        "model:  ", "model: "))


@click.command()
@click.option("--config", "config", type=click.Path(dir_okay=False),
              help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def status(config: str | None, as_json: bool) -> None:
    """Show each source (last success, last error, cursor, pause, lease), queue sizes,
    deadline states, the outbox (replies in doubt) and the active model."""
    from triage.cli.common import cli_settings, handle_errors
    from triage.services import App

    @handle_errors
    def run() -> None:
        report = status_report(App(cli_settings(config)))
        if as_json:
            click.echo(json.dumps(report, indent=2, default=str))
        else:
            _print(report)

    run()


@click.command("queue-summary")
@click.option("--config", "config", type=click.Path(dir_okay=False),
              help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")
@click.option("--rebuild", is_flag=True,
              help="Recompute every summary row from the messages and deadlines.")
def queue_summary(config: str | None, rebuild: bool) -> None:
    """Check the queue's conversation summary against the messages and deadlines (exit 1 when
    they differ), or rebuild it with --rebuild: after loading rows into the database behind
    triage's back, or when the queue's counts look wrong."""
    from triage.cli.common import cli_settings, handle_errors
    from triage.services import App

    @handle_errors
    def run() -> None:
        summary = App(cli_settings(config)).store.summary
        if rebuild:
            click.echo(f"queue summary rebuilt: {summary.rebuild()} open conversations")
            return
        keys = sorted({int(row["conv"]) for _side, row in summary.drift()})
        if not keys:
            click.echo("queue summary agrees with the messages and deadlines")
            return
        convs = [f"thread {k}" if k > 0 else f"message {-k}" for k in keys]
        click.echo(f"queue summary differs for {len(convs)} conversation"
                   f"{'' if len(convs) == 1 else 's'} ({', '.join(convs[:10])}"
                   f"{', ...' if len(convs) > 10 else ''}): run `triage queue-summary "
                   "--rebuild`", err=True)
        raise SystemExit(1)

    run()
