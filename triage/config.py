"""Settings: declared once here, with defaults and help; loaded from one TOML file.

Unknown keys, wrong types and missing secrets stop start-up with one message that names the
file, the key and a fix. Secrets are never written in TOML: a setting ending in ``_env`` names
the environment variable that holds the secret.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
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


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


OAUTH2_PRESETS: dict[str, str] = {
    "google": "https://oauth2.googleapis.com/token",
    "microsoft": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
}
"""Token endpoints of the OAuth2 presets (``[sources.oauth2] provider``)."""


class ImapOAuth2(_Section):
    """XOAUTH2 login: an access token obtained from a refresh token at the token endpoint."""

    provider: Literal["google", "microsoft", "custom"] = Field(
        "custom", description="Preset for token_url: 'google', 'microsoft' (Microsoft 365) or "
        "'custom' (set token_url).")
    token_url: str = Field(
        "", description="Token endpoint (empty: the provider's preset).")
    client_id: str = Field("", description="OAuth2 client id (not secret).")
    client_id_env: str = Field(
        "", description="Environment variable holding the client id (wins over client_id).")
    client_secret_env: str = Field(
        "", description="Environment variable holding the client secret (may be empty for "
        "public clients).")
    refresh_token_env: str = Field(
        ..., description="Environment variable holding the refresh token.")
    scope: str = Field(
        "", description="Scope sent with the refresh request (empty: the provider's default, "
        "Microsoft: 'https://outlook.office365.com/IMAP.AccessAsUser.All offline_access').")

    def endpoint(self) -> str:
        """Return the token endpoint (the explicit one, else the provider preset)."""
        return self.token_url or OAUTH2_PRESETS.get(self.provider, "")


class ImapWriteBack(_Section):
    """Write-back to the IMAP server (all off by default: ingestion stays read-only)."""

    keywords: bool = Field(
        False, description="Set a keyword per category ($Triage-Complaint, ...) on the message.")
    flag_due: bool = Field(
        False, description="Set \\Flagged while the deadline is due_soon or breached; clear it "
        "when met.")
    drafts_folder: str = Field(
        "", description="APPEND each draft to this folder as a threaded reply with the \\Draft "
        "flag (empty: off).")
    from_address: str = Field(
        "", description="From address of appended drafts (empty: drafting.support_address).")
    move_to_folders: dict[str, str] = Field(
        default_factory=dict,
        description="Move processed messages into a folder per category, e.g. "
        "{complaint = 'Complaints'} (MOVE, else COPY + expunge of that UID only).")

    @model_validator(mode="after")
    def _check(self) -> ImapWriteBack:
        bad = sorted(set(self.move_to_folders) - set(CATEGORIES))
        if bad:
            raise ValueError(f"move_to_folders has unknown categories {bad}; use "
                             f"{', '.join(CATEGORIES)}")
        return self


class ImapSource(_Section):
    """An IMAP account: one or more folders, polled incrementally and read-only, pushed by IDLE."""

    name: str = Field(..., description="Unique name of the source.")
    type: Literal["imap"] = Field(..., description="Source type.")
    host: str = Field(..., description="IMAP server host name.")
    port: int = Field(0, ge=0, le=65535,
                      description="Port (0: 993 for tls = 'ssl', else 143).")
    tls: Literal["ssl", "starttls", "none"] = Field(
        "ssl", description="'ssl' (implicit TLS), 'starttls', or 'none' (loopback only unless "
        "allow_insecure).")
    allow_insecure: bool = Field(
        False, description="Allow tls = 'none' to a host that is not loopback (passwords travel "
        "in clear text).")
    ca_file: str = Field(
        "", description="CA bundle to verify the server certificate (empty: system CAs). "
        "Verification is always on.")
    username: str = Field(..., description="Login name.")
    password_env: str = Field(
        "", description="Environment variable holding the password (not used with oauth2).")
    oauth2: ImapOAuth2 | None = Field(
        None, description="XOAUTH2 login settings ([sources.oauth2]); replaces password_env.")
    folders: list[str] = Field(
        default_factory=lambda: ["INBOX"], min_length=1, description="Folders to watch.")
    idle: bool = Field(True, description="Use IMAP IDLE to fetch new mail at once.")
    idle_renew: Duration = Field(
        timedelta(minutes=25), description="Restart IDLE this often (RFC 2177: before 29 min).")
    poll_interval: Duration = Field(
        timedelta(seconds=60), description="How often to poll (the safety net when IDLE is on).")
    backfill_since: str = Field(
        "", description="On first start, also import mail since this date (YYYY-MM-DD); "
        "empty: only mail arriving from now on.")
    max_message_size: int = Field(
        25_000_000, ge=1024, description="Bigger messages are stored quarantined (headers "
        "only) with the reason, never skipped.")
    fetch_batch: int = Field(100, ge=1, le=1000, description="UIDs per FETCH command.")
    connect_timeout: Duration = Field(
        timedelta(seconds=15), description="Timeout to connect and log in.")
    read_timeout: Duration = Field(
        timedelta(seconds=60), description="Timeout of each IMAP command.")
    connect_attempts: int = Field(
        3, ge=1, le=10, description="Connection attempts per poll (capped exponential backoff "
        "with jitter between them); after that the daemon's backoff takes over.")
    write_back: ImapWriteBack = Field(
        default_factory=ImapWriteBack, description="Write-back settings ([sources.write_back]).")
    enabled: bool = Field(True, description="Set false to keep the source but not poll it.")

    @model_validator(mode="after")
    def _check(self) -> ImapSource:
        if not self.password_env and self.oauth2 is None:
            raise ValueError("set password_env (the variable holding the password) or an "
                             "[sources.oauth2] table")
        if self.oauth2 is not None and not self.oauth2.endpoint():
            raise ValueError("oauth2.token_url is empty; set it or use provider = 'google' "
                             "or 'microsoft'")
        if self.backfill_since:
            try:
                date.fromisoformat(self.backfill_since)
            except ValueError:
                raise ValueError(f"backfill_since {self.backfill_since!r} is not a date; "
                                 "write it as YYYY-MM-DD") from None
        if self.tls == "none" and not self.allow_insecure and not is_loopback(self.host):
            raise ValueError(f"tls = 'none' to {self.host!r} would send the password in clear "
                             "text; use tls = 'ssl' or 'starttls' (or allow_insecure = true)")
        return self

    def secret_envs(self) -> list[tuple[str, str]]:
        """Return ``(key, env var)`` pairs of the secrets this source needs."""
        if self.oauth2 is not None:
            out = [("oauth2.refresh_token_env", self.oauth2.refresh_token_env)]
            if self.oauth2.client_secret_env:
                out.append(("oauth2.client_secret_env", self.oauth2.client_secret_env))
            if self.oauth2.client_id_env:
                out.append(("oauth2.client_id_env", self.oauth2.client_id_env))
            return out
        return [("password_env", self.password_env)] if self.password_env else []


SourceSettings = Annotated[MaildirSource | ImapSource, Field(discriminator="type")]


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
