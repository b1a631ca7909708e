"""Admin pages of the review page's security: accounts with their sessions ("sign out
everywhere", disable) and the audit log (filtered, paged, exported as CSV or JSON lines)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from triage.errors import NotFound
from triage.store.audit_log import AuditFilter
from triage.web.accounts import User, list_users
from triage.web.deps import ADMIN, flash, require_admin
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter(prefix="/admin", dependencies=ADMIN)
api = APIRouter(prefix="/api/admin", dependencies=ADMIN, tags=["admin"])
PAGE = 100


def _sessions(request: Request) -> Any:
    return request.app.state.sessions


def _accounts(request: Request) -> Any:
    return parts(request).store.accounts


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """Every enabled account with its role, live sessions and second factor."""
    request.state.user = user
    sessions = _sessions(request)
    live = sessions.store.live_counts(sessions.policy.idle, sessions.policy.absolute)
    accounts = _accounts(request)
    rows = [{"name": u.name, "role": u.role, "sessions": live.get(u.name, 0),
             "totp": bool(accounts.totp_secret(u.name))} for u in list_users(parts(request).store)]
    return page(request, "admin_users.html", {"users": rows})


@router.post("/users/{name}/sign-out")
def sign_out_user(request: Request, name: str,
                  user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """End every session of ``name`` at once (on every device)."""
    n = _sessions(request).store.end_user(name, "signed_out")
    parts(request).store.audit(user.name, "sign_out_everywhere", None,
                               {"user": name, "sessions": n})
    flash(request, f"{name}: {n} session(s) ended")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/sign-out-all")
def sign_out_everyone(request: Request,
                      user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """End every session of every user, this one included."""
    n = _sessions(request).store.end_all("signed_out")
    parts(request).store.audit(user.name, "sign_out_everyone", None, {"sessions": n})
    return RedirectResponse("/login", status_code=303)


@router.post("/users/{name}/disable")
def disable_user(request: Request, name: str,
                 user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """Disable ``name`` and end its sessions."""
    if name == user.name:
        flash(request, "you cannot disable your own account here; ask another admin", "error")
        return RedirectResponse("/admin/users", status_code=303)
    if not _accounts(request).disable(name):
        raise NotFound(f"user {name!r} does not exist or is already disabled")
    n = _sessions(request).store.end_user(name, "disabled")
    parts(request).store.audit(user.name, "user_disabled", None, {"user": name, "sessions": n})
    flash(request, f"{name} disabled; {n} session(s) ended")
    return RedirectResponse("/admin/users", status_code=303)


def _filter(actor: str, action: str, since: str, until: str) -> AuditFilter:
    def when(text: str) -> datetime | None:
        if not text.strip():
            return None
        try:
            value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise HTTPException(422, f"{text!r} is not a date; write it like 2026-11-20 or "
                                     "2026-11-20T08:00 (UTC)") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    return AuditFilter(actor=actor.strip(), action=action.strip(), since=when(since),
                       until=when(until))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, actor: str = "", action: str = "", since: str = "",
               until: str = "", offset: int = 0,
               user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """Who did what, when and from where: newest first, filtered, one page at a time."""
    request.state.user = user
    reads = parts(request).store.audit_log
    f = _filter(actor, action, since, until)
    lines = reads.page(f, PAGE + 1, max(0, offset))
    query = {"actor": actor, "action": action, "since": since, "until": until}
    return page(request, "admin_audit.html", {
        "lines": lines[:PAGE], "more": len(lines) > PAGE, "offset": max(0, offset),
        "page": PAGE, "actions": reads.actions(), "q": query})


CSV_FIELDS = ("at", "actor", "action", "client", "message_id", "detail")


def _csv(lines: Iterator[dict[str, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_FIELDS)
    for line in lines:
        row = [line["at"].isoformat(), line["actor"], line["action"], line["client"] or "",
               line["message_id"] or "", json.dumps(line["detail"], ensure_ascii=False,
                                                    sort_keys=True)]
        # a cell starting with = + - @ is a formula to a spreadsheet: quote it as text
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in "=+-@\t\r" else c
                         for c in row])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def _jsonl(lines: Iterator[dict[str, Any]]) -> Iterator[str]:
    from triage.ops.export import json_line

    for line in lines:
        yield json_line({**line, "at": line["at"].isoformat()}) + "\n"


@router.get("/audit/export")
def audit_export(request: Request, format: str = "csv", actor: str = "", action: str = "",
                 since: str = "", until: str = "") -> Response:
    """The filtered audit log as a CSV or JSON-lines download."""
    lines = parts(request).store.audit_log.all(_filter(actor, action, since, until))
    if format == "jsonl":
        return StreamingResponse(_jsonl(lines), media_type="application/x-ndjson", headers={
            "Content-Disposition": 'attachment; filename="triage-audit.jsonl"'})
    return StreamingResponse(_csv(lines), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="triage-audit.csv"'})


@api.get("/audit")
def api_audit(request: Request, actor: str = "", action: str = "", since: str = "",
              until: str = "", offset: int = 0, limit: int = PAGE) -> list[dict[str, Any]]:
    """One page of the audit log as JSON, newest first."""
    lines = parts(request).store.audit_log.page(
        _filter(actor, action, since, until), max(1, min(limit, 1000)), max(0, offset))
    return [{**line, "at": line["at"].isoformat()} for line in lines]
