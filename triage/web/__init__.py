"""The review page: FastAPI + server-rendered Jinja2 + htmx (vendored), and its JSON API."""

from triage.web.app import create_app

__all__ = ["create_app"]
