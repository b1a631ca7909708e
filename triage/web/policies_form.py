"""The deadline policies form of the admin page: read, validate, write back, apply.

The edited values are written back to the ``[deadlines]`` table of the config file the
process was started with (tomlkit keeps its comments and layout), and the running process's
policy uses them at once; other daemon processes read them at their next start. They apply
to messages that arrive from then on: deadlines already set keep their due time.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import tomlkit

from triage.config import Settings
from triage.config.deadlines import DeadlineSettings
from triage.config.values import parse_duration
from triage.deadlines.policy import DeadlinePolicy
from triage.errors import ConfigError
from triage.models import CATEGORIES

CHANNELS = ("email", "social")
LONGEST = timedelta(days=30)


def fmt(value: timedelta | None) -> str:
    """Write ``value`` the way the config file does (``24h``, ``90m``, ``45s``)."""
    if value is None:
        return ""
    secs = int(value.total_seconds())
    for unit, n in (("h", 3600), ("m", 60)):
        if secs and secs % n == 0:
            return f"{secs // n}{unit}"
    return f"{secs}s"


@dataclass
class PolicyForm:
    """The form's values (as typed) and what is wrong with them, by field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def label(name: str) -> str:
        """Return field ``name`` as the form's headings say it (``target_email`` -> ``email:
        first response within``), for the error list; other names (``file``) as they are."""
        kind, _, rest = name.partition("_")
        ch, _, cat = rest.partition("_")
        if kind == "target" and ch in CHANNELS:
            return f"{ch}: first response within"
        if kind == "warn" and ch in CHANNELS:
            return f"{ch}: due soon from"
        if kind == "override" and ch in CHANNELS and cat in CATEGORIES:
            return f"{ch}, {cat.replace('_', ' ')}: first response within"
        return name.replace("_", " ")

    @classmethod
    def current(cls, d: DeadlineSettings) -> PolicyForm:
        """The form filled from the settings in force."""
        v = {f"target_{ch}": fmt(getattr(d, ch)) for ch in CHANNELS}
        v |= {f"warn_{ch}": fmt(d.warn_before.get(ch)) for ch in CHANNELS}
        v |= {f"override_{ch}_{cat}": fmt(d.overrides.get(ch, {}).get(cat))
              for ch in CHANNELS for cat in CATEGORIES}
        return cls(v)

    @classmethod
    def parse(cls, data: Any) -> tuple[PolicyForm, dict[str, Any]]:
        """Validate submitted ``data``; return the form and the ``[deadlines]`` values to
        write (only meaningful when the form has no errors)."""
        form = cls({k: str(data.get(k) or "").strip() for k in cls.current(
            DeadlineSettings()).values})
        out: dict[str, Any] = {"warn_before": {}, "overrides": {}}

        def duration(name: str, required: bool) -> timedelta | None:
            raw = form.values[name]
            if not raw:
                if required:
                    form.errors[name] = "required"
                return None
            try:
                value = parse_duration(raw)
            except ValueError as exc:
                form.errors[name] = str(exc)
                return None
            if not timedelta(0) < value <= LONGEST:
                form.errors[name] = "must be more than 0 and at most 30 days"
                return None
            return value

        for ch in CHANNELS:
            target = duration(f"target_{ch}", True)
            warn = duration(f"warn_{ch}", False)
            if target is not None:
                out[ch] = fmt(target)
            if warn is not None:
                if target is not None and warn >= target:
                    form.errors[f"warn_{ch}"] = "must be shorter than the target"
                out["warn_before"][ch] = fmt(warn)
            for cat in CATEGORIES:
                over = duration(f"override_{ch}_{cat}", False)
                if over is not None:
                    if warn is not None and warn >= over:
                        form.errors[f"override_{ch}_{cat}"] = (
                            "must be longer than the due-soon warning")
                    out["overrides"].setdefault(ch, {})[cat] = fmt(over)
        return form, out


def write_back(settings: Settings, policy: DeadlinePolicy, values: dict[str, Any]) -> None:
    """Write ``values`` into ``[deadlines]`` of the config file (atomically) and apply them
    to ``policy`` and ``settings``. Raises ConfigError when there is no file to write."""
    path = settings.config_path
    if path is None or not Path(path).is_file():
        raise ConfigError("this process was not started from a config file; change "
                          "[deadlines] in the file and restart", key="deadlines")
    merged = {**settings.deadlines.model_dump(), **values}
    new = DeadlineSettings.model_validate(merged)  # raises on anything the form missed
    doc = tomlkit.parse(Path(path).read_text(encoding="utf-8"))
    table = doc.setdefault("deadlines", tomlkit.table())
    for key in ("email", "social"):
        table[key] = values[key]
    table["warn_before"] = tomlkit.inline_table()
    table["warn_before"].update(values["warn_before"])
    overrides = tomlkit.table()
    for ch, cats in values["overrides"].items():
        sub = tomlkit.table()
        sub.update(cats)
        overrides[ch] = sub
    table["overrides"] = overrides
    fd, tmp = tempfile.mkstemp(dir=str(Path(path).parent), prefix=".triage-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(tomlkit.dumps(doc))
    os.replace(tmp, path)
    settings.deadlines = new
    policy.settings = new
