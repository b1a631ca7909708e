"""Sign in and out (form and JSON), rate-limited per user name and client address, with the
optional TOTP second factor as a second step."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel

from triage.errors import AuthError, NotFound, RateLimitedLogin
from triage.web import totp
from triage.web.accounts import User, authenticate, get_user
from triage.web.deps import check_csrf, current_user
from triage.web.parts import parts
from triage.web.render import page

router = APIRouter()


PENDING_FOR = timedelta(minutes=5)
"""How long a correct password waits for its second factor."""


class SecondFactorNeeded(AuthError):
    """The password was right; the account also needs a TOTP code."""


def _login(request: Request, username: str, password: str, code: str | None = None) -> User:
    """Check the password (and the TOTP code of an account that has one) and open a session.

    Raises RateLimitedLogin, AuthError, or SecondFactorNeeded when ``code`` is None and the
    account needs one (the form then asks for it; the password is not asked again).
    """
    p = parts(request)
    limiter = request.app.state.limiter
    client = request.app.state.proxies.client(request)
    keys = [f"user:{username.strip().lower()}", f"ip:{client}"]
    limiter.check(keys)
    try:
        user = authenticate(p.store, username.strip(), password)
    except AuthError:
        limiter.failed(keys)
        p.store.audit(username[:200] or "?", "login_failed", None, {"client": client})
        raise
    secret = p.store.accounts.totp_secret(user.name)
    if secret and code is None:
        request.app.state.sessions.end(request, "replaced")  # clears the cookie's content
        request.session["pending"] = {"user": user.name, "at": p.clock.now().isoformat()}
        raise SecondFactorNeeded("enter the code from your authenticator app")
    if secret:
        _check_code(request, user.name, secret, str(code), keys)
    _open(request, user, client, keys)
    return user


def _check_code(request: Request, user: str, secret: str, code: str, keys: list[str]) -> None:
    p = parts(request)
    now = p.clock.now()
    step = int(now.timestamp()) // 30
    if not totp.verify(secret, code, now) or request.app.state.used_codes.get(user) == (
            code.strip(), step):
        request.app.state.limiter.failed(keys)
        p.store.audit(user, "login_failed", None, {"reason": "second factor"})
        raise AuthError("wrong or expired code")
    request.app.state.used_codes[user] = (code.strip(), step)


def _open(request: Request, user: User, client: str, keys: list[str]) -> None:
    request.app.state.limiter.succeeded(keys[:1])
    # a fresh session with a new token: no fixation, and the old cookie opens nothing
    request.app.state.sessions.begin(request, user.name, client)
    parts(request).store.audit(user.name, "login", None, {"client": client})


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
    except SecondFactorNeeded:
        return RedirectResponse("/login/code", status_code=303)
    except RateLimitedLogin as exc:
        return page(request, "login.html", {"error": str(exc), "username": username}, 429)
    except AuthError as exc:
        return page(request, "login.html", {"error": str(exc), "username": username}, 401)
    return RedirectResponse("/queue", status_code=303)


def _pending(request: Request) -> User | None:
    """The account whose password was right moments ago and now needs its code."""
    pending = request.session.get("pending") or {}
    try:
        at = datetime.fromisoformat(str(pending.get("at")))
    except ValueError:
        return None
    if not pending.get("user") or parts(request).clock.now() - at > PENDING_FOR:
        return None
    try:
        return get_user(parts(request).store, str(pending["user"]))
    except NotFound:
        return None


@router.get("/login/code", response_class=HTMLResponse, response_model=None)
def code_form(request: Request) -> HTMLResponse | RedirectResponse:
    """The second step of a sign-in with a second factor."""
    if _pending(request) is None:
        return RedirectResponse("/login", status_code=303)
    return page(request, "login_code.html")


@router.post("/login/code", response_class=HTMLResponse, response_model=None,
             dependencies=[Depends(check_csrf)])
def code_submit(request: Request, code: str = Form("")) -> HTMLResponse | RedirectResponse:
    """Check the code; open the session, or ask again."""
    user = _pending(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    client = request.app.state.proxies.client(request)
    keys = [f"user:{user.name.lower()}", f"ip:{client}"]
    secret = parts(request).store.accounts.totp_secret(user.name)
    try:
        request.app.state.limiter.check(keys)
        if secret:
            _check_code(request, user.name, secret, code, keys)
    except RateLimitedLogin as exc:
        request.session.pop("pending", None)
        return page(request, "login.html", {"error": str(exc)}, 429)
    except AuthError as exc:
        return page(request, "login_code.html", {"error": str(exc)}, 401)
    _open(request, user, client, keys)
    return RedirectResponse("/queue", status_code=303)


class LoginBody(BaseModel):
    """JSON sign-in (``totp``: the current code, for an account with a second factor)."""

    username: str
    password: str
    totp: str | None = None


@router.post("/api/login", tags=["auth"])
def api_login(request: Request, body: LoginBody) -> JSONResponse:
    """Sign in for API use; returns the CSRF token to send as X-CSRF-Token on writes."""
    try:
        user = _login(request, body.username, body.password, body.totp)
    except SecondFactorNeeded:
        request.session.clear()
        return JSONResponse({"detail": "this account needs a TOTP code: send it as 'totp'"},
                            status_code=401)
    except RateLimitedLogin as exc:
        return JSONResponse({"detail": str(exc)}, status_code=429)
    except AuthError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=401)
    return JSONResponse({"user": user.name, "role": user.role,
                         "csrf_token": request.session["csrf"]})


@router.post("/logout", dependencies=[Depends(current_user), Depends(check_csrf)])
def logout(request: Request, user: User = Depends(current_user)) -> RedirectResponse:  # noqa: B008
    """Sign out: the session ends on the server, so no copy of the cookie opens it again."""
    request.app.state.sessions.end(request, "logout")
    parts(request).store.audit(user.name, "logout")
    return RedirectResponse("/login", status_code=303)
