"""``triage demo``: a Maildir demo inbox and a config that points at it."""

from __future__ import annotations

import mailbox
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import compat32
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from triage.resources import config_dir

DEMO_CONFIG = """\
# Demo configuration written by `triage demo`. See config/triage.example.toml for every setting.
data_dir = "data"

[drafting]
support_address = "support@demo.triage.example"

# The team signs in the draft's language (a plain team_name = "..." signs every language alike)
[drafting.team_name]
en = "Demo Support"
vi = "Bộ phận Chăm sóc Khách hàng Demo"
id = "Tim Layanan Pelanggan Demo"
tl = "Demo Support"

[[sources]]
name = "demo-inbox"
type = "maildir"
path = "inbox"
poll_interval = "10s"

[web]
enabled = true
port = 8080
"""


def demo_messages() -> list[bytes]:
    """Return the bundled demo emails, in order."""
    return [p.read_bytes() for p in sorted((config_dir() / "demo").glob("*.eml"))]


def _redate(raw: bytes, when: datetime) -> bytes:
    """Return ``raw`` with its Date header set to ``when`` (bytes otherwise untouched)."""
    msg = BytesParser(policy=compat32).parsebytes(raw)
    if msg["Date"] is not None:
        msg.replace_header("Date", format_datetime(when))
    else:
        msg["Date"] = format_datetime(when)
    return msg.as_bytes()


def setup_demo(workdir: Path, now: datetime | None = None) -> Path:
    """Create ``workdir`` with ``triage.toml`` and a Maildir of demo messages.

    The messages are dated over the 30 hours before ``now`` (default: the wall clock), in
    their original order, so the demo shows deadlines that are ok, due soon and breached.
    Re-running keeps existing data (the store deduplicates); returns the config path.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "triage.toml"
    if not cfg.exists():
        cfg.write_text(DEMO_CONFIG, encoding="utf-8")
    inbox = workdir / "inbox"
    if not inbox.exists():
        box = mailbox.Maildir(str(inbox), create=True)
        raws = demo_messages()
        start = (now or datetime.now(UTC)) - timedelta(hours=30)
        step = timedelta(hours=30) / max(1, len(raws))
        for i, raw in enumerate(raws):
            box.add(_redate(raw, start + i * step))
        box.close()
    return cfg



def print_table(app: Any, echo: Callable[[str], None]) -> None:
    """Print one row per message: category, confidence, language, deadline, draft line."""
    rows = app.store.export_rows()
    head = (f"{'#':>3}  {'category':<15} {'conf':>4} {'lang':<4} {'due (UTC)':<16} "
            f"{'from':<28} draft")
    echo(head)
    echo("-" * len(head) + "-" * 30)
    for r in rows:
        if r["is_auto"]:
            cat, conf, due, draft = "(automatic)", "", "", f"no draft: {r['auto_reason']}"
        elif r["status"] == "quarantined":
            cat, conf, due, draft = "(quarantined)", "", "", r["error"] or ""
        else:
            cat = r["category"] or ""
            if r["needs_review"]:
                cat += "?"
            conf = f"{r['confidence']:.2f}" if r["confidence"] is not None else ""
            due = r["due_at"].strftime("%m-%d %H:%M") if r["due_at"] else ""
            lines = [ln for ln in (r["draft"] or "").splitlines() if ln.strip()]
            draft = lines[1] if len(lines) > 1 and lines[0].rstrip().endswith(",") else \
                (lines[0] if lines else "")
            if r["draft_status"] == "superseded":
                stale = app.store.drafts.superseded_by(r["id"])
                draft = (f"superseded: #{stale[1]} has the draft to send" if stale
                         else "superseded")
        echo(f"{r['id']:>3}  {cat:<15} {conf:>4} {(r['language'] or ''):<4} {due:<16} "
             f"{(r['sender'] or '')[:28]:<28} {draft[:60]}")
    echo("'?' after a category: confidence below the threshold, a human should check it.")


DEMO_AGENT = "demo-agent"


def ensure_demo_agent(app: Any) -> tuple[str, str]:
    """Create (or reset) the demo agent with a new random password; return name, password."""
    import secrets

    from triage.web.accounts import add_user

    password = secrets.token_urlsafe(12)
    add_user(app.store, DEMO_AGENT, password, "agent")
    return DEMO_AGENT, password
