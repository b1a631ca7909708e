"""What every ``triage`` command shares: the ``--config`` option, loading settings, turning
errors into messages and exit codes, logging handlers and signal handlers.

The CLI is the only layer that does these things (architecture rule 4): library code raises,
and :func:`handle_errors` decides the exit code.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from triage.config import Settings, find_config_path, load_settings
from triage.errors import ConfigError, TriageError

log = logging.getLogger("triage")
F = TypeVar("F", bound=Callable[..., Any])


def setup_logging(level: str = "INFO", json_lines: bool = False) -> None:
    """Send log records to stderr as text or JSON lines; quiet the chatty libraries."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        from triage.ops.logjson import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "alembic", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def handle_errors(fn: F) -> F:
    """Turn TriageError into ``error: ...`` on stderr and exit code 2 (config) or 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except TriageError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def cli_settings(config: str | None, *, required: bool = True) -> Settings:
    """Load the settings ``--config`` names (or the default file); raises ConfigError.

    With ``required=False`` a missing file gives default settings with a cache data dir.
    """
    path = find_config_path(config)
    if not required and not path.exists():
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "triage"
        return Settings(data_dir=str(cache))
    return load_settings(path)


config_option = click.option("--config", "config", type=click.Path(dir_okay=False),
                             help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")


def install_signal_handlers(stop: threading.Event) -> None:
    """Make SIGTERM and SIGINT set ``stop`` so the daemon finishes its message and exits."""
    def handler(signum: int, _frame: object) -> None:
        log.info("received %s; stopping after the current message", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
