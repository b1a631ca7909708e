"""The root of the configuration, :class:`Settings`, and the checks that span sections."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from triage.config.deadlines import PRIORITIES, DeadlineSettings, NotificationSettings
from triage.config.sections import (
    AckRuleSettings,
    ClassifierSettings,
    DraftingSettings,
    LoggingSettings,
    OpsSettings,
    RetentionSettings,
    SchedulerSettings,
    SendSettings,
    StoreSettings,
    WebSettings,
)
from triage.config.sources import SourceSettings
from triage.config.values import Section
from triage.errors import ConfigError
from triage.models import CATEGORIES


class Settings(Section):
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
    notifications: NotificationSettings = Field(
        default_factory=NotificationSettings, description="Deadline notifications."
    )
    scheduler: SchedulerSettings = Field(
        default_factory=SchedulerSettings, description="Scheduler."
    )
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Logging.")
    sources: list[SourceSettings] = Field(default_factory=list, description="Sources to poll.")
    web: WebSettings = Field(default_factory=WebSettings, description="Review page.")
    send: SendSettings = Field(default_factory=SendSettings, description="Sending replies.")
    ops: OpsSettings = Field(default_factory=OpsSettings, description="Operations.")
    retention: RetentionSettings = Field(
        default_factory=RetentionSettings, description="Retention of stored data."
    )
    acknowledgements: list[AckRuleSettings] = Field(
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


def check_references(settings: Settings, file: str) -> None:
    """Cross-section checks: unique source names, and names (categories, channels,
    calendars, sources) that must refer to something. Raises ConfigError naming the key."""
    names = [s.name for s in settings.sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"source names must be unique, repeated: {', '.join(dupes)}",
                          file=file, key="sources.name", fix="give each source its own name")
    for lang, value in settings.classifier.language_thresholds.items():
        if lang not in ("en", "vi", "id", "tl") or not 0.0 <= value <= 1.0:
            raise ConfigError(f"bad language threshold {lang} = {value!r}", file=file,
                              key=f"classifier.language_thresholds.{lang}",
                              fix="use en, vi, id or tl with a value from 0 to 1")
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
    _check_deadlines(settings, file)
    for i, rule in enumerate(settings.acknowledgements):
        if rule.category not in CATEGORIES:
            raise ConfigError(f"unknown category {rule.category!r}", file=file,
                              key=f"acknowledgements[{i}](name={rule.name!r}).category",
                              fix=f"use one of {', '.join(CATEGORIES)}")


def _check_deadlines(settings: Settings, file: str) -> None:
    """Cross-field checks of ``[deadlines]``: names that must refer to something."""
    d = settings.deadlines
    known = {"always", *d.calendars}
    for key, mapping in (("calendar", d.calendar), ("source_calendars", d.source_calendars)):
        for what, name in mapping.items():
            if name not in known:
                raise ConfigError(f"unknown calendar {name!r}", file=file,
                                  key=f"deadlines.{key}.{what}",
                                  fix=f"define [deadlines.calendars.{name}] or use one of "
                                      f"{', '.join(sorted(known))}")
    for i, rule in enumerate(d.rules):
        if rule.category and rule.category not in CATEGORIES:
            raise ConfigError(f"unknown category {rule.category!r}", file=file,
                              key=f"deadlines.rules[{i}].category",
                              fix=f"use one of {', '.join(CATEGORIES)} or ''")
    for key, mapping in (("category_priority", d.category_priority),):
        for cat in mapping:
            if cat not in CATEGORIES:
                raise ConfigError(f"unknown category {cat!r}", file=file,
                                  key=f"deadlines.{key}.{cat}",
                                  fix=f"use one of {', '.join(CATEGORIES)}")
    for prio, factor in d.priority_scale.items():
        if prio not in PRIORITIES or factor <= 0:
            raise ConfigError(f"bad priority scale {prio} = {factor}", file=file,
                              key=f"deadlines.priority_scale.{prio}",
                              fix=f"use {', '.join(PRIORITIES)} with a factor above 0")
    for key, mapping in (("warnings", d.warnings), ("next_response", d.next_response),
                         ("resolution", d.resolution), ("calendar", d.calendar),
                         ("warn_before", d.warn_before)):
        for channel in mapping:
            if channel not in ("email", "social"):
                raise ConfigError(f"unknown channel {channel!r}", file=file,
                                  key=f"deadlines.{key}.{channel}", fix="use email or social")
    names = {src.name for src in settings.sources}
    for source in d.source_calendars:
        if source not in names:
            raise ConfigError(f"no source named {source!r}", file=file,
                              key=f"deadlines.source_calendars.{source}",
                              fix=f"use one of the [[sources]] names "
                                  f"({', '.join(sorted(names)) or 'none configured'})")

