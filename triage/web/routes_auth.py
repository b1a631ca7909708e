"""Sign in and out (form and JSON), rate-limited per user name and client address."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel

from triage.errors import AuthError, RateLimitedLogin
from triage.web.accounts import User, authenticate
from triage.web.deps import check_csrf, current_user
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter()


def _login(request: Request, username: str, password: str) -> User:
    limiter = request.app.state.limiter
    client = request.client.host if request.client else "?"
    keys = [f"user:{username.strip().lower()}", f"ip:{client}"]
    limiter.check(keys)
    try:
        user = authenticate(parts(request).store, username.strip(), password)
    except AuthError:
        limiter.failed(keys)
        parts(request).store.audit(username[:200] or "?", "login_failed", None,
                                             {"client": client})
        raise
    limiter.succeeded(keys[:1])
    request.session.clear()  # a fresh session: no fixation
    request.session["user"] = user.name
    request.session["csrf"] = secrets.token_urlsafe(32)
    parts(request).store.audit(user.name, "login", None, {"client": client})
    return user


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The sign-in page."""
    return page(request, "login.html")


@router.post("/login", response_class=HTMLResponse, response_model=None,
             dependencies=[Depends(check_csrf)])
def login_submit(request: Request, username: str = Form(""),
                 password: str = Form("")) -> HTMLResponse | RedirectResponse:
    """Check the password; go to the queue, or show the form again with the reason."""
    try:
        _login(request, username, password)
    except RateLimitedLogin as exc:
        return page(request, "login.html", {"error": str(exc), "username": username}, 429)
    except AuthError as exc:
        return page(request, "login.html", {"error": str(exc), "username": username}, 401)
    return RedirectResponse("/queue", status_code=303)


class LoginBody(BaseModel):
    """JSON sign-in."""

    username: str
    password: str


@router.post("/api/login", tags=["auth"])
def api_login(request: Request, body: LoginBody) -> JSONResponse:
    """Sign in for API use; returns the CSRF token to send as X-CSRF-Token on writes."""
    try:
        user = _login(request, body.username, body.password)
    except RateLimitedLogin as exc:
        return JSONResponse({"detail": str(exc)}, status_code=429)
    except AuthError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=401)
    return JSONResponse({"user": user.name, "role": user.role,
                         "csrf_token": request.session["csrf"]})


@router.post("/logout", dependencies=[Depends(current_user), Depends(check_csrf)])
def logout(request: Request) -> RedirectResponse:
    """Sign out."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
