"""Settings: declared once here, with defaults and help; loaded from one TOML file.

Unknown keys, wrong types and missing secrets stop start-up with one message that names the
file, the key and a fix. Secrets are never written in TOML: a setting ending in ``_env`` names
the environment variable that holds the secret.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from triage.errors import ConfigError, MissingSecretError
from triage.models import CATEGORIES

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """Turn ``"90s"``, ``"5m"``, ``"24h"``, ``"2d"`` or a number of seconds into a timedelta.

    Raises ValueError with the accepted forms when the value is not one of them.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '5m', '24h' or '2d'")
    if isinstance(value, int | float):
        return timedelta(seconds=float(value))
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    raise ValueError(f"{value!r} is not a duration; write it like '30s', '5m', '24h' or '2d'")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class StoreSettings(_Section):
    """Where messages, drafts and models are kept."""

    url: str = Field(
        "",
        description="SQLAlchemy URL. Empty: SQLite file triage.db in data_dir. "
        "PostgreSQL: 'postgresql+psycopg://user@host/db' (password via url_env).",
    )
    url_env: str = Field(
        "",
        description="Name of an environment variable holding the database URL (overrides url).",
    )


class ClassifierSettings(_Section):
    """The message classifier."""

    model_path: str = Field(
        "",
        description="Model file to use. Empty: the active model in the store, else the model "
        "trained from the bundled corpus (trained on first use and cached in data_dir/models).",
    )
    review_threshold: float = Field(
        0.55, ge=0.0, le=1.0,
        description="Messages whose confidence is below this go to a human (needs_review).",
    )
    category_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Per-category override of review_threshold, e.g. {suggestion = 0.6}.",
    )


class DraftingSettings(_Section):
    """Reply drafts."""

    default_language: str = Field(
        "en", description="Language used when no template exists in the message's language."
    )
    template_dir: str = Field(
        "", description="Directory with templates that override or extend the packaged ones."
    )
    team_name: str = Field("Customer Support", description="Team name used in signatures.")
    agent_name: str = Field("", description="Agent name used in signatures (empty: team only).")
    support_address: str = Field(
        "support@example.com", description="From address of replies; messages from it are ours."
    )


class DeadlineSettings(_Section):
    """Response deadlines (first response) per channel and category."""

    email: Duration = Field(
        timedelta(hours=24), description="First-response target for email (domain norm: 24 h)."
    )
    social: Duration = Field(
        timedelta(minutes=60), description="First-response target for social (norm: 60 min)."
    )
    overrides: dict[str, dict[str, Duration]] = Field(
        default_factory=dict,
        description="Per channel and category targets, e.g. [deadlines.overrides.email] "
        "technical_issue = '8h'.",
    )
    warn_before: dict[str, Duration] = Field(
        default_factory=lambda: {"email": timedelta(hours=3), "social": timedelta(minutes=15)},
        description="A deadline is due_soon this long before it is due, per channel.",
    )


class SchedulerSettings(_Section):
    """The daemon's schedule."""

    sweep_interval: Duration = Field(
        timedelta(minutes=1), description="How often deadlines are swept for due_soon/breached."
    )
    backoff_base: Duration = Field(
        timedelta(seconds=30), description="First retry delay after a source fails."
    )
    backoff_max: Duration = Field(
        timedelta(minutes=30), description="Longest retry delay for a failing source."
    )
    jitter: Duration = Field(
        timedelta(seconds=5), description="Random delay added to polls so sources spread out."
    )
    batch_size: int = Field(
        200, ge=1, description="Messages classified and stored per transaction."
    )


class LoggingSettings(_Section):
    """Log output of the CLI."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    json_lines: bool = Field(False, description="Write one JSON object per log line.")


class MaildirSource(_Section):
    """A local Maildir, read-only (the demo inbox, or mail delivered locally)."""

    name: str = Field(..., description="Unique name of the source.")
    type: Literal["maildir"] = Field(..., description="Source type.")
    path: str = Field(..., description="Path of the Maildir (holding cur/ new/ tmp/).")
    poll_interval: Duration = Field(timedelta(seconds=60), description="How often to poll.")
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    def secret_envs(self) -> list[tuple[str, str]]:
        """Return ``(key, env var)`` pairs of the secrets this source needs (none)."""
        return []


SourceSettings = Annotated[MaildirSource, Field(discriminator="type")]


class OpsSettings(_Section):
    """Operations: health and metrics endpoint, and how daemons share one store."""

    listen: str = Field(
        "", description="host:port serving /healthz and /metrics from the daemon, e.g. "
        "'127.0.0.1:9464'. Empty: off.",
    )
    instance: str = Field(
        "", description="Name of this daemon in leases and claims. Empty: the host name. "
        "Give each machine its own name when several daemons share one database.",
    )
    lease_ttl: Duration = Field(
        timedelta(minutes=2), description="How long a daemon's lease on a source or a "
        "singleton job lasts without renewal; a dead daemon's sources are taken over after it.",
    )
    claim_ttl: Duration = Field(
        timedelta(minutes=5), description="How long a daemon's claim on a message it is "
        "processing lasts; after it another daemon may process the message.",
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{value!r} is not host:port; write it like '127.0.0.1:9464'")
        return value


class AckRule(_Section):
    """One opt-in rule allowing automatic acknowledgements for a category on a channel."""

    name: str = Field(..., description="Name of the rule (shown in the audit log).")
    enabled: bool = Field(False, description="Set true to send acknowledgements by this rule.")
    category: str = Field(..., description="Category acknowledged (complaint, request, ...).")
    channel: Literal["email", "social"] = Field("email", description="Channel acknowledged.")
    max_per_sender_per_day: int = Field(
        1, ge=1, description="At most this many acknowledgements to one sender per 24 hours."
    )
    min_confidence: float = Field(
        0.0, ge=0.0, le=1.0, description="Only acknowledge when the classifier is this sure."
    )
    subject: str = Field(
        "Re: {{ subject }} [#{{ reference }}]",
        description="Jinja2 subject; variables: subject, reference, name, within, team.",
    )
    text: str = Field(
        "Hello {{ name }},\n\nwe received your message (reference {{ reference }}) and will "
        "answer within {{ within }}.\n\n{{ team }}",
        description="Jinja2 text; variables: subject, reference, name, within, team.",
    )


class Settings(_Section):
    """The whole configuration of one triage daemon."""

    data_dir: str = Field(
        "triage-data", description="Directory for the SQLite store, models and caches "
        "(relative paths are relative to the config file)."
    )
    store: StoreSettings = Field(default_factory=StoreSettings, description="Store.")
    classifier: ClassifierSettings = Field(
        default_factory=ClassifierSettings, description="Classifier."
    )
    drafting: DraftingSettings = Field(default_factory=DraftingSettings, description="Drafts.")
    deadlines: DeadlineSettings = Field(default_factory=DeadlineSettings, description="SLAs.")
    scheduler: SchedulerSettings = Field(
        default_factory=SchedulerSettings, description="Scheduler."
    )
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Logging.")
    sources: list[SourceSettings] = Field(default_factory=list, description="Sources to poll.")
    ops: OpsSettings = Field(default_factory=OpsSettings, description="Operations.")
    acknowledgements: list[AckRule] = Field(
        default_factory=list, description="Opt-in automatic acknowledgement rules."
    )

    # Filled in by load_settings, not by users.
    config_path: Path | None = Field(None, exclude=True, description="(internal)")

    def resolve_path(self, value: str) -> Path:
        """Return ``value`` as a path, relative to the config file's directory."""
        p = Path(value).expanduser()
        if not p.is_absolute() and self.config_path is not None:
            p = self.config_path.parent / p
        return p

    @property
    def data_path(self) -> Path:
        """The data directory as an absolute path."""
        return self.resolve_path(self.data_dir)

    def database_url(self, environ: Mapping[str, str] | None = None) -> str:
        """Return the store's SQLAlchemy URL (SQLite in data_dir when none is set)."""
        env = os.environ if environ is None else environ
        if self.store.url_env:
            return env[self.store.url_env]
        if self.store.url:
            return self.store.url
        return f"sqlite:///{self.data_path / 'triage.db'}"

    def source(self, name: str) -> Any:
        """Return the settings of source ``name``; raises ConfigError when there is none."""
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} (configured: {known})",
                          fix="use one of the [[sources]] names")


def _loc(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            name = None
            if isinstance(node, list) and 0 <= item < len(node) and isinstance(node[item], dict):
                name = node[item].get("name")
            parts[-1] = f"{parts[-1]}[{item}]" + (f"(name={name!r})" if name else "") \
                if parts else f"[{item}]"
            node = node[item] if isinstance(node, list) and 0 <= item < len(node) else None
        else:
            if item in {"maildir", "imap", "x", "mastodon"} and parts and parts[-1].startswith(
                    "sources["):
                continue  # discriminator tag, not a key the user wrote
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _fix_for(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "remove it or check its spelling against config/triage.example.toml"
    if kind == "missing":
        return "add it; see config/triage.example.toml"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return "set type to one of the supported source types"
    return "see config/triage.example.toml for the expected form"


def settings_from_mapping(data: Mapping[str, Any], *, file: str = "<config>") -> Settings:
    """Validate a parsed TOML mapping; raises ConfigError naming every wrong key."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = _loc(tuple(err["loc"]), data)
            lines.append(f"key '{key}': {err['msg']} (fix: {_fix_for(err)})")
        raise ConfigError(
            f"{len(lines)} problem(s):\n  " + "\n  ".join(lines), file=file
        ) from None
    names = [s.name for s in settings.sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"source names must be unique, repeated: {', '.join(dupes)}",
                          file=file, key="sources.name", fix="give each source its own name")
    for cat in settings.classifier.category_thresholds:
        if cat not in CATEGORIES:
            raise ConfigError(f"unknown category {cat!r}", file=file,
                              key=f"classifier.category_thresholds.{cat}",
                              fix=f"use one of {', '.join(CATEGORIES)}")
    for channel, cats in settings.deadlines.overrides.items():
        if channel not in ("email", "social"):
            raise ConfigError(f"unknown channel {channel!r}", file=file,
                              key=f"deadlines.overrides.{channel}", fix="use email or social")
        for cat in cats:
            if cat not in CATEGORIES:
                raise ConfigError(f"unknown category {cat!r}", file=file,
                                  key=f"deadlines.overrides.{channel}.{cat}",
                                  fix=f"use one of {', '.join(CATEGORIES)}")
    for i, rule in enumerate(settings.acknowledgements):
        if rule.category not in CATEGORIES:
            raise ConfigError(f"unknown category {rule.category!r}", file=file,
                              key=f"acknowledgements[{i}](name={rule.name!r}).category",
                              fix=f"use one of {', '.join(CATEGORIES)}")
    return settings


def find_config_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Pick the config file: ``--config``, else ``TRIAGE_CONFIG``, else ``./triage.toml``."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("TRIAGE_CONFIG"):
        return Path(env["TRIAGE_CONFIG"])
    return Path("triage.toml")


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None,
                  *, check_secrets: bool = True) -> Settings:
    """Read, validate and return the settings in ``path``.

    Raises ConfigError (file missing, TOML syntax, unknown key, wrong type) or
    MissingSecretError (a ``*_env`` variable that is not set) with file, key and fix.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError("configuration file not found", file=str(p),
                          fix="pass --config FILE, set TRIAGE_CONFIG, or create ./triage.toml "
                              "from config/triage.example.toml")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(p),
                          fix="correct the syntax at the line and column given") from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=str(p), fix="save the file as UTF-8") from None
    settings = settings_from_mapping(data, file=str(p))
    settings.config_path = p.resolve()
    if check_secrets:
        check_secrets_present(settings, environ, file=str(p))
    return settings


def secret_keys(settings: Settings) -> list[tuple[str, str]]:
    """Return ``(key, env var name)`` for every secret the configuration refers to."""
    out: list[tuple[str, str]] = []
    if settings.store.url_env:
        out.append(("store.url_env", settings.store.url_env))
    for i, src in enumerate(settings.sources):
        for key, env in src.secret_envs():
            out.append((f"sources[{i}](name={src.name!r}).{key}", env))
    return out


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
    """Return the resolved settings as plain data, with every secret masked."""
    env = os.environ if environ is None else environ
    data = settings.model_dump(mode="json")
    data["resolved"] = {
        "data_dir": str(settings.data_path),
        "database_url": _mask_url(settings.database_url(env)),
        "secrets": {e: ("set (****)" if env.get(e) else "NOT SET") for _, e in
                    secret_keys(settings)},
    }
    if data.get("store", {}).get("url"):
        data["store"]["url"] = _mask_url(data["store"]["url"])
    return data


def _mask_url(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)([^@]+)(@)", r"\1****\3", url)
