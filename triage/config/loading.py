"""Reading the configuration: find the file, parse the TOML, move old keys, validate.

Every mistake stops start-up with one ConfigError that names the file, the key and a fix.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from triage.config.legacy import upgrade_legacy_keys
from triage.config.secret_env import check_secrets_present
from triage.config.settings import Settings, check_references
from triage.config.sources import SOURCE_SETTINGS
from triage.errors import ConfigError

_TOO_DEEP = "values are nested too deeply to read (arrays or inline tables hundreds deep)"
_FLATTEN = "no setting nests more than a few levels; see config/triage.example.toml"


def _loc(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    """Return pydantic's error location as the key the user wrote, e.g.
    ``sources[0](name='a').path``."""
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
            if item in SOURCE_SETTINGS and parts and parts[-1].startswith("sources["):
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
    """Validate a parsed TOML mapping; raises ConfigError naming every wrong key.

    Keys of the previous release are moved to their new place first, with a warning each
    (see :mod:`triage.config.legacy`).
    """
    try:
        data = upgrade_legacy_keys(data, file=file)
        settings = Settings.model_validate(data)
    except RecursionError:  # values nested hundreds deep (found by fuzzing)
        raise ConfigError(_TOO_DEEP, file=file, fix=_FLATTEN) from None
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = _loc(tuple(err["loc"]), data)
            lines.append(f"key '{key}': {err['msg']} (fix: {_fix_for(err)})")
        raise ConfigError(
            f"{len(lines)} problem(s):\n  " + "\n  ".join(lines), file=file
        ) from None
    check_references(settings, file)
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
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(_TOO_DEEP, file=str(p), fix=_FLATTEN) from None
    settings = settings_from_mapping(data, file=str(p))
    settings.config_path = p.resolve()
    if check_secrets:
        check_secrets_present(settings, environ, file=str(p))
    return settings
