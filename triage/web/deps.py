"""Request-level security of the review page: who is signed in, roles, CSRF, headers."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, Request

from triage.errors import AuthError, NotFound
from triage.web.accounts import User, get_user
from triage.web.parts import parts

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}


class LoginRequired(AuthError):
    """No valid session: HTML pages redirect to the sign-in page, the API answers 401."""


class Forbidden(AuthError):
    """Signed in, but the role does not allow this (403)."""


class CsrfError(AuthError):
    """A state-changing request without the session's CSRF token (403)."""


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating one for a new session."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose token (form field ``csrf_token`` or header
    ``X-CSRF-Token``) does not match the session's."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise CsrfError("the form's security token is missing or out of date; reload the "
                        "page and try again")


def current_user(request: Request) -> User:
    """Return the user of the request's live session (checked in the store on every
    request, so an ended session is refused at once); raises LoginRequired."""
    name = request.app.state.sessions.user(request)
    if not name:
        raise LoginRequired("sign in first")
    try:
        return get_user(parts(request).store, str(name))
    except NotFound:
        request.app.state.sessions.end(request, "disabled")
        raise LoginRequired("your account is gone or disabled; sign in again") from None


def require_admin(user: User = Depends(current_user)) -> User:  # noqa: B008
    """Return the user when an admin; raises Forbidden."""
    if not user.is_admin:
        raise Forbidden("this page is for admins")
    return user


def flash(request: Request, text: str, kind: str = "info") -> None:
    """Queue a message shown once on the next page."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [kind, text]][-5:]


def pop_flash(request: Request) -> list[Any]:
    """Return and forget the queued messages."""
    return list(request.session.pop("flash", []) or [])


AGENT = [Depends(current_user), Depends(check_csrf)]
"""Dependencies of every agent route: a session and, for writes, the CSRF token."""
ADMIN = [Depends(require_admin), Depends(check_csrf)]
"""Dependencies of every admin route."""
