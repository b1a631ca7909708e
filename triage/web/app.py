"""The app factory of the review page."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from triage.clock import Clock
from triage.config import Settings, is_loopback
from triage.errors import AuthError, ConfigError, NotFound, PlaceholderUnfilled, TriageError
from triage.store.audit_log import acting_client
from triage.web.clientaddr import Proxies, SecureCookies
from triage.web.deps import (
    SECURITY_HEADERS,
    CsrfError,
    Forbidden,
    LoginRequired,
    current_user,
)
from triage.web.parts import WebParts
from triage.web.render import page
from triage.web.sessions import LoginLimit, SessionPolicy, Sessions

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
ERROR_TITLES = {401: "Not signed in", 403: "Not allowed", 404: "Not found",
                409: "Not done", 422: "Not done"}
"""The heading of the error page per status (the reason itself is the exception's text)."""


def session_secret(settings: Settings, environ: Mapping[str, str]) -> str:
    """Return the session signing key: from ``web.secret_key_env``, else a key generated once
    into ``data_dir/web-session.key`` (mode 0600). Raises ConfigError when the variable is
    named but empty."""
    env_name = settings.web.secret_key_env
    if env_name:
        value = environ.get(env_name, "")
        if len(value) < 32:
            raise ConfigError(f"environment variable {env_name} must hold at least 32 "
                              "characters", key="web.secret_key_env",
                              fix="export a long random value, e.g. from "
                                  "`python -c 'import secrets; print(secrets.token_hex(32))'`")
        return value
    path = settings.data_path / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


def secure_cookie(settings: Settings) -> bool:
    """Whether the session cookie gets the Secure flag (see ``web.secure_cookies``)."""
    mode = settings.web.secure_cookies
    return mode == "always" or (mode == "auto" and not is_loopback(settings.web.host))


def create_app(parts: WebParts, *, secret_key: str,
               limiter_clock: Clock | None = None) -> FastAPI:
    """Return the review page serving with the collaborators ``parts``.

    ``secret_key`` signs the session cookies (see :func:`session_secret`); the login limiter
    uses ``limiter_clock`` (default ``parts.clock``).
    """
    from triage.web import (
        api,
        routes_admin,
        routes_auth,
        routes_conversation,
        routes_learn,
        routes_message,
        routes_quarantine,
        routes_queue,
        routes_security,
        routes_templates,
        webhooks,
    )

    settings = parts.settings
    web = FastAPI(title="triage review API", version="1", docs_url=None, redoc_url=None,
                  openapi_url=None)
    web.state.parts = parts
    web.state.proxies = Proxies.of(settings.web.trusted_proxies)
    web.state.limiter = LoginLimit(parts.store.login_failures, limiter_clock or parts.clock,
                                   settings.web.login_max_attempts, settings.web.login_window)
    web.state.sessions = Sessions(parts.store.web_sessions, SessionPolicy.of(settings.web))
    web.state.used_codes = {}  # user -> (TOTP code, time step) that last opened a session

    @web.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        # audit lines written while serving this request record the client's address
        token = acting_client.set(web.state.proxies.client(request))
        try:
            response: Response = await call_next(request)
        finally:
            acting_client.reset(token)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    web.add_middleware(
        SessionMiddleware, secret_key=secret_key,
        session_cookie="triage_session", max_age=int(settings.web.session_max_age
                                                     .total_seconds()),
        same_site="strict", https_only=secure_cookie(settings))
    # added last, so it runs outside the session middleware and sees its Set-Cookie
    web.add_middleware(SecureCookies, proxies=web.state.proxies, cookie="triage_session",
                       never=settings.web.secure_cookies == "never")

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def error_page(request: Request, text: str, code: int) -> Response:
        """A refusal as a person in a browser should see it: the page's frame, the reason
        and a way back (scripts, platforms and htmx swaps keep the plain text)."""
        if request.headers.get("hx-request") or request.url.path.startswith(
                ("/webhooks/", "/healthz", "/metrics", "/static/")):
            return PlainTextResponse(text, status_code=code)
        try:
            request.state.user = current_user(request)
        except (LoginRequired, TriageError):
            request.state.user = None
        ref = request.headers.get("referer", "")
        host = f"{request.url.scheme}://{request.url.netloc}/"
        back = "/" + ref[len(host):] if ref.startswith(host) and request.method != "GET" else ""
        return page(request, "error.html", {"title": ERROR_TITLES.get(code, "Not done"),
                                            "text": text, "back": back}, status_code=code)

    @web.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=401)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @web.exception_handler(AuthError)
    async def _forbidden(request: Request, exc: AuthError) -> Response:
        code = 403 if isinstance(exc, Forbidden | CsrfError) else 401
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=code)
        return error_page(request, str(exc), code)

    @web.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return error_page(request, str(exc), 404)

    @web.exception_handler(TriageError)
    async def _triage_error(request: Request, exc: TriageError) -> Response:
        code = 422 if isinstance(exc, PlaceholderUnfilled) else 409
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=code)
        return error_page(request, str(exc), code)

    @web.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not wants_json(request):
            return error_page(request, f"there is no page at {request.url.path}", 404)
        return await http_exception_handler(request, exc)

    web.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    web.include_router(routes_auth.router)
    web.include_router(routes_queue.router)
    web.include_router(routes_learn.router)
    web.include_router(routes_message.router)
    web.include_router(routes_conversation.router)
    web.include_router(routes_quarantine.router)
    web.include_router(routes_templates.router)
    web.include_router(routes_admin.router)
    web.include_router(routes_security.router)
    web.include_router(api.router)
    web.include_router(api.admin)
    web.include_router(webhooks.router)  # signed by the platforms, not behind a sign-in
    web.include_router(routes_security.api)
    web.include_router(parts.ops_router)  # /healthz and /metrics
    return web
