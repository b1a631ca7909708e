"""Secrets: named in the configuration by ``*_env`` settings, read from the environment.

The list of secrets is derived from the settings themselves: every field whose name ends in
``_env`` and that is set, in every section that is in use (a disabled source, the SMTP server
of a log-only sender, ... need none; see :meth:`Section.inactive_fields`). A new ``*_env``
setting is therefore checked at start-up and masked without being listed anywhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from triage.config.values import Section, format_duration
from triage.errors import MissingSecretError

if TYPE_CHECKING:
    from triage.config.settings import Settings

SECRET_SUFFIX = "_env"
"""Settings whose name ends in this name an environment variable holding a secret."""


def _walk(node: BaseModel, prefix: str) -> Iterator[tuple[str, str]]:
    off = node.inactive_fields() if isinstance(node, Section) else frozenset()
    for name in type(node).model_fields:
        if name in off:
            continue
        value = getattr(node, name)
        if isinstance(value, BaseModel):
            yield from _walk(value, f"{prefix}{name}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    label = getattr(item, "name", None)
                    tag = f"{prefix}{name}[{i}]" + (f"(name={label!r})" if label else "")
                    yield from _walk(item, f"{tag}.")
        elif name.endswith(SECRET_SUFFIX) and isinstance(value, str) and value:
            yield f"{prefix}{name}", value


def secret_keys(settings: Settings) -> list[tuple[str, str]]:
    """Return ``(key, env var name)`` for every secret the configuration refers to."""
    return list(_walk(settings, ""))


def check_secrets_present(settings: Settings, environ: Mapping[str, str] | None = None,
                          *, file: str = "<config>") -> None:
    """Raise MissingSecretError listing every secret variable that is not set."""
    env = os.environ if environ is None else environ
    missing = [(k, e) for k, e in secret_keys(settings) if not env.get(e)]
    if missing:
        lines = [f"key '{k}' names environment variable {e}, which is not set" for k, e in missing]
        raise MissingSecretError(
            "missing secret(s):\n  " + "\n  ".join(lines), file=file,
            fix="export the variable(s) or put them in a .env file next to where you run triage")


def masked_dump(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the resolved settings as plain data, with every secret masked.

    Durations are written as the config file writes them (``"24h"``, ``"15m"``), so a value
    can be copied back into it; ``resolved`` holds what is worked out from the settings."""
    env = os.environ if environ is None else environ
    data = to_jsonable_python(_durations_written(settings.model_dump()))
    data["resolved"] = {
        "data_dir": str(settings.data_path),
        "database_url": mask_url(settings.database_url(env)),
        "secrets": {e: ("set (****)" if env.get(e) else "NOT SET") for _, e in
                    secret_keys(settings)},
    }
    if data.get("store", {}).get("url"):
        data["store"]["url"] = mask_url(data["store"]["url"])
    return data


def _durations_written(value: Any) -> Any:
    """``value`` (a settings dump) with every timedelta in the config file's form."""
    if isinstance(value, timedelta):
        return format_duration(value) if value >= timedelta(0) else value.total_seconds()
    if isinstance(value, dict):
        return {k: _durations_written(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_durations_written(v) for v in value]
    return value


def mask_url(url: str) -> str:
    """Return ``url`` with the password of its ``user:password@`` part replaced by ``****``."""
    return re.sub(r"(://[^:/@]+:)([^@]+)(@)", r"\1****\3", url)


def env_secret(env_name: str, environ: Mapping[str, str], key: str,
               fix: str = "export it or put it in .env") -> str:
    """The secret held by environment variable ``env_name`` ('' when no variable is named);
    raises MissingSecretError naming ``key`` when the variable is named but not set."""
    if not env_name:
        return ""
    value = environ.get(env_name, "")
    if not value:
        raise MissingSecretError(f"environment variable {env_name} is not set", key=key,
                                 fix=fix)
    return value
