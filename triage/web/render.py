"""Template rendering shared by the page routes (autoescaped Jinja2)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from triage.models import CATEGORIES
from triage.web.deps import csrf_token, pop_flash
from triage.web.parts import parts
from triage.web.policies_form import fmt as fmt_duration

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _short(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _filesize(value: int | None) -> str:
    n = int(value or 0)
    if n < 1024:
        return f"{n} bytes"
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


TEMPLATES.env.filters["filesize"] = _filesize
TEMPLATES.env.filters["iso"] = _iso
TEMPLATES.env.filters["short"] = _short
TEMPLATES.env.filters["duration"] = fmt_duration
TEMPLATES.env.globals["CATEGORIES"] = CATEGORIES


def page(request: Request, name: str, context: dict[str, Any] | None = None,
         status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the session's user, CSRF token and flash messages."""
    ctx = {"user": getattr(request.state, "user", None), "csrf": csrf_token(request),
           "flashes": pop_flash(request),
           "server_now": parts(request).clock.now().isoformat(),
           "refresh_ms": int(parts(request).settings.web.queue_refresh.total_seconds() * 1000)}
    ctx.update(context or {})
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
