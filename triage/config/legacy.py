"""Keys of the previous release that moved: still read for one release, with a warning.

Each old key is moved to its new place before validation, and a ``DeprecationWarning`` plus a
log warning name the old key, the file and the new key. Writing both the old and the new key
is an error, so it is never unclear which one counts. Remove an entry here one release after
it was added.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from triage.errors import ConfigError

log = logging.getLogger(__name__)


def _starttls_to_tls(value: Any, key: str, file: str) -> str:
    if not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {value!r}", file=file, key=key,
                          fix="write notifications.smtp.tls = 'starttls' or 'none' instead")
    return "starttls" if value else "none"


Convert = Callable[[Any, str, str], Any]

MOVED: tuple[tuple[str, str, Convert | None], ...] = (
    ("notifications.smtp_host", "notifications.smtp.host", None),
    ("notifications.smtp_port", "notifications.smtp.port", None),
    ("notifications.smtp_starttls", "notifications.smtp.tls", _starttls_to_tls),
    ("notifications.smtp_username", "notifications.smtp.username", None),
    ("notifications.smtp_password_env", "notifications.smtp.password_env", None),
    ("notifications.max_attempts", "notifications.retry.max_attempts", None),
    ("notifications.retry_base", "notifications.retry.base", None),
    ("notifications.retry_max", "notifications.retry.max", None),
    ("send.max_attempts", "send.retry.max_attempts", None),
    ("send.retry_base", "send.retry.base", None),
    ("send.retry_max", "send.retry.max", None),
    ("scheduler.backoff_base", "scheduler.retry.base", None),
    ("scheduler.backoff_max", "scheduler.retry.max", None),
)
"""(old key, new key, conversion of the value or None) of every key that moved."""

_OLD_NOTIFY_SMTP = ("smtp_host", "smtp_port", "smtp_username", "smtp_password_env")


class ConfigKeyDeprecation(DeprecationWarning):
    """A configuration file uses a key that moved; it is read for one more release."""


def _warn(text: str) -> None:
    log.warning("%s", text)
    warnings.warn(text, ConfigKeyDeprecation, stacklevel=4)


def _table(data: dict[str, Any], path: list[str], create: bool) -> dict[str, Any] | None:
    node: Any = data
    for part in path:
        if not isinstance(node, dict):
            return None
        if part not in node:
            if not create:
                return None
            node[part] = {}
        node = node[part]
    return node if isinstance(node, dict) else None


def upgrade_legacy_keys(data: Mapping[str, Any], *, file: str = "<config>") -> dict[str, Any]:
    """Return a copy of ``data`` with every old key moved to its new key.

    Warns once per old key found (naming the old key, the file and the new key); raises
    ConfigError when a file sets both an old key and the key that replaced it.
    """
    out = copy.deepcopy(dict(data))
    notify = out.get("notifications")
    # the old digest settings had no TLS unless smtp_starttls = true: keep that for them
    old_plain = (isinstance(notify, dict) and "smtp_starttls" not in notify
                 and any(k in notify for k in _OLD_NOTIFY_SMTP))
    for old, new, convert in MOVED:
        *old_path, old_leaf = old.split(".")
        parent = _table(out, old_path, create=False)
        if parent is None or old_leaf not in parent:
            continue
        value = parent.pop(old_leaf)
        if convert is not None:
            value = convert(value, old, file)
        *new_path, new_leaf = new.split(".")
        target = _table(out, new_path, create=True)
        if target is None:
            raise ConfigError(f"'{'.'.join(new_path)}' must be a table", file=file,
                              key=".".join(new_path), fix=f"write [{'.'.join(new_path)}]")
        if new_leaf in target:
            raise ConfigError(f"both '{old}' (old) and '{new}' are set", file=file, key=old,
                              fix=f"remove '{old}' and keep '{new}'")
        target[new_leaf] = value
        _warn(f"{file}: key '{old}' is deprecated and will not be read after the next "
              f"release; write '{new}' instead")
    if old_plain:
        smtp = _table(out, ["notifications", "smtp"], create=True)
        if smtp is not None and "tls" not in smtp:
            smtp["tls"] = "none"
            _warn(f"{file}: the old notifications.smtp_* keys connect without TLS unless "
                  "smtp_starttls = true; reading them as notifications.smtp.tls = 'none'. "
                  "Write [notifications.smtp] tls = 'starttls' (or 'ssl') to encrypt, or "
                  "'none' to keep it plain")
    return out
